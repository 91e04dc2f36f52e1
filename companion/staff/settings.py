"""The staff console's settings, from the environment (documented in docs/staff-console.md), parsed by companion.environment's checks."""

from __future__ import annotations

import os
from typing import Mapping

from companion.environment import read


def live_chat(environ: Mapping[str, str] = os.environ) -> bool:
    """CC_LIVE_CHAT: a handoff on the chat page during staff hours waits for a navigator to join."""
    return read("CC_LIVE_CHAT", environ, False)


def callbacks(environ: Mapping[str, str] = os.environ) -> bool:
    """CC_CALLBACKS: the assistant may offer a call back (the Rasa server also needs CC_CALLBACK_KEY)."""
    return read("CC_CALLBACKS", environ, False)


def wait_seconds(environ: Mapping[str, str] = os.environ) -> float:
    """CC_STAFF_WAIT_SECONDS: how long a chat waits for a navigator before the person is told nobody is free."""
    return float(read("CC_STAFF_WAIT_SECONDS", environ, 180))


def retention_days(environ: Mapping[str, str] = os.environ) -> float:
    """CC_CALLBACK_RETENTION_DAYS: a call back request (and its number) is deleted after this many days."""
    return float(read("CC_CALLBACK_RETENTION_DAYS", environ, 7))


def lockout_failures(environ: Mapping[str, str] = os.environ) -> int:
    """CC_STAFF_LOCKOUT_FAILURES: wrong passwords in a row before an account is locked."""
    return read("CC_STAFF_LOCKOUT_FAILURES", environ, 5)


def lockout_minutes(environ: Mapping[str, str] = os.environ) -> float:
    """CC_STAFF_LOCKOUT_MINUTES: how long a locked account stays locked."""
    return float(read("CC_STAFF_LOCKOUT_MINUTES", environ, 15))


def session_hours(environ: Mapping[str, str] = os.environ) -> float:
    """CC_STAFF_SESSION_HOURS: a sign-in lasts at most this long (and ends after an idle hour)."""
    return float(read("CC_STAFF_SESSION_HOURS", environ, 10))
