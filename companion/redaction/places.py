"""Street addresses and the towns and counties people say they live in.

A street address is a house number (digits, or words as a caller says them:
"forty two", "eleven eighty seven"), up to four words of street name and a
street type from usaddress's list ("Elm Street", "N Maple Ave"), then a
direction or a unit if one follows ("South", "Apt 4B", "#7"); also "PO Box
1142", and "I live on Cedar Avenue" without a number. A town is what stands
before a state or a ZIP code, after "live in", "from" or "in" next to an
address, or before "County".
"""

from __future__ import annotations

import re
from typing import List, Sequence, Set, Tuple

from companion.redaction import lexicon
from companion.redaction.tokens import Token, at, phrase_at

Span = Tuple[int, int, str]

_UNIT_WORDS = {"apt", "apartment", "unit", "suite", "ste", "#", "number", "no", "room", "lot", "building", "bldg", "floor"}
_RESIDENCE_ON = [["live|lives|living", "on"], ["house", "is", "on"], ["i'm|we're|im", "on"]]
_RESIDENCE_IN = [["live|lives|living", "in|near|outside"], ["live|lives|living", "out", "in"], ["i'm|im|we're|we", "in"],
                 ["i'm|im|we're", "from"], ["from"], ["moved", "to"], ["in"], ["near"], ["outside", "of"]]
_PLACE_SUFFIXES = {"county", "parish", "township", "borough"}
_TOWN_PREFIXES = {"saint", "st", "fort", "ft", "mount", "mt", "new", "east", "west", "north", "south", "lake", "port", "san", "santa", "los", "las", "el"}


def _house_number_end(tokens: Sequence[Token], index: int) -> int:
    """The index after a house number starting at `index`, or `index` when there is none."""
    token = tokens[index]
    if re.fullmatch(r"[NSEWnsew]?\d{1,6}[A-Za-z]?", token.text):
        return index + 1
    j = index
    while j < len(tokens) and j - index < 5 and tokens[j].lower in lexicon.NUMBER_WORDS:
        j += 1
    return j


def _street_end(tokens: Sequence[Token], start: int) -> int:
    """The index after "[direction] name... type" starting at `start`, or `start` when it is no street.

    The last street type within five words ends it: "Oak Ridge Road", "Lakeshore Drive".
    """
    end = start
    for j in range(start, min(start + 5, len(tokens))):
        token = tokens[j]
        abbreviated = j > start and len(tokens[j - 1].text) <= 3 and tokens[j].gap.strip() == "."  # "W. 38th"
        if j > start and re.search(r"[.!?,;:]", token.gap) and not abbreviated:
            break
        if token.bare in lexicon.FUNCTION_WORDS and token.bare not in lexicon.directions():
            break
        if j > start and token.bare.rstrip(".") in lexicon.street_types():
            end = j + 1
    if end > start:
        following = at(tokens, end)
        # "County Road K": a letter or number after the type names the road
        if following is not None and re.fullmatch(r"[A-Z]|\d{1,3}", following.text) and not re.search(r"[,.]", following.gap):
            end += 1
    return end


def _unit_end(tokens: Sequence[Token], end: int) -> int:
    """Extends an address over a direction and a unit: "South", "Apt 4B", "#7", "unit 12", "number seven"."""
    following = at(tokens, end)
    if following is not None and following.lower.rstrip(".") in lexicon.directions() and not re.search(r"[,.]", following.gap):
        end += 1
    following = at(tokens, end)
    if following is not None and (following.lower.lstrip("#") in _UNIT_WORDS or "#" in following.gap or following.text.startswith("#")):
        if following.text.startswith("#") and following.has_digit:
            return end + 1
        value = at(tokens, end + 1)
        if value is not None and (value.has_digit or value.lower in lexicon.NUMBER_WORDS or len(value.text) <= 2):
            last = end + 1
            while at(tokens, last + 1) is not None and tokens[last + 1].lower in lexicon.NUMBER_WORDS:
                last += 1
            return last + 1
    return end


