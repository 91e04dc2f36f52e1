"""Words of a message with their offsets, and the small questions the recognisers ask about them."""

from __future__ import annotations

import dataclasses
import re
from typing import List, Optional, Sequence

from companion.redaction import lexicon

_WORD = re.compile(r"[#]?[A-Za-z0-9_]+(?:['’.-][A-Za-z0-9_]+)*")  # snake_case names (settings, code) are one word


@dataclasses.dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    gap: str  # what stands between the previous word and this one ("" for the first)
    index: int

    @property
    def lower(self) -> str:
        return self.text.lower().replace("’", "'")

    @property
    def bare(self) -> str:
        """The word without a possessive or a trailing full stop."""
        word = self.lower
        return word[:-2] if word.endswith("'s") else word

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper() and self.text != "I"

    @property
    def starts_sentence(self) -> bool:
        return self.index == 0 or bool(re.search(r"[.!?:]", self.gap)) or "\n" in self.gap

    @property
    def has_digit(self) -> bool:
        return any(ch.isdigit() for ch in self.text)

    @property
    def is_number_word(self) -> bool:
        return self.lower in lexicon.NUMBER_WORDS

    @property
    def is_digit_word(self) -> bool:
        return self.lower in lexicon.DIGIT_WORDS and self.lower != "o"

    @property
    def alphabetic(self) -> bool:
        return bool(re.fullmatch(r"[A-Za-z]+(?:['’-][A-Za-z]+)*", self.text))

    def comma_before(self) -> bool:
        return "," in self.gap


def tokenize(text: str) -> List[Token]:
    tokens: List[Token] = []
    previous_end = 0
    for match in _WORD.finditer(text):
        word, start = match.group(), match.start()
        # "Dr." and "St." keep their full stop out of the word; an abbreviation's dots stay
        tokens.append(Token(word, start, match.end(), text[previous_end:start], len(tokens)))
        previous_end = match.end()
    return tokens


def at(tokens: Sequence[Token], index: int) -> Optional[Token]:
    return tokens[index] if 0 <= index < len(tokens) else None


def phrase_at(tokens: Sequence[Token], index: int, phrase: Sequence[str]) -> bool:
    """True when the words from `index` on are `phrase` (lower case, one alternative per word as 'a|b')."""
    if index < 0 or index + len(phrase) > len(tokens):
        return False
    for offset, word in enumerate(phrase):
        options = word.split("|")
        if tokens[index + offset].lower not in options and tokens[index + offset].bare not in options:
            return False
        if offset and re.search(r"[.!?,;]", tokens[index + offset].gap):
            return False
    return True


def ends_before(tokens: Sequence[Token], index: int) -> bool:
    """True when a clause ends after token `index`: the end of the text or punctuation."""
    following = at(tokens, index + 1)
    return following is None or bool(re.search(r"[.!?,;:)(/]", following.gap))
