"""Phone numbers in the three forms people meet them: dialled, read, and spoken digit by digit."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"\D")


def digits(number: str) -> str:
    return _NON_DIGITS.sub("", number or "")


def e164(number: str) -> str:
    """'+18002272345' from any US-style writing; short codes such as 988 stay as they are."""
    d = digits(number)
    if len(d) == 10:
        d = "1" + d
    return "+" + d if len(d) == 11 else d


def display(number: str) -> str:
    """'1-800-227-2345', or '988' for a short code."""
    d = digits(number)
    if len(d) == 10:
        d = "1" + d
    if len(d) == 11:
        return f"{d[0]}-{d[1:4]}-{d[4:7]}-{d[7:]}"
    return d


def spoken(number: str) -> str:
    """'1 8 0 0, 2 2 7, 2 3 4 5': spaced digits, so any voice reads them one by one, with short pauses."""
    groups = display(number).split("-")
    return ", ".join(" ".join(group) for group in groups)


def tel_uri(number: str) -> str:
    return "tel:" + e164(number)


# a number said digit by digit, as spoken content writes it: "1 8 0 0, 2 2 7, 2 3 4 5", "9 8 8"
_SPOKEN = re.compile(r"(?<![\w])\d(?:(?:,\s*|\s+)\d){2,}(?![\w])")


def written(text: str) -> str:
    """Spoken content for a screen: "call 1 8 0 0, 2 2 7, 2 3 4 5" becomes "call 1-800-227-2345", "9 8 8" "988"."""
    return _SPOKEN.sub(lambda m: display(digits(m.group(0))), text or "")
