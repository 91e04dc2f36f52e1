"""Encryption of call back numbers at rest: Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`).

The key is CC_CALLBACK_KEY, a Fernet key (urlsafe base64 of 32 bytes); make one with
`.venv/bin/python -m companion.staff.crypto`. Without it no call back number is kept.
"""

from __future__ import annotations

import os
from typing import Mapping

from cryptography.fernet import Fernet, InvalidToken

KEY_ENV = "CC_CALLBACK_KEY"


class NoKey(RuntimeError):
    """CC_CALLBACK_KEY is not set (or is not a Fernet key): numbers cannot be kept."""


def _fernet(environ: Mapping[str, str] = os.environ) -> Fernet:
    key = environ.get(KEY_ENV) or ""
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, TypeError):
        raise NoKey(f"{KEY_ENV} is not set to a Fernet key") from None


def available(environ: Mapping[str, str] = os.environ) -> bool:
    try:
        _fernet(environ)
        return True
    except NoKey:
        return False


def encrypt(number: str) -> str:
    return _fernet().encrypt(number.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        return ""  # encrypted with another key: unreadable, shown as such


if __name__ == "__main__":
    print(Fernet.generate_key().decode("ascii"))
