"""The redaction patterns the project used before companion.redaction, kept as the baseline `make eval-privacy` compares against."""

from __future__ import annotations

import re
from typing import List, Tuple

_MONTHS = (
    r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|"
    r"sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?)"
)
_NUMBER_WORDS = r"(zero|oh|one|two|three|four|five|six|seven|eight|nine)"
PATTERNS = [
    ("EMAIL_ADDRESS", re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", re.IGNORECASE)),
    ("EMAIL_ADDRESS", re.compile(r"\b[\w.+-]+ at [\w-]+ dot (com|org|net|edu|gov|us)\b", re.IGNORECASE)),
    ("DATE_TIME", re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-](\d{4}|\d{2})\b")),
    ("DATE_TIME", re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b")),
    ("DATE_TIME", re.compile(rf"\b{_MONTHS}\.? \d{{1,2}}(st|nd|rd|th)?,? \d{{4}}\b", re.IGNORECASE)),
    ("DATE_TIME", re.compile(rf"\b\d{{1,2}}(st|nd|rd|th)? (of )?{_MONTHS}\.?,? \d{{4}}\b", re.IGNORECASE)),
    ("DATE_TIME", re.compile(rf"\b(born|birthday|date of birth|dob)\b[^.?!]{{0,20}}?\b{_MONTHS}\b[^.?!]{{0,12}}", re.IGNORECASE)),
    ("US_SSN", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    ("MEDICAL_RECORD", re.compile(
        r"\b(mrn|medical record( number)?|record (number|no|#)|patient (id|number|no)|account (number|no)|"
        r"member (id|number)|accession( number)?|chart number|insurance (id|number))\b(\s+(is|was|of))?\W{0,3}[:#]?\s*[a-z]{0,3}[\d-]{3,}",
        re.IGNORECASE)),
    ("PHONE_NUMBER", re.compile(r"(?<![\w-])(\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\w)")),
    ("PHONE_NUMBER", re.compile(r"\b(\d[\s,.-]*){7,}\d?\b")),
    ("PHONE_NUMBER", re.compile(rf"\b({_NUMBER_WORDS}[\s,-]+){{6,}}{_NUMBER_WORDS}\b", re.IGNORECASE)),
    ("MEDICAL_RECORD", re.compile(r"\b[a-z]{0,3}\d{6,}\b", re.IGNORECASE)),
]


def find(text: str) -> List[Tuple[int, int, str]]:
    return [(m.start(), m.end(), entity) for entity, pattern in PATTERNS for m in pattern.finditer(text)]