def street_addresses(tokens: Sequence[Token]) -> List[Span]:
    spans: List[Span] = []
    covered: Set[int] = set()
    for i, token in enumerate(tokens):
        if i in covered:
            continue
        number_end = _house_number_end(tokens, i)
        single_word = number_end == i + 1 and token.lower in lexicon.NUMBER_WORDS and token.lower in lexicon.DIGIT_WORDS
        if single_word and not (i > 0 and tokens[i - 1].lower in ("at", "is", "to", "address")):
            number_end = i
        if number_end > i:
            street_end = _street_end(tokens, number_end)
            if street_end > number_end:
                end = _unit_end(tokens, street_end)
                spans.append((token.start, tokens[end - 1].end, "STREET_ADDRESS"))
                covered.update(range(i, end))
                continue
        if phrase_at(tokens, i, ["po|p.o", "box"]) or phrase_at(tokens, i, ["p", "o", "box"]):
            box = i + (3 if tokens[i].lower == "p" else 2)
            value = at(tokens, box)
            if value is not None and (value.has_digit or value.lower in lexicon.NUMBER_WORDS):
                end = _house_number_end(tokens, box) if not value.has_digit else box + 1
                spans.append((token.start, tokens[end - 1].end, "STREET_ADDRESS"))
                covered.update(range(i, end))
                continue
        for phrase in _RESIDENCE_ON:
            if phrase_at(tokens, i, phrase):
                start = i + len(phrase)
                street_end = _street_end(tokens, start) if at(tokens, start) is not None else start
                if street_end > start:
                    spans.append((tokens[start].start, tokens[street_end - 1].end, "STREET_ADDRESS"))
                    covered.update(range(start, street_end))
    return spans


def _is_state_at(tokens: Sequence[Token], index: int) -> int:
    """How many words a state name at `index` takes (0 when there is none)."""
    for length in (3, 2, 1):
        words = tokens[index: index + length]
        if len(words) == length and " ".join(t.lower for t in words) in lexicon.STATES:
            if length == 1 or not any(re.search(r"[.,]", t.gap) for t in words[1:]):
                return length
    token = at(tokens, index)
    if token is None or token.text not in lexicon.STATE_ABBREVIATIONS or not token.text.isupper() or len(token.text) != 2:
        return 0
    if token.text in lexicon.AMBIGUOUS_STATES:
        following = at(tokens, index + 1)
        zip_after = following is not None and bool(re.fullmatch(r"\d{5}(-\d{4})?", following.text))
        town_before = index > 0 and tokens[index - 1].capitalised
        return 1 if zip_after or ("," in token.gap and town_before) else 0
    return 1


def _place_word(token: Token) -> bool:
    camel = any(ch.isupper() for ch in token.text[1:]) and not token.text.isupper()  # "MyChart" is no town
    return not camel and token.alphabetic and token.bare not in lexicon.FUNCTION_WORDS and token.lower not in lexicon.NUMBER_WORDS \
        and token.bare not in _UNIT_WORDS


