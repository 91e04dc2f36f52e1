"""Identifiers made of numbers and codes: dates, ages over 89, ZIP codes, and the numbers a cue names.

Typed and spoken alike: "MRN 88812345", "my member id is x w b one two three",
"born march fourteenth nineteen sixty eight", "my zip is five five one two three".
Phone numbers, e-mail, SSNs in their usual shapes, card numbers, IP and web
addresses are left to Presidio's own recognisers (companion.redaction.engine).
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence, Tuple

from companion.redaction import lexicon
from companion.redaction.tokens import Token, at, phrase_at

Span = Tuple[int, int, str]

# cue phrases and what they name; the longest phrase that matches wins
_CUES = [
    ("US_SSN", ["social security number|no|#"], ["social security"], ["ssn"], ["social"], ["last", "four"]),
    ("MEDICAL_RECORD", ["medical", "record", "number|no|#"], ["medical", "record"], ["record", "number|no|#"],
     ["mrn"], ["patient", "id|number|no|#"], ["chart", "number|no|#"], ["chart"], ["accession", "number|no|#"],
     ["accession"], ["case", "number"]),
    ("MEMBER_ID", ["member", "id|number|no|#"], ["insurance", "id|number|no|#"], ["insurance", "card", "number"],
     ["policy", "number|no|#"], ["policy"], ["group", "number|no|#"], ["group"], ["subscriber", "id|number"],
     ["medicare", "id|number|no|#"], ["medicaid", "id|number|no|#"], ["beneficiary", "id|number"],
     ["id|identification", "number|no|#"], ["id"], ["member"]),
    ("ACCOUNT_NUMBER", ["account", "number|no|#"], ["billing", "account"], ["account"], ["invoice", "number|no|#"],
     ["invoice"], ["card", "number|no|#"], ["card"], ["bill", "number"], ["confirmation", "number|code"]),
    ("LICENSE_NUMBER", ["driver|driver's|drivers", "license|licence", "number|no|#"],
     ["driver|driver's|drivers", "license|licence"], ["license|licence", "number|no|#"],
     ["certificate", "number|no|#"], ["passport", "number|no|#"], ["passport"]),
    ("VEHICLE_ID", ["license|licence", "plate", "number|no|#"], ["license|licence", "plate"],
     ["plate", "number|no|#"], ["plate"], ["vin"], ["vehicle", "identification", "number"]),
    ("DEVICE_ID", ["serial", "number|no|#"], ["serial"], ["sn"], ["device", "id|number"]),
    ("ZIP_CODE", ["zip|postal", "code"], ["zip|zipcode"]),
]
# words between a cue and its value: "my member id IS ...", "last four OF MY SOCIAL ARE ..."
_FILLER = {"is", "was", "are", "of", "my", "the", "number", "no", "#", "id", "on", "it's", "its", "says", "it",
           "security", "social", "ssn", "code", "card", "be", "should", "reads", "on", "letter", "bill", "a"}
_CODE = re.compile(r"^#?[A-Za-z]{0,5}[0-9][A-Za-z0-9-]*$|^#?[A-Za-z0-9]+-[A-Za-z0-9-]*[0-9][A-Za-z0-9-]*$")


def _is_value_part(token: Token, spoken_letters: bool) -> bool:
    if token.has_digit and _CODE.match(token.text):
        return True
    if token.lower in lexicon.NUMBER_WORDS:
        return True
    if spoken_letters and len(token.text) == 1 and token.text.isalpha():
        return True
    # a short block of capitals inside a code: "ACC 2024", "PJN 448127 S"
    return token.text.isupper() and token.text.isalpha() and len(token.text) <= 4 and token.text not in ("I", "A")


def _starts_value(tokens: Sequence[Token], index: int) -> bool:
    """A value read out as letters or digits starts here: "a b c one two", "x w b one", "four four one"."""
    token, following = tokens[index], at(tokens, index + 1)
    if token.lower in lexicon.NUMBER_WORDS or (token.has_digit and _CODE.match(token.text)):
        return True
    if token.text.isupper() and token.text.isalpha() and len(token.text) <= 4 and following is not None \
            and following.has_digit:
        return True  # "ACC 2024 55871", "UHC 9938 2201"
    return len(token.text) == 1 and token.text.isalpha() and token.text.islower() and following is not None and (
        len(following.text) == 1 or following.lower in lexicon.NUMBER_WORDS)


def _digits_in(parts: Sequence[Token]) -> int:
    return sum(sum(ch.isdigit() for ch in t.text) + (1 if t.lower in lexicon.NUMBER_WORDS else 0) for t in parts)


def _value_after(tokens: Sequence[Token], index: int) -> Optional[Tuple[int, int]]:
    """The token range of an identifier starting at or shortly after `index`, if there is one.

    Up to four linking words and two others may stand between: "serial number ON MY PACEMAKER IS ...".
    """
    i, skipped, others = index, 0, 0
    while i < len(tokens) and skipped < 6 and not tokens[i].has_digit and not re.search(r"[.!?;]", tokens[i].gap) \
            and not _starts_value(tokens, i):
        if tokens[i].lower not in _FILLER:
            others += 1
            if others > 2:
                return None
        i, skipped = i + 1, skipped + 1
    start = i
    while i < len(tokens) and (i == start or not re.search(r"[.!?;]|,\s", tokens[i].gap)):
        token = tokens[i]
        spoken = token.lower == token.text  # letters read out one by one only in lower case
        if not _is_value_part(token, spoken) or (token.lower == "a" and not _starts_value(tokens, i)):
            break
        i += 1
    parts = tokens[start:i]
    # trailing capitals or letters without a digit after them are words, not part of the code
    while parts and not parts[-1].has_digit and parts[-1].lower not in lexicon.NUMBER_WORDS and len(parts[-1].text) > 1:
        parts = parts[:-1]
    if not parts or _digits_in(parts) < 3:
        return None
    return parts[0].index, parts[-1].index


def cued_identifiers(tokens: Sequence[Token]) -> List[Span]:
    spans: List[Span] = []
    i = 0
    while i < len(tokens):
        found = None
        for entity, *phrases in _CUES:
            for phrase in phrases:
                if phrase_at(tokens, i, phrase) and (found is None or len(phrase) > found[1]):
                    found = (entity, len(phrase))
        if found:
            entity, length = found
            value = _value_after(tokens, i + length)
            if value:
                first, last = value
                spans.append((tokens[first].start, tokens[last].end, entity))
                i = last + 1
                continue
        i += 1
    return spans


def spoken_number_runs(tokens: Sequence[Token]) -> List[Span]:
    """Four or more digits read out as words ("six one two five five five ..."): a phone number at seven or more."""
    spans: List[Span] = []
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and (tokens[j].lower in lexicon.NUMBER_WORDS - set(lexicon.SCALE_WORDS)
                                   or (tokens[j].has_digit and tokens[j].text.isdigit())):
            if j > i and re.search(r"[.!?;]", tokens[j].gap):
                break
            j += 1
        run = tokens[i:j]
        digits = _digits_in(run)
        single = sum(1 for t in run if t.is_digit_word)
        if single >= 3 and digits >= 4:
            spans.append((run[0].start, run[-1].end, "PHONE_NUMBER" if digits >= 7 else "ID_NUMBER"))
        i = max(j, i + 1)
    return spans


_DIGIT_GROUPS = re.compile(r"(?<![\w/.-])(\d[\d -]{3,}\d)(?![\w/-])")


def digit_groups(text: str) -> List[Span]:
    """Numbers of five digits or more, however grouped: anything longer than a count is an identifier."""
    spans = []
    for match in _DIGIT_GROUPS.finditer(text):
        digits = sum(ch.isdigit() for ch in match.group(1))
        if digits >= 5 and not re.fullmatch(r"\d{1,3}( \d{1,3})?", match.group(1)):
            spans.append((match.start(1), match.end(1), "ID_NUMBER"))
    for match in re.finditer(r"(?<![\w/.-])(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9-]{4,}\b", text):
        code = match.group()
        if re.fullmatch(r"[0-9a-f]{12,64}", code):
            continue  # a keyed hash in a log line names no one
        if sum(ch.isdigit() for ch in code) >= 4 and not re.fullmatch(r"\d+(st|nd|rd|th|s|am|pm|mm|cm)", code, re.I):
            spans.append((match.start(), match.end(), "ID_NUMBER"))
    return spans


# --- ZIP codes -------------------------------------------------------------------------
_ZIP = re.compile(r"(?<![\w-])\d{5}(?:-\d{4})?(?![\w-])")


def zip_codes(text: str, tokens: Sequence[Token]) -> List[Span]:
    spans = []
    for match in _ZIP.finditer(text):
        spans.append((match.start(), match.end(), "ZIP_CODE"))
    # five digits read out after a state: "minnesota five five one two three"
    for i, token in enumerate(tokens):
        state = token.lower in lexicon.STATES or token.text in lexicon.STATE_ABBREVIATIONS
        if state and all(t is not None and t.is_digit_word for t in (at(tokens, i + k) for k in range(1, 6))):
            spans.append((tokens[i + 1].start, tokens[i + 5].end, "ZIP_CODE"))
    return spans


# --- dates -------------------------------------------------------------------------------
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_TYPED_DATES = [
    re.compile(r"(?<![\w/.])(?:0?[1-9]|1[0-2])[/.-](?:[12]\d|3[01]|0?[1-9])[/.-](?:\d{4}|\d{2})(?![\w/])"),
    re.compile(r"(?<![\w/.])\d{4}-(?:0?[1-9]|1[0-2])-(?:[12]\d|3[01]|0?[1-9])(?![\w/])"),
    # a month and day without a year: "10/21" (never a fraction like 1/2 or 24/7)
    re.compile(r"(?<![\w/.$])(?:0?[1-9]|1[0-2])/(?:1[3-9]|[23]\d|0[1-9])(?![\w/%])"),
    re.compile(rf"\b{_MONTH}\.?\s+{_DAY}\b(?:,?\s+\d{{4}})?", re.IGNORECASE),
    re.compile(rf"\b(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}\b\.?(?:,?\s+\d{{4}})?", re.IGNORECASE),
]


def _spoken_number_end(tokens: Sequence[Token], index: int, limit: int = 4) -> int:
    """The index after a run of number words or ordinals starting at `index` (index itself when none)."""
    j = index
    while j < len(tokens) and j - index < limit and (
        tokens[j].lower in lexicon.NUMBER_WORDS or tokens[j].lower in lexicon.ORDINAL_WORDS
        or lexicon.ORDINAL_NUMBER.match(tokens[j].text) or (tokens[j].text.isdigit() and len(tokens[j].text) <= 4)
    ):
        j += 1
    return j


def dates(text: str, tokens: Sequence[Token]) -> List[Span]:
    spans = [(m.start(), m.end(), "DATE_TIME") for p in _TYPED_DATES for m in p.finditer(text)]
    for i, token in enumerate(tokens):
        if token.bare.rstrip(".") in lexicon.MONTHS:
            following = at(tokens, i + 1)
            # "march fourteenth nineteen sixty eight", "july fourth"; not "may i" or "march on"
            if following is not None and (following.lower in lexicon.ORDINAL_WORDS
                                          or (following.lower in lexicon.NUMBER_WORDS and token.lower != "may")):
                end = _spoken_number_end(tokens, i + 1, limit=6)
                spans.append((token.start, tokens[end - 1].end, "DATE_TIME"))
            # "the third of may"
            if phrase_at(tokens, i - 1, ["of"]) and at(tokens, i - 2) is not None and tokens[i - 2].lower in lexicon.ORDINAL_WORDS:
                spans.append((tokens[i - 2].start, token.end, "DATE_TIME"))
        # a birth date said as numbers: "date of birth one fourteen sixty eight", "born 3 14 68"
        if token.lower in ("born", "birth", "dob", "birthday", "birthdate"):
            j = i + 1
            while j < len(tokens) and tokens[j].lower in ("is", "on", "the", "of", "was", "date"):
                j += 1
            end = _spoken_number_end(tokens, j, limit=7)
            if end - j >= 2:
                spans.append((tokens[j].start, tokens[end - 1].end, "DATE_TIME"))
    return spans


# --- ages over 89 ---------------------------------------------------------------------
_AGE_CUE = {"i'm", "im", "am", "she's", "he's", "aged", "age", "turned", "turning"}
# "my mother is 94", "she is 92"; not "fever is 104"
_PERSON_BEFORE_IS = {"she", "he", "mom", "mother", "mum", "dad", "father", "grandmother", "grandma", "husband", "wife",
                     "aunt", "uncle", "sister", "brother", "patient", "friend", "neighbor"}
_AGE_UNITS = {"mm", "cm", "percent", "%", "minutes", "minute", "days", "day", "dollars", "seconds", "pounds", "lbs",
              "women", "people", "in", "out", "times"}


def ages_over_89(tokens: Sequence[Token]) -> List[Span]:
    spans = []
    for i, token in enumerate(tokens):
        value, end = None, i
        if token.text.isdigit() and 90 <= int(token.text) <= 119:
            value = int(token.text)
        elif token.lower == "ninety" or (token.lower == "one" and phrase_at(tokens, i + 1, ["hundred"])):
            value, end = 90, _spoken_number_end(tokens, i, limit=4) - 1
        if value is None:
            continue
        following, preceding = at(tokens, end + 1), at(tokens, i - 1)
        old = following is not None and following.lower in ("years", "year", "yrs", "yo") and (
            following.lower == "yo" or phrase_at(tokens, end + 2, ["old"]))
        person_is = preceding is not None and preceding.lower == "is" and i > 1 and tokens[i - 2].lower in _PERSON_BEFORE_IS
        cued = preceding is not None and (preceding.lower in _AGE_CUE or person_is) and (
            following is None or following.lower not in _AGE_UNITS)
        if old or cued:
            spans.append((token.start, tokens[end].end, "AGE"))
    return spans
