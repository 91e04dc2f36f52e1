"""Rate limits for the endpoints open to the internet (REST and the chat page): per client address and per conversation.

A request over the limit is answered 429 with `Retry-After` (whole seconds) and
{"error": ..., "retry_after": seconds}; it never reaches the assistant, so a
flood from one client costs the others little. Limits are token buckets:
CC_RATE_PER_CLIENT (default 120/minute) and CC_RATE_PER_CONVERSATION (default
30/minute), each "N/second", "N/minute" or "N/hour", N being also the burst.

The client address is the connection's, or, when the connection comes from a
proxy listed in CC_TRUSTED_PROXIES (addresses or networks, comma-separated;
nginx in the replicated deployment), the nearest untrusted address in its
X-Forwarded-For. A forwarded header from anyone else is ignored, so nobody can
pick their own address. Each server counts on its own; nginx's limit_req limits
clients across replicas (scripts/replicated.py).

Written here rather than with the `limits` library: its releases need
packaging >= 21, and Rasa 3.6 pins 20.9.
"""

from __future__ import annotations

import ipaddress
import math
import os
import threading
import time
from typing import Dict, List, Optional, Tuple

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from companion.environment import Rate, read

PER_CLIENT_ENV = "CC_RATE_PER_CLIENT"
PER_CONVERSATION_ENV = "CC_RATE_PER_CONVERSATION"
TRUSTED_PROXIES_ENV = "CC_TRUSTED_PROXIES"
MAX_KEYS = 100_000  # buckets kept at most; the fullest (idlest) go first


class TokenBuckets:
    """One bucket of `rate.count` tokens per key, refilled at count per `rate.seconds`."""

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self._buckets: Dict[str, Tuple[float, float]] = {}  # key -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, key: str, now: Optional[float] = None) -> float:
        """0 when the request may go on, else the seconds until it may."""
        now = time.monotonic() if now is None else now
        per_second = self.rate.count / self.rate.seconds
        with self._lock:
            tokens, when = self._buckets.get(key, (float(self.rate.count), now))
            tokens = min(float(self.rate.count), tokens + (now - when) * per_second)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / per_second
            if len(self._buckets) > MAX_KEYS:
                self._forget_idlest()
        return wait

    def _forget_idlest(self) -> None:
        oldest = sorted(self._buckets.items(), key=lambda item: item[1][1])[: len(self._buckets) // 10]
        for key, _ in oldest:
            del self._buckets[key]


def _networks(text: str) -> List[ipaddress._BaseNetwork]:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in (text or "").split(",") if part.strip()]


class RateLimits:
    """The limits one server applies to its public endpoints."""

    def __init__(self, per_client: Rate, per_conversation: Rate, trusted_proxies: str = "") -> None:
        self.clients = TokenBuckets(per_client)
        self.conversations = TokenBuckets(per_conversation)
        self.trusted = _networks(trusted_proxies)

    @classmethod
    def from_environment(cls, environ=os.environ) -> "RateLimits":
        return cls(read(PER_CLIENT_ENV, environ, Rate(120, 60.0)),
                   read(PER_CONVERSATION_ENV, environ, Rate(30, 60.0)),
                   read(TRUSTED_PROXIES_ENV, environ, ""))

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    def client_address(self, peer: str, forwarded_for: Optional[str]) -> str:
        """The address to count a request against (see the module's notes on trusted proxies)."""
        if not forwarded_for or not self._is_trusted(peer):
            return peer
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            if not self._is_trusted(hop):
                return hop
        return peer

    def check_client(self, request: Request, headers: Optional[Dict[str, str]] = None) -> Optional[HTTPResponse]:
        """The 429 answer when this request's client is over its limit, else None."""
        client = self.client_address(request.ip, request.headers.get("X-Forwarded-For"))
        return too_many(self.clients.take(client), headers)

    def check_conversation(self, conversation: str, headers: Optional[Dict[str, str]] = None) -> Optional[HTTPResponse]:
        """The 429 answer when this conversation is over its limit, else None."""
        return too_many(self.conversations.take(conversation), headers)


def too_many(wait: float, headers: Optional[Dict[str, str]] = None) -> Optional[HTTPResponse]:
    if wait <= 0:
        return None
    seconds = max(1, math.ceil(wait))
    return response.json(
        {"error": "Too many messages at once. Please wait a moment and try again.", "retry_after": seconds},
        status=429, headers={**(headers or {}), "Retry-After": str(seconds)},
    )
