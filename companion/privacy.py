"""Privacy: keyed hashing of conversation keys, and redaction of personal details in text and logs.

Nothing that identifies a person is kept: caller numbers and sender ids are
stored only as a keyed hash (HMAC-SHA256 with a secret from the environment),
and the identifiers in what people type or say (names, addresses, numbers:
HIPAA's Safe Harbor list, companion.redaction) are replaced by a label before
anything is stored or logged. `install_log_redaction` puts the redaction on
every log handler of the process and on tracebacks printed outside logging.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import secrets
import sys
import threading
import traceback
from typing import Any

from companion import PROJECT_ROOT, redaction

SECRET_ENV = "CC_ID_SECRET"
DEV_SECRET_FILE = PROJECT_ROOT / "build" / "id-secret"

logger = logging.getLogger(__name__)

def redact(text: Any) -> Any:
    """The same text with personal details replaced by labels ([name], [phone], ...); non-strings pass through."""
    return _redact_cached(text) if isinstance(text, str) else text


@functools.lru_cache(maxsize=4096)
def _redact_cached(text: str) -> str:
    # log lines repeat; a message is redacted once for the store and again for any log line quoting it
    return redaction.redact(text)


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

    _busy = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(self._busy, "on", False):
            # a record logged by the redaction itself, while it works on another one: never the person's words
            return False
        self._busy.on = True
        try:
            return self._redact(record)
        finally:
            self._busy.on = False

    @staticmethod
    def _redact(record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True  # several handlers share one record
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
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._redacted = True
        return True


_installed = False
_FILTER = RedactingFilter()


def _all_handlers():
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    return {id(h): h for logger in loggers for h in logger.handlers}.values()


def _redacted_excepthook(exc_type, value, tb) -> None:
    """sys.excepthook: the traceback of an uncaught exception, redacted."""
    sys.stderr.write(redact("".join(traceback.format_exception(exc_type, value, tb))))


def install_log_redaction() -> None:
    """Puts the redacting filter on every log handler of this process, now and later (once per process).

    Handlers made later (Rasa and Sanic configure logging after imports) get it
    when they are created; a traceback that escapes to stderr is redacted too.
    """
    global _installed
    if _installed:
        return
    for handler in _all_handlers():
        handler.addFilter(_FILTER)
    original = logging.Handler.__init__

    def init_with_filter(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.addFilter(_FILTER)

    logging.Handler.__init__ = init_with_filter  # type: ignore[method-assign]
    # Python's last resort for records with no handler at all
    if logging.lastResort is not None:
        logging.lastResort.addFilter(_FILTER)
    sys.excepthook = _redacted_excepthook
    threading.excepthook = lambda hook_args: sys.excepthook(
        hook_args.exc_type, hook_args.exc_value or hook_args.exc_type(), hook_args.exc_traceback)
    for name in ("presidio-analyzer", "presidio-anonymizer"):
        logging.getLogger(name).setLevel(logging.WARNING)
    _installed = True
