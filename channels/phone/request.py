"""A Twilio webhook request: its form fields, the URL Twilio signed, and the X-Twilio-Signature check."""

from __future__ import annotations

import re
from typing import Dict, List, Mapping, Optional, Tuple
from urllib.parse import parse_qsl

from sanic.request import Request
from twilio.request_validator import RequestValidator

from channels.phone.settings import PhoneSettings

CALL_SID = re.compile(r"^[A-Za-z0-9]{10,64}$")


class MalformedRequest(ValueError):
    """A request that is not a Twilio form post; answered 400."""


class FormParams(dict):
    """Form fields, first value per name, that still hands RequestValidator every value it was sent.

    Parsed here rather than read from Sanic's `request.form` so that a body that
    is not form-encoded is refused with a 400 instead of read as empty.
    """

    def __init__(self, pairs: List[Tuple[str, str]]) -> None:
        super().__init__()
        self._all: Dict[str, List[str]] = {}
        for name, value in pairs:
            self._all.setdefault(name, []).append(value)
            self.setdefault(name, value)

    def getall(self, name: str) -> List[str]:
        return self._all[name]


def parse_form(body: bytes) -> FormParams:
    text = (body or b"").decode("utf-8", errors="replace")
    try:
        return FormParams(parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="replace", max_num_fields=200))
    except ValueError:
        raise MalformedRequest("expected a form-encoded body (application/x-www-form-urlencoded)") from None


def _first(header: Optional[str]) -> str:
    return (header or "").split(",")[0].strip()


def signed_url(request: Request, public_url: str = "") -> str:
    """The URL Twilio requested (and signed): the configured public base, else what a proxy forwarded, else what Sanic saw."""
    if public_url:
        base = public_url.rstrip("/")
    else:
        scheme = _first(request.headers.get("x-forwarded-proto")) or request.scheme
        host = _first(request.headers.get("x-forwarded-host")) or request.headers.get("host") or request.host
        base = f"{scheme}://{host}"
    query = request.query_string
    return base + request.path + (f"?{query}" if query else "")


class SignatureCheck:
    """X-Twilio-Signature: HMAC-SHA1 of the URL and POST fields with the account's auth token."""

    def __init__(self, settings: PhoneSettings) -> None:
        self.enabled = settings.validate_signature
        self.validator = RequestValidator(settings.auth_token) if settings.auth_token else None

    def accepts(self, url: str, params: Mapping[str, str], signature: Optional[str]) -> bool:
        if not self.enabled:
            return True
        if self.validator is None or not signature:
            return False
        return self.validator.validate(url, params, signature)
