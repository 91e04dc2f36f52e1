"""GET /webhooks/health/: is this server able to answer people right now?

Rasa's own `GET /` answers 200 as soon as the server is up, whether or not the
conversation store, the lock store or the action server can be reached, so a
load balancer or Kubernetes would keep sending people to a server that can
only apologise. This check answers 200 only when all of these respond, and
503 otherwise, naming the part that failed (never anything about a person):

- model: a trained model is loaded;
- conversation_store: the SQL tracker store answers a trivial query;
- lock_store: Redis answers a ping (the in-memory lock store always does);
- action_server: the action server's /health answers.

Each part has CHECK_SECONDS to answer, so the check itself never hangs.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import sqlalchemy as sa
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.lock_store import RedisLockStore
from sanic import Blueprint, response
from sanic.request import Request

from companion.tracker_store import private_store

logger = logging.getLogger(__name__)

CHECK_SECONDS = 2.0


def action_health_url(webhook_url: str) -> str:
    """The action server's /health next to its webhook (http://host:5055/webhook -> http://host:5055/health)."""
    parts = urlsplit(webhook_url)
    path = parts.path.rstrip("/")
    base = path[: -len("/webhook")] if path.endswith("/webhook") else path
    return urlunsplit((parts.scheme, parts.netloc, f"{base}/health", "", ""))


async def _in_thread(check: Callable[[], Any]) -> None:
    await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, check), CHECK_SECONDS)


async def _conversation_store(agent: Any) -> str:
    store = private_store(agent)
    if store is None:
        return "not checked"

    def query() -> None:
        with store.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    await _in_thread(query)
    return "ok"


async def _lock_store(agent: Any) -> str:
    lock_store = getattr(agent, "lock_store", None)
    if isinstance(lock_store, RedisLockStore):
        await _in_thread(lock_store.red.ping)
    return "ok"


async def _action_server(agent: Any) -> str:
    endpoint = getattr(agent, "action_endpoint", None)
    if endpoint is None or not getattr(endpoint, "url", None):
        return "not configured"
    timeout = aiohttp.ClientTimeout(total=CHECK_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.get(action_health_url(endpoint.url)) as reply:
            if reply.status != 200:
                raise RuntimeError(f"HTTP {reply.status}")
    return "ok"


async def check(agent: Any) -> Dict[str, str]:
    """{part: "ok" or what went wrong}, every part checked at the same time."""
    if agent is None or not agent.is_ready():
        return {"model": "not loaded"}
    parts = {"conversation_store": _conversation_store, "lock_store": _lock_store, "action_server": _action_server}
    outcomes = await asyncio.gather(*(probe(agent) for probe in parts.values()), return_exceptions=True)
    result = {"model": "ok"}
    for name, outcome in zip(parts, outcomes):
        if isinstance(outcome, BaseException):
            reason = "no answer within %.0f s" % CHECK_SECONDS if isinstance(outcome, asyncio.TimeoutError) else type(outcome).__name__
            result[name] = f"failing: {reason}"
        else:
            result[name] = outcome
    return result


class HealthInput(InputChannel):
    """Not a way to talk to the assistant: the readiness check for balancers and probes."""

    @classmethod
    def name(cls) -> Text:
        return "health"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        health = Blueprint("companion_health", __name__)

        @health.route("/", methods=["GET"])
        async def ready(request: Request):
            parts = await check(getattr(request.app.ctx, "agent", None))
            failing = [name for name, state in parts.items() if state not in ("ok", "not checked", "not configured")]
            if failing:
                logger.warning("health: not ready (%s)", ", ".join(f"{n}: {parts[n]}" for n in failing))
            return response.json({"status": "unavailable" if failing else "ok", "checks": parts},
                                 status=503 if failing else 200)

        return health
