"""The staff console's settings, from the environment (documented in docs/staff-console.md)."""

from __future__ import annotations

import os
from typing import Mapping

_ON = {"1", "true", "yes", "on"}


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    try:
        return float(environ.get(name) or default)
    except ValueError:
        return default


def live_chat(environ: Mapping[str, str] = os.environ) -> bool:
    """CC_LIVE_CHAT: a handoff on the chat page during staff hours waits for a navigator to join."""
    return str(environ.get("CC_LIVE_CHAT", "")).strip().lower() in _ON


def callbacks(environ: Mapping[str, str] = os.environ) -> bool:
    """CC_CALLBACKS: the assistant may offer a call back (the Rasa server also needs CC_CALLBACK_KEY)."""
    return str(environ.get("CC_CALLBACKS", "")).strip().lower() in _ON


def wait_seconds(environ: Mapping[str, str] = os.environ) -> float:
    """CC_STAFF_WAIT_SECONDS: how long a chat waits for a navigator before the person is told nobody is free."""
    return _number(environ, "CC_STAFF_WAIT_SECONDS", 180)


def retention_days(environ: Mapping[str, str] = os.environ) -> float:
    """CC_CALLBACK_RETENTION_DAYS: a call back request (and its number) is deleted after this many days."""
    return _number(environ, "CC_CALLBACK_RETENTION_DAYS", 7)


def lockout_failures(environ: Mapping[str, str] = os.environ) -> int:
    """CC_STAFF_LOCKOUT_FAILURES: wrong passwords in a row before an account is locked."""
    return int(_number(environ, "CC_STAFF_LOCKOUT_FAILURES", 5))


def lockout_minutes(environ: Mapping[str, str] = os.environ) -> float:
    """CC_STAFF_LOCKOUT_MINUTES: how long a locked account stays locked."""
    return _number(environ, "CC_STAFF_LOCKOUT_MINUTES", 15)


def session_hours(environ: Mapping[str, str] = os.environ) -> float:
    """CC_STAFF_SESSION_HOURS: a sign-in lasts at most this long (and ends after an idle hour)."""
    return _number(environ, "CC_STAFF_SESSION_HOURS", 10)