def towns(tokens: Sequence[Token], addresses: List[Span], people: List[Span]) -> List[Span]:
    spans: List[Span] = []
    address_ends = {end for _, end, _ in addresses}
    name_ends = {end for _, end, _ in people}
    # in a message typed with capitals, a town is written with one ("Ashley from scheduling" names no town)
    cased = any(t.text[:1].isupper() for t in tokens if t.text not in ("I", "I'm"))
    for i, token in enumerate(tokens):
        state_length = _is_state_at(tokens, i)
        following_state = at(tokens, i + state_length)
        zip_after = following_state is not None and bool(re.fullmatch(r"\d{5}(-\d{4})?", following_state.text))
        # "Maple Grove, MN", "maple grove minnesota", "Duluth MN 55802": up to three words before a state
        if state_length and i > 0 and (not cased or tokens[i - 1].capitalised) and (token.text.isupper() or token.lower != token.text or zip_after
                                       or tokens[i - 1].lower == tokens[i - 1].text):
            j = i - 1
            while j >= 0 and i - j <= 3 and _place_word(tokens[j]) and (j == i - 1 or not re.search(r"[,.;:!?]", tokens[j + 1].gap)):
                if tokens[j].end in address_ends:
                    break
                j -= 1
                if j >= 0 and tokens[j].end in address_ends:
                    break
            if j < i - 1:
                first = tokens[j + 1]
                if not (first.lower in ("in", "at") or _is_state_at(tokens, j + 1)):
                    spans.append((first.start, tokens[i - 1].end, "LOCATION"))
        # "Brown County", "anoka county"
        if token.bare in _PLACE_SUFFIXES and i > 0 and _place_word(tokens[i - 1]):
            first = i - 1
            if first > 0 and _place_word(tokens[first - 1]) and tokens[first - 1].capitalised and tokens[first].capitalised:
                first -= 1
            spans.append((tokens[first].start, token.end, "LOCATION"))
        # "I live in Plymouth", "from eagan", "in St. Paul", and a town right after a street address
        for phrase in _RESIDENCE_IN:
            if phrase_at(tokens, i, phrase):
                start = i + len(phrase)
                after_address_or_name = i > 0 and (tokens[i - 1].end in address_ends or tokens[i - 1].end in name_ends)
                if phrase == ["from"] and not after_address_or_name and not (at(tokens, start) and tokens[start].capitalised):
                    break  # "from reading horror stories": only "Okafor from Maple Grove", "lisa from eagan"
                strong = phrase[0] not in ("in", "near", "from") or after_address_or_name
                place = _town_after(tokens, start, strong=strong, cased=cased)
                if place > start:
                    spans.append((tokens[start].start, tokens[place - 1].end, "LOCATION"))
                break
        if token.end in address_ends and i + 1 < len(tokens):
            place = _town_after(tokens, i + 1, strong=False, after_address=True, cased=cased)
            if place > i + 1:
                spans.append((tokens[i + 1].start, tokens[place - 1].end, "LOCATION"))
    return spans


def _town_after(tokens: Sequence[Token], start: int, strong: bool, after_address: bool = False, cased: bool = False) -> int:
    """The index after a town name at `start` (start itself when none)."""
    j = start
    while j < len(tokens) and j - start < 3 and _place_word(tokens[j]) and not _is_state_at(tokens, j):
        if j > start and re.search(r"[,.;:!?]", tokens[j].gap) and tokens[j - 1].lower not in ("st", "mt", "ft"):
            break
        if j == start and after_address and re.search(r"[.;:!?]", tokens[j].gap):
            return start
        j += 1
    if j == start:
        return start
    words = tokens[start:j]
    if words[0].lower in _TOWN_PREFIXES and len(words) == 1:
        return start
    if cased and not all(t.capitalised for t in words):
        return start
    if words[0].lower in _TOWN_PREFIXES and (strong or after_address):
        return j  # "saint cloud", "fort myers"
    typed = all(t.capitalised for t in words)
    unknown = any(not lexicon.is_ordinary_word(t.bare) for t in words if t.bare not in _TOWN_PREFIXES)
    followed_by_state = j < len(tokens) and (_is_state_at(tokens, j) or re.fullmatch(r"\d{5}", tokens[j].text or ""))
    if typed and (strong or after_address or not words[0].starts_sentence):
        # "in St. Paul" is a town; "in Riverside Women's..." is the clinic, taken out before this runs
        return j if (strong or after_address or followed_by_state or unknown) else start
    if words[0].lower == words[0].text and (strong or after_address) and (unknown or followed_by_state):
        # lower case as a recogniser writes: only a word that is no ordinary English word, or one before a state
        return j
    return start
