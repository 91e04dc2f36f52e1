"""The word lists the recognisers read: names, ordinary English words, street types, states, months and number words.

Names come from probablepeople (US census first names with their share of
first-name use, and surnames), ordinary words from Webster's word list as
english-words ships it (a word it lists in lower case is an ordinary word,
so "hope" or "mark" needs a cue before it counts as a name), street types and
directions from usaddress. Only the states, months and number words are
written here.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import FrozenSet

from spacy.lang.en.stop_words import STOP_WORDS

STATES = {
    "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca", "colorado": "co",
    "connecticut": "ct", "delaware": "de", "florida": "fl", "georgia": "ga", "hawaii": "hi", "idaho": "id",
    "illinois": "il", "indiana": "in", "iowa": "ia", "kansas": "ks", "kentucky": "ky", "louisiana": "la",
    "maine": "me", "maryland": "md", "massachusetts": "ma", "michigan": "mi", "minnesota": "mn",
    "mississippi": "ms", "missouri": "mo", "montana": "mt", "nebraska": "ne", "nevada": "nv",
    "new hampshire": "nh", "new jersey": "nj", "new mexico": "nm", "new york": "ny", "north carolina": "nc",
    "north dakota": "nd", "ohio": "oh", "oklahoma": "ok", "oregon": "or", "pennsylvania": "pa",
    "rhode island": "ri", "south carolina": "sc", "south dakota": "sd", "tennessee": "tn", "texas": "tx",
    "utah": "ut", "vermont": "vt", "virginia": "va", "washington": "wa", "west virginia": "wv",
    "wisconsin": "wi", "wyoming": "wy", "district of columbia": "dc", "puerto rico": "pr",
}
STATE_ABBREVIATIONS = frozenset(a.upper() for a in STATES.values())
# abbreviations that are also words or common letters ("member ID", "IN", "OK"): a state only before a ZIP code or after a comma
AMBIGUOUS_STATES = frozenset({"ID", "IN", "OR", "ME", "OK", "HI", "OH", "LA", "PA", "MA", "DE", "CO", "AL", "MD", "MS",
                              "DC", "CT", "NE", "SC", "PR", "MT", "VA", "AK"})

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}

DIGIT_WORDS = {"zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
               "seven": 7, "eight": 8, "nine": 9}
TEEN_WORDS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
              "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS_WORDS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
              "ninety": 90}
SCALE_WORDS = {"hundred": 100, "thousand": 1000}
NUMBER_WORDS = frozenset({*DIGIT_WORDS, *TEEN_WORDS, *TENS_WORDS, *SCALE_WORDS} - {"o"})
ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30,
}
ORDINAL_NUMBER = re.compile(r"^\d{1,2}(st|nd|rd|th)$", re.IGNORECASE)

DAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

# words that a name never is, even where a list of surnames has them
FUNCTION_WORDS = frozenset(w for w in STOP_WORDS if w not in {"will", "may", "bill", "mark", "grace", "rose"}) | {
    "i'm", "im", "it's", "its", "i've", "i'll", "i'd", "um", "uh", "yeah", "yes", "ok", "okay", "hi", "hello",
    "hey", "so", "like", "just", "really", "calling", "here", "again", "today", "yesterday", "tomorrow",
    "please", "thanks", "thank", "sorry", "oh", "well", "doctor", "dr", "nurse", "mrs", "ms", "mr", "miss",
} | DAYS


@functools.lru_cache(maxsize=1)
def _given_names() -> dict:
    from probablepeople.gender import gender_names
    from probablepeople.ratios import ratios

    names = {name.lower(): 1.0 for name in gender_names}
    names.update({name.lower(): share for name, share in ratios.items() if share >= 0.5})
    return names


@functools.lru_cache(maxsize=1)
def _all_names() -> FrozenSet[str]:
    from probablepeople.ratios import ratios

    return frozenset(name.lower() for name in ratios) | frozenset(_given_names())


def _lookups(name: str):
    import gzip
    import json

    import spacy_lookups_data

    with gzip.open(Path(spacy_lookups_data.__file__).parent / "data" / name, "rt", encoding="utf-8") as f:
        return json.load(f)


@functools.lru_cache(maxsize=1)
def _lemmas() -> dict:
    """Inflected form -> lemma ("said" -> "say"), spaCy's English lookup table."""
    return _lookups("en_lemma_lookup.json.gz")


@functools.lru_cache(maxsize=1)
def _ordinary_words() -> FrozenSet[str]:
    """Webster's lower-case words, and WordNet's verbs, adjectives and adverbs (never a name on their own)."""
    from english_words import get_english_words_set

    words = {w for w in get_english_words_set(["web2"], alpha=True, lower=False) if w.islower()}
    index = _lookups("en_lemma_index.json.gz")
    words.update(w for part in ("verb", "adj", "adv") for w in index[part] if w.isalpha())
    return frozenset(words)


@functools.lru_cache(maxsize=1)
def _inflected_verbs() -> FrozenSet[str]:
    """Verb forms other than the base form ("said", "wants", "told")."""
    verbs = set(_lookups("en_lemma_index.json.gz")["verb"])
    return frozenset(form for form, lemma in _lemmas().items() if lemma in verbs and form != lemma)


def is_given_name(word: str) -> bool:
    """A first name people are given (Maria, Hope, Will)."""
    word = word.lower()
    return word not in FUNCTION_WORDS and word in _given_names()


def is_known_name(word: str) -> bool:
    """A first name or a surname on the census lists."""
    word = word.lower()
    return word not in FUNCTION_WORDS and word in _all_names()


def is_ordinary_word(word: str) -> bool:
    """An English word in its own right (hope, mark, baker), so a name only where a cue says so."""
    word = word.lower()
    ordinary = _ordinary_words()
    return word in FUNCTION_WORDS or word in ordinary or word.rstrip("s") in ordinary or _lemmas().get(word) in ordinary


def is_inflected_verb(word: str) -> bool:
    """True for "said", "wants", "called": a word after a name that is no part of it."""
    return word.lower() in _inflected_verbs()


@functools.lru_cache(maxsize=1)
def street_types() -> FrozenSet[str]:
    import usaddress

    # "is" (island) and the like would make "six mean is" a street; here a center is a clinic ("one breast center")
    not_streets = {"center", "centers", "centre", "ctr", "common", "commons"}
    return frozenset(usaddress.STREET_NAMES - FUNCTION_WORDS - not_streets) | {"st", "ave", "rd", "blvd", "ln", "dr", "ct", "hwy", "pkwy"}


@functools.lru_cache(maxsize=1)
def directions() -> FrozenSet[str]:
    import usaddress

    return frozenset(usaddress.DIRECTIONS)


def load() -> None:
    """Reads every list now rather than on the first message."""
    _given_names(), _all_names(), _lemmas(), _ordinary_words(), _inflected_verbs(), street_types(), directions()
