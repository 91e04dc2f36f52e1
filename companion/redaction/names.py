"""Personal names in what people type or say: "my name is Maria Lopez", "Dr. Patel", "this is will baker".

A word is taken for a name on one of these grounds:
- a cue before it: an introduction ("my name is", "I'm", "this is"), a title
  ("Dr.", "doctor", "Mrs.", "nurse") or a relative ("my husband", "my daughter");
- a first name that is no ordinary English word (jennifer, tamika), anywhere;
- in typed text, a capitalised first name inside a sentence ("thanks, Donna").
A first name that is also a word (Hope, Will, Mark, Grace) counts only with a
cue or a capital, and a following surname (Lopez, Baker) only after a name.
The name lists come from probablepeople and english-words (companion.redaction.lexicon).
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence, Set, Tuple

from companion.redaction import lexicon
from companion.redaction.tokens import Token, at, ends_before, phrase_at

Span = Tuple[int, int, str]

_STRONG_INTROS = [
    ["my", "name", "is"], ["my", "name's|names"], ["name", "is"], ["her|his", "name", "is"], ["first", "name", "is"],
    ["last|sur", "name", "is"], ["surname", "is"], ["first|last", "name"], ["surname"], ["named"], ["call", "me"],
    ["signed"], ["the", "patient", "is"], ["patient", "name"],
]
_WEAK_INTROS = [["i", "am"], ["i'm|im"], ["this", "is"], ["it's|its"], ["it", "is"], ["hi|hello|hey"]]
_TITLES = {"dr", "doctor", "mrs", "ms", "mr", "miss", "nurse", "dr.", "mrs.", "ms.", "mr.", "prof", "professor"}
_RELATIVES = {
    "husband", "wife", "daughter", "son", "sister", "brother", "mom", "mother", "mum", "dad", "father", "friend",
    "partner", "aunt", "uncle", "niece", "nephew", "grandmother", "grandma", "granddaughter", "grandson",
    "neighbor", "neighbour", "boyfriend", "girlfriend", "caregiver", "cousin", "fiance", "fiancee", "sister-in-law",
    "daughter-in-law", "mother-in-law", "stepdaughter", "stepmother",
}
# "the doctor said", "another doctor read it", "a diff doctor look at": a doctor, not Doctor Said
_DETERMINERS = {"the", "my", "your", "her", "his", "a", "an", "their", "our", "this", "that", "another", "any", "other",
                "which", "what", "every", "each", "some", "no", "one"}
# what follows a relative's name: "my daughter hope WAS called back", not "my husband will DRIVE me"
_SPEECH_VERBS = {"said", "says", "told", "thinks", "thought", "asked", "mentioned", "called", "wrote", "explained"}
_AFTER_RELATIVE_NAME = {"was", "is", "has", "had", "said", "says", "told", "got", "gets", "wants", "thinks",
                        "called", "did", "does", "needs", "and", "who", "also", "too", "just"}


def _plain_word(token: Optional[Token]) -> bool:
    return token is not None and token.alphabetic and token.bare not in lexicon.FUNCTION_WORDS and len(token.bare) > 1


def _is_state(tokens: Sequence[Token], index: int) -> bool:
    token = tokens[index]
    return token.lower in lexicon.STATES or (token.text in lexicon.STATE_ABBREVIATIONS and token.text.isupper())


def _continue_name(tokens: Sequence[Token], index: int, cued: bool, taken: Set[int]) -> int:
    """The last index of a name that starts at `index`: its middle and last names."""
    last = index
    for j in range(index + 1, min(index + 4, len(tokens))):
        token = tokens[j]
        if re.search(r"[.!?,;:()/]", token.gap) or not _plain_word(token) or _is_state(tokens, j) \
                or lexicon.is_inflected_verb(token.bare):
            break
        if token.capitalised and tokens[index].capitalised:
            ok = True
        elif token.lower == token.text:
            ok = lexicon.is_known_name(token.bare) and (cued or not lexicon.is_ordinary_word(token.bare))
        else:
            ok = False
        if not ok:
            break
        last = j
    taken.update(range(index, last + 1))
    return last


def _accept_weak(tokens: Sequence[Token], i: int) -> bool:
    token = tokens[i]
    if not _plain_word(token) or not lexicon.is_given_name(token.bare) or _is_state(tokens, i):
        return False
    if token.capitalised or not lexicon.is_ordinary_word(token.bare):
        return True
    following = at(tokens, i + 1)
    # "i'm faith brown": a first name that is also a word, followed by a surname
    return (not ends_before(tokens, i) and _plain_word(following) and lexicon.is_known_name(following.bare)
            and following.lower not in _AFTER_RELATIVE_NAME)


def _accept_after_title(tokens: Sequence[Token], i: int, title_index: int) -> bool:
    token = tokens[i]
    if not _plain_word(token) or _is_state(tokens, i):
        return False
    if token.capitalised:
        return True
    if lexicon.is_inflected_verb(token.bare):
        return False
    # "my doctor, doctor patel": the second title names someone
    repeated = title_index > 0 and tokens[title_index - 1].bare.rstrip(".") in _TITLES
    determined = not repeated and any(t.lower in _DETERMINERS for t in tokens[max(0, title_index - 2): title_index])
    if determined:
        return not lexicon.is_ordinary_word(token.bare)
    return lexicon.is_known_name(token.bare) or not lexicon.is_ordinary_word(token.bare)


def _accept_after_relative(tokens: Sequence[Token], i: int) -> bool:
    token = tokens[i]
    if not _plain_word(token) or not (lexicon.is_given_name(token.bare) or token.capitalised):
        return False
    if token.capitalised and lexicon.is_known_name(token.bare):
        return True
    if not lexicon.is_ordinary_word(token.bare) and lexicon.is_given_name(token.bare):
        return True
    following = at(tokens, i + 1)
    return lexicon.is_given_name(token.bare) and (ends_before(tokens, i) or following.lower in _AFTER_RELATIVE_NAME)


def person_names(tokens: Sequence[Token]) -> List[Span]:
    spans: List[Span] = []
    taken: Set[int] = set()

    def add(first: int, cued: bool) -> None:
        last = _continue_name(tokens, first, cued, taken)
        spans.append((tokens[first].start, tokens[last].end, "PERSON"))

    for i, token in enumerate(tokens):
        if i in taken:
            continue
        # an introduction: "my name is ...", "I'm ..."
        for phrase in _STRONG_INTROS:
            if phrase_at(tokens, i, phrase):
                j = i + len(phrase)
                if _plain_word(at(tokens, j)) and not re.search(r"[.!?]", tokens[j].gap) and j not in taken:
                    add(j, cued=True)
                break
        else:
            for phrase in _WEAK_INTROS:
                j = i + len(phrase)
                if phrase_at(tokens, i, phrase) and at(tokens, j) is not None and not re.search(r"[.!?,]", tokens[j].gap):
                    if j not in taken and _accept_weak(tokens, j):
                        add(j, cued=True)
                    break
        if token.bare.rstrip(".") in _TITLES:
            j = i + 1
            if at(tokens, j) is not None and not re.search(r"[!?;]", tokens[j].gap) and j not in taken:
                comma = "," in tokens[j].gap
                if _accept_after_title(tokens, j, i) and (not comma or tokens[j].capitalised):
                    add(j, cued=True)
        if token.bare in _RELATIVES and i > 0 and tokens[i - 1].lower in ("my", "her", "his", "our"):
            j = i + 1
            if at(tokens, j) is not None and j not in taken and not re.search(r"[.!?;]", tokens[j].gap):
                comma = "," in tokens[j].gap
                if _accept_after_relative(tokens, j) and (not comma or tokens[j].capitalised):
                    add(j, cued=True)
    for i, token in enumerate(tokens):
        if i in taken or not _plain_word(token) or _is_state(tokens, i):
            continue
        following = at(tokens, i + 1)
        if token.lower == token.text:
            # a first name that is no ordinary word: jennifer, tamika
            if lexicon.is_given_name(token.bare) and not lexicon.is_ordinary_word(token.bare) and len(token.bare) > 2:
                add(i, cued=False)
            continue
        if token.text.isupper() and len(token.text) > 1 and following is not None and "," in following.gap \
                and following.text.isupper() and lexicon.is_given_name(following.bare):
            # "LOPEZ, MARIA"
            spans.append((token.start, following.end, "PERSON"))
            taken.update((i, i + 1))
            continue
        if following is not None and following.gap.strip() == "," and following.capitalised and \
                lexicon.is_known_name(token.bare) and lexicon.is_given_name(following.bare) and \
                not lexicon.is_ordinary_word(token.bare):
            # "Gomez, Patricia"
            spans.append((token.start, following.end, "PERSON"))
            taken.update((i, i + 1))
            continue
        if not lexicon.is_given_name(token.bare) or len(token.bare) < 3:
            continue
        next_is_surname = following is not None and following.capitalised and _plain_word(following) \
            and not re.search(r"[.!?,;:]", following.gap) and (lexicon.is_known_name(following.bare)
                                                               or not lexicon.is_ordinary_word(following.bare))
        speaks = following is not None and following.lower in _SPEECH_VERBS  # "Mark said no"
        if not token.starts_sentence or not lexicon.is_ordinary_word(token.bare) or next_is_surname or speaks:
            if _month_with_day(tokens, i):
                continue
            add(i, cued=False)
    spans.extend(_spelled_out(tokens, spans))
    return spans


def _month_with_day(tokens: Sequence[Token], index: int) -> bool:
    following = at(tokens, index + 1)
    return tokens[index].bare in lexicon.MONTHS and following is not None and (
        following.has_digit or following.lower in lexicon.ORDINAL_WORDS or following.lower in lexicon.NUMBER_WORDS)


def _spelled_out(tokens: Sequence[Token], people: List[Span]) -> List[Span]:
    """A name spelled letter by letter, as a caller does: "jenkins j e n k i n s", "grace g r a c e".

    Letters count as a name right after a name, or when they spell the word before them
    (which is then a name too); "an m r i" or "a b c d" are left alone.
    """
    spans: List[Span] = []
    name_ends = {end for _, end, _ in people}
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and len(tokens[j].text) == 1 and tokens[j].text.isalpha() and tokens[j].text.islower():
            j += 1
        if j - i >= 3 and i > 0:
            spelled = "".join(t.text for t in tokens[i:j])
            before = tokens[i - 1]
            if before.end in name_ends:
                spans.append((tokens[i].start, tokens[j - 1].end, "PERSON"))
            elif before.bare == spelled:
                spans.append((before.start, tokens[j - 1].end, "PERSON"))
        i = max(j, i + 1)
    return spans
