"""Redaction of personal details from what people type or say: HIPAA's Safe Harbor identifiers, replaced by labels.

`redact(text)` is what every store and log uses (through companion.privacy);
companion.redaction.engine holds the redactor, the other modules its recognisers.
"""

from __future__ import annotations

from typing import Any


def redact(text: Any) -> Any:
    """The same text with personal details replaced by labels ([name], [phone], ...); non-strings pass through."""
    if not isinstance(text, str) or not any(ch.isalnum() for ch in text):
        return text
    from companion.redaction import engine

    if engine.building():
        return text  # a log line of the libraries while the redactor is built, never a person's words
    return engine.shared_redactor().redact(text)
