"""Asking for the other language: "en español por favor", "English please", a language button, or 9 on the phone.

The conversation's language is the `language` slot (actions/base.py, Turn.language):
a message clearly in the other language switches it on its own, and so does the
speaker's locale. This action is for asking outright, whatever language the
asking is in. The reply says, in the new language, that it has switched.
"""

from __future__ import annotations

import re

from actions.base import CompanionAction, Turn
from actions.conversation import starter_buttons
from companion.language import ENGLISH, SPANISH

_ASKS_FOR = {
    SPANISH: re.compile(r"\b(espa[nñ]ol|spanish|castellano)\b", re.IGNORECASE),
    ENGLISH: re.compile(r"\b(english|ingl[eé]s)\b", re.IGNORECASE),
}


def asked_for(turn: Turn) -> str:
    """The language asked for: the button's or key's value, else the one named, else the other one."""
    value = (turn.entity("language") or "").lower()
    if value in (ENGLISH, SPANISH):
        return value
    named = [lang for lang, words in _ASKS_FOR.items() if words.search(turn.text)]
    if len(named) == 1:
        return named[0]
    return ENGLISH if turn.slot("language") == SPANISH else SPANISH


def switch_language(turn: Turn, lang: str) -> None:
    turn.use_language(lang)
    turn.set("pending_offer", None)
    turn.behaviour("language_changed", "greeting", buttons=starter_buttons(turn), remember=True)


class ActionChangeLanguage(CompanionAction):
    action_name = "action_change_language"

    def respond(self, turn: Turn) -> None:
        switch_language(turn, asked_for(turn))
