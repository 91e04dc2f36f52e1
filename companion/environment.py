"""Every environment variable the assistant reads, in one table: what it means, its default, and the check its value must pass.

`Environment.load()` reads and checks them all at once, so a process refuses to
start with one clear message that names every bad value (and any `CC_`
variable that is not a setting, a likely typo) instead of failing later on one
request. `environment()` is the checked, typed values of this process; the
modules that own a setting read it from there. The README's configuration
table is printed by `python -m companion.environment --table`.

The clinic's own settings (name, numbers, hours) live in config/facility.yml,
which the `CC_` facility variables override (companion/settings.py); the
channels' keys may also be given in credentials.yml, which the environment
overrides.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import ipaddress
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from companion.opening_hours import OpeningHours

_FLAG_WORDS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(second|minute|hour)s?\s*")
_RATE_UNITS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}


class SettingsError(ValueError):
    """One or more settings have values the assistant cannot use; the message lists each."""


# --- value checks: each returns the typed value or raises ValueError saying what is expected ---

def text(value: str) -> str:
    return value.strip()


def flag(value: str) -> bool:
    try:
        return _FLAG_WORDS[value.strip().lower()]
    except KeyError:
        raise ValueError("expected true or false") from None


def positive_number(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError("expected a number above 0")
    return number


def whole_number(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError("expected a whole number above 0")
    return number


def port(value: str) -> int:
    number = int(value)
    if not 0 < number < 65536:
        raise ValueError("expected a port from 1 to 65535")
    return number


def fraction(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise ValueError("expected a number from 0 to 1")
    return number


def phone_number(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if not re.fullmatch(r"\+?[\d\s().-]+", value.strip()) or not (3 <= len(digits) <= 15):
        raise ValueError("expected a phone number such as +16125550100 or 988")
    return value.strip()


def opening_hours(value: str) -> OpeningHours:
    return OpeningHours.parse(value)


def time_zone(value: str) -> str:
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA time zone such as America/Chicago") from None
    return value.strip()


@dataclasses.dataclass(frozen=True)
class Rate:
    """A rate limit: `count` in `seconds` ("30/minute"), `count` being also the burst."""

    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> "Rate":
        match = _RATE.fullmatch(text or "")
        if not match:
            raise ValueError("expected a rate such as 30/minute")
        return cls(int(match[1]), _RATE_UNITS[match[2]])


def rate(value: str) -> Rate:
    return Rate.parse(value)


def networks(value: str) -> str:
    for part in filter(None, (p.strip() for p in value.split(","))):
        ipaddress.ip_network(part, strict=False)
    return value.strip()


def web_address(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value.strip()):
        raise ValueError("expected an address starting with https://")
    return value.strip().rstrip("/")


def fernet_key(value: str) -> str:
    from cryptography.fernet import Fernet

    try:
        Fernet(value.strip().encode())
    except (ValueError, TypeError):
        raise ValueError("expected a Fernet key (python -m companion.staff.crypto makes one)") from None
    return value.strip()


def existing_file(value: str) -> str:
    if not Path(value).is_file():
        raise ValueError("no such file")
    return value


@dataclasses.dataclass(frozen=True)
class Variable:
    name: str
    meaning: str
    default: str = ""  # as the table shows it
    check: Callable[[str], Any] = text
    group: str = ""


VARIABLES = (
    # the clinic (override config/facility.yml)
    Variable("CC_FACILITY_NAME", "the clinic's name", '"your imaging center"', group="clinic"),
    Variable("CC_NAVIGATOR_PHONE", "number people can call", "none: the support line is offered", phone_number, "clinic"),
    Variable("CC_TRANSFER_NUMBER", "where the phone line transfers callers", "the navigator phone", phone_number, "clinic"),
    Variable("CC_HOURS", "when staff answer, e.g. `Mon-Fri 08:00-17:00`", "`Mon-Fri 08:00-17:00`", opening_hours, "clinic"),
    Variable("CC_TIMEZONE", "IANA time zone", "`America/Chicago`", time_zone, "clinic"),
    Variable("CC_SUPPORT_PHONE", "the 24/7 line's number", "1-800-227-2345", phone_number, "clinic"),
    Variable("CC_SUPPORT_NAME", "the 24/7 line's name", "the American Cancer Society", group="clinic"),
    Variable("CC_SUPPORT_NAME_ES", "the 24/7 line's name in Spanish replies", "la Sociedad Americana Contra el Cáncer",
             group="clinic"),
    Variable("CC_SPANISH_PHONE", "a clinic line where someone speaks Spanish", "none: a Spanish handoff says so",
             phone_number, "clinic"),
    Variable("CC_SPANISH_HOURS", "when the Spanish line answers, e.g. `Mon-Fri 09:00-13:00`", "the clinic's hours",
             opening_hours, "clinic"),
    # privacy and the two processes
    Variable("CC_ID_SECRET", "key for hashing conversation ids (set it in production; a development key is kept in "
             "`build/id-secret`)", group="processes"),
    Variable("CC_ACTIONS_SECRET", "the secret Rasa sends the action server on every call (same value for both)",
             "`make run`: a new random one", group="processes"),
    Variable("CC_ACTIONS_HOST", "the interface the action server listens on", "`127.0.0.1`", group="processes"),
    Variable("CC_ACTION_ENDPOINT_URL", "the action server's webhook (endpoints.production.yml)", group="processes"),
    Variable("CC_ACTION_TIMEOUT", "seconds Rasa waits for the action server in a turn", "4.5", positive_number,
             "processes"),
    Variable("CC_MAX_SESSION_EVENTS", "events of the current session the store loads per turn", "120", whole_number,
             "processes"),
    Variable("CC_HANDOFF_LOG", "the optional JSONL export of handoffs (action server)", "none: handoffs go to the "
             "staff console", group="processes"),
    Variable("CC_SHOW_TUNING", "print the server tuning applied at start", "off", flag, "processes"),
    Variable("ACTIONS_PORT", "the action server's port (`make run`; endpoints.yml reads it)", "5055", port, "processes"),
    Variable("RASA_PORT", "the Rasa server's port (`make run`)", "5005", port, "processes"),
    Variable("CC_ENDPOINTS", "the endpoints file the container starts with", "`endpoints.production.yml`",
             group="processes"),
    Variable("CC_MODEL", "the model the container loads", "the image's model", group="processes"),
    Variable("CC_INTERFACE", "the interface the container's servers listen on", "`0.0.0.0`", group="processes"),
    # web
    Variable("CC_ALLOWED_ORIGINS", "other sites allowed to call the REST channel from a browser, comma-separated",
             "none", group="web"),
    Variable("CC_FRAME_ANCESTORS", "sites allowed to embed the chat page (CSP `frame-ancestors`)", "none", group="web"),
    Variable("CC_RATE_PER_CLIENT", "rate limit of REST and the chat page per client", "`120/minute`", rate, "web"),
    Variable("CC_RATE_PER_CONVERSATION", "rate limit of REST and the chat page per conversation", "`30/minute`", rate,
             "web"),
    Variable("CC_NGINX_CLIENT_RATE", "nginx's rate per client in `make replicated`", "`5r/s`", group="web"),
    Variable("CC_NGINX_CLIENT_BURST", "nginx's burst per client in `make replicated`", "30", whole_number, "web"),
    Variable("CC_TRUSTED_PROXIES", "proxies whose `X-Forwarded-For` names the client (addresses or networks)", "none",
             networks, "web"),
    # the staff console (docs/staff-console.md)
    Variable("CC_LIVE_CHAT", "`on`: a chat handed over in staff hours waits for a navigator", "off", flag, "staff"),
    Variable("CC_CALLBACKS", "`on`: the assistant offers call backs (the Rasa server also needs `CC_CALLBACK_KEY`)",
             "off", flag, "staff"),
    Variable("CC_CALLBACK_KEY", "Fernet key encrypting call back numbers (`python -m companion.staff.crypto` makes one)",
             "none: no number is kept", fernet_key, "staff"),
    Variable("CC_STAFF_WAIT_SECONDS", "how long a chat waits for a navigator before she is told nobody is free", "180",
             positive_number, "staff"),
    Variable("CC_CALLBACK_RETENTION_DAYS", "a call back request (and its number) is deleted after this many days", "7",
             positive_number, "staff"),
    Variable("CC_STAFF_LOCKOUT_FAILURES", "wrong passwords in a row before a staff account is locked", "5",
             whole_number, "staff"),
    Variable("CC_STAFF_LOCKOUT_MINUTES", "how long a locked staff account stays locked", "15", positive_number, "staff"),
    Variable("CC_STAFF_SESSION_HOURS", "a staff sign-in lasts at most this long", "10", positive_number, "staff"),
    Variable("CC_STAFF_SIGN_IN_RATE", "sign-in attempts allowed per client, before any password is checked",
             "`10/minute`", rate, "staff"),
    Variable("CC_STAFF_PASSWORD", "the password `make staff-user` sets without asking (scripts)", "asked for",
             group="staff"),
    # the stores (endpoints.production.yml)
    Variable("CC_DB_HOST", "PostgreSQL host", group="stores"),
    Variable("CC_DB_PORT", "PostgreSQL port", check=port, group="stores"),
    Variable("CC_DB_NAME", "PostgreSQL database", group="stores"),
    Variable("CC_DB_USER", "PostgreSQL user", group="stores"),
    Variable("CC_DB_PASSWORD", "PostgreSQL password", group="stores"),
    Variable("CC_REDIS_HOST", "Redis host (the lock store)", group="stores"),
    Variable("CC_REDIS_PORT", "Redis port", check=port, group="stores"),
    Variable("CC_REDIS_DB", "Redis database number", check=lambda v: str(int(v)), group="stores"),
    Variable("CC_REDIS_PASSWORD", "Redis password", group="stores"),
    # the phone line (override credentials.yml)
    Variable("TWILIO_AUTH_TOKEN", "the Twilio account's auth token, for request signatures", "none: every request "
             "is refused", group="phone"),
    Variable("TWILIO_VALIDATE_SIGNATURE", "`false` accepts unsigned requests (development only)", "true", flag, "phone"),
    Variable("TWILIO_PUBLIC_URL", "the public address Twilio calls, when a proxy rewrites it", "what the request says",
             web_address, "phone"),
    Variable("TWILIO_VOICE", "the voice of `<Say>`", "`Polly.Joanna-Neural`", group="phone"),
    Variable("TWILIO_LANGUAGE", "the language of `<Say>` and `<Gather>`", "`en-US`", group="phone"),
    Variable("TWILIO_VOICE_ES", "the voice of `<Say>` in Spanish", "`Polly.Lupe-Neural`", group="phone"),
    Variable("TWILIO_LANGUAGE_ES", "the language of `<Say>` and `<Gather>` in Spanish", "`es-US`", group="phone"),
    Variable("TWILIO_SPEECH_MODEL", "Twilio's speech model", "`phone_call`", group="phone"),
    Variable("TWILIO_LOW_CONFIDENCE", "below this recogniser confidence a question is asked back first", "0.5",
             fraction, "phone"),
    Variable("TWILIO_REPLY_TIMEOUT", "seconds a caller waits for a reply before the apology", "10", positive_number,
             "phone"),
    # the speaker (override credentials.yml)
    Variable("ALEXA_SKILL_ID", "the skill's application id", "none: requires `skill_id` in credentials.yml",
             group="speaker"),
    Variable("ALEXA_VERIFY_REQUESTS", "`false` turns signature, certificate and time checks off (development only)",
             "true", flag, "speaker"),
    Variable("ALEXA_TRUSTED_ROOTS", "a PEM file of extra trusted root certificates", "none", existing_file, "speaker"),
    Variable("ALEXA_CERT_CACHE_DIR", "a folder where downloaded certificate chains are kept", "none", group="speaker"),
)
BY_NAME: Dict[str, Variable] = {v.name: v for v in VARIABLES}


class Environment:
    """The checked values of every setting that is set; `get` gives the typed value, or the default given."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    @classmethod
    def load(cls, environ: Mapping[str, str] = os.environ) -> "Environment":
        values: Dict[str, Any] = {}
        problems: List[str] = []
        for variable in VARIABLES:
            raw = environ.get(variable.name)
            if raw is None or raw.strip() == "":
                continue
            try:
                values[variable.name] = variable.check(raw)
            except ValueError as error:
                shown = "(hidden)" if _secret(variable.name) else repr(raw)
                problems.append(f"{variable.name}={shown}: {error}")
        for name in environ:
            if name.startswith("CC_") and name not in BY_NAME:
                close = difflib.get_close_matches(name, BY_NAME, n=1)
                problems.append(f"{name} is not a setting" + (f"; did you mean {close[0]}?" if close else ""))
        if problems:
            raise SettingsError("settings the assistant cannot use:\n  " + "\n  ".join(problems))
        return cls(values)

    def get(self, name: str, default: Any = None) -> Any:
        if name not in BY_NAME:
            raise KeyError(f"{name} is not in companion.environment.VARIABLES")
        return self._values.get(name, default)


def read(name: str, environ: Mapping[str, str] = os.environ, default: Any = None) -> Any:
    """One setting's typed value in `environ`, parsed by the same check as at start; `default` when it is unset."""
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return BY_NAME[name].check(raw)


def _secret(name: str) -> bool:
    return any(word in name for word in ("SECRET", "PASSWORD", "TOKEN"))


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    """This process's settings, checked once."""
    return Environment.load()


def check_or_exit(environ: Mapping[str, str] = os.environ) -> None:
    """At a process's start: every setting checked, or the process stops with the list of what is wrong."""
    try:
        Environment.load(environ)
    except SettingsError as error:
        sys.exit(f"Callback Companion cannot start: {error}")


def table() -> str:
    """The README's configuration table."""
    rows = ["| variable | meaning | default |", "|---|---|---|"]
    rows += [f"| `{v.name}` | {v.meaning} | {v.default} |" for v in VARIABLES]
    return "\n".join(rows)


def _main(argv: List[str]) -> int:
    if "--table" in argv:
        print(table())
        return 0
    check_or_exit()
    print("settings OK")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
