"""Staff passwords: scrypt (memory-hard, from OpenSSL through hashlib), each with its own salt.

scrypt is in Python's standard library (OpenSSL's), so no extra package is
needed. The cost is OWASP's minimum for scrypt (n=2**17, r=8, p=1: 128 MiB per
check); one check took 0.6 s on the 2-core development machine with the test
suite running beside it, 0.2 s at n=2**15.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2 ** 17, 8, 1
_MAXMEM = 256 * 1024 * 1024
MIN_LENGTH = 12


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)


def hash_password(password: str) -> str:
    """'scrypt$n$r$p$salt$hash' (base64) for storing."""
    salt = secrets.token_bytes(16)
    digest = _derive(password, salt, N, R, P)
    encode = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"scrypt${N}${R}${P}${encode(salt)}${encode(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        derived = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(derived, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False


# checked against when the name is unknown, so a wrong name takes as long as a wrong password
DUMMY_HASH = hash_password(secrets.token_hex(16))
