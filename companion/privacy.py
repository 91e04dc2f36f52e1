"""Privacy: keyed hashing of conversation keys and redaction of personal details in text and logs.

Nothing that identifies a person is kept: caller numbers and sender ids are
stored only as a keyed hash (HMAC-SHA256 with a secret from the environment),
and phone numbers, e-mail addresses, dates and record numbers in what people
type or say are replaced by a label before anything is stored or logged.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import re
import secrets
from typing import Any

from companion import PROJECT_ROOT

SECRET_ENV = "CC_ID_SECRET"
DEV_SECRET_FILE = PROJECT_ROOT / "build" / "id-secret"

logger = logging.getLogger(__name__)

_MONTHS = (
    r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|"
    r"sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?)"
)
_NUMBER_WORDS = r"(zero|oh|one|two|three|four|five|six|seven|eight|nine)"
# Order matters: e-mail before phone, dates before record numbers.
_REDACTIONS = [
    ("[email]", re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", re.IGNORECASE)),
    ("[email]", re.compile(r"\b[\w.+-]+ at [\w-]+ dot (com|org|net|edu|gov|us)\b", re.IGNORECASE)),
    ("[date]", re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-](\d{4}|\d{2})\b")),
    ("[date]", re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b")),
    ("[date]", re.compile(rf"\b{_MONTHS}\.? \d{{1,2}}(st|nd|rd|th)?,? \d{{4}}\b", re.IGNORECASE)),
    ("[date]", re.compile(rf"\b\d{{1,2}}(st|nd|rd|th)? (of )?{_MONTHS}\.?,? \d{{4}}\b", re.IGNORECASE)),
    ("[date]", re.compile(rf"\b(born|birthday|date of birth|dob)\b[^.?!]{{0,20}}?\b{_MONTHS}\b[^.?!]{{0,12}}", re.IGNORECASE)),
    ("[id number]", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    (
        "[record number]",
        re.compile(
            r"\b(mrn|medical record( number)?|record (number|no|#)|patient (id|number|no)|account (number|no)|"
            r"member (id|number)|accession( number)?|chart number|insurance (id|number))\b(\s+(is|was|of))?\W{0,3}[:#]?\s*[a-z]{0,3}[\d-]{3,}",
            re.IGNORECASE,
        ),
    ),
    ("[phone]", re.compile(r"(?<![\w-])(\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\w)")),
    # a number read out digit by digit, as a speech recogniser writes it
    ("[phone]", re.compile(r"\b(\d[\s,.-]*){7,}\d?\b")),
    ("[phone]", re.compile(rf"\b({_NUMBER_WORDS}[\s,-]+){{6,}}{_NUMBER_WORDS}\b", re.IGNORECASE)),
    ("[record number]", re.compile(r"\b[a-z]{0,3}\d{6,}\b", re.IGNORECASE)),
]


def redact(text: Any) -> Any:
    """The same text with personal details replaced by labels; non-strings pass through."""
    if not isinstance(text, str) or not text:
        return text
    for label, pattern in _REDACTIONS:
        text = pattern.sub(label, text)
    return text


@functools.lru_cache(maxsize=1)
def _secret() -> bytes:
    value = os.environ.get(SECRET_ENV)
    if value:
        return value.encode("utf-8")
    # A development machine gets a random secret kept under build/, so
    # conversations still find their history after a restart.
    if DEV_SECRET_FILE.exists():
        return DEV_SECRET_FILE.read_bytes().strip()
    DEV_SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_hex(32).encode("ascii")
    DEV_SECRET_FILE.write_bytes(generated)
    DEV_SECRET_FILE.chmod(0o600)
    logger.warning(
        "%s is not set: using a development secret in %s. Set it in production.",
        SECRET_ENV, DEV_SECRET_FILE,
    )
    return generated


def conversation_key(*parts: str) -> str:
    """A keyed hash that stands for a person's conversation: stable, not reversible without the secret."""
    message = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return hmac.new(_secret(), message, hashlib.sha256).hexdigest()


class RedactingFilter(logging.Filter):
    """Redacts personal details from every log record that passes through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logged as it is
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and record.exc_info[0] is not None:
            # a traceback may quote what the person said
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


_installed = False


def install_log_redaction() -> None:
    """Adds the redacting filter to the root logger's handlers (once per process)."""
    global _installed
    if _installed:
        return
    flt = RedactingFilter()
    root = logging.getLogger()
    for handler in root.handlers:
        handler.addFilter(flt)
    # handlers created later (Rasa configures logging after imports) get it too
    original = logging.Handler.__init__

    def init_with_filter(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.addFilter(flt)

    logging.Handler.__init__ = init_with_filter
    _installed = True
