"""Renders content for the channel a person is on: spoken words for voice, text with sources and buttons for chat.

Every rendered reply carries the machine-readable `custom` object of the reply
contract: `{"answer_id": ..., "sources": [...]}` for curated answers and
`{"answer_id": <kind>}` for everything else.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, Iterable, List, Optional

from companion import phone
from companion.channel_traits import traits
from companion.content import Answer, Content, Source, Spoken
from companion.settings import Facility
from companion.staff import settings as staff_settings

BEHAVIOUR_KINDS = frozenset(
    {"greeting", "goodbye", "help", "handoff", "crisis", "emergency", "disclosure", "no_diagnosis", "out_of_scope",
     "fallback"}
)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def is_voice(channel: Optional[str]) -> bool:
    return traits(channel).voice


@dataclasses.dataclass
class Reply:
    text: str
    custom: Dict
    buttons: List[Dict[str, str]] = dataclasses.field(default_factory=list)

    def as_message(self) -> Dict:
        """Keyword arguments for the action dispatcher's utter_message."""
        message: Dict = {"text": self.text, "json_message": self.custom}
        if self.buttons:
            message["buttons"] = self.buttons
        return message


def button(title: str, payload: str) -> Dict[str, str]:
    return {"title": title, "payload": payload}


def answer_button(answer: Answer) -> Dict[str, str]:
    return button(answer.title, f"/{answer.intent}")


def source_names(sources: Iterable[Source]) -> List[str]:
    return list(dict.fromkeys(s.publisher for s in sources))




def fill(template: str, voice: bool, facility: Facility, lang: str = "en", **extra: str) -> str:
    """Fills {placeholders} in the language of the words; phone numbers come out digit by digit for voice."""
    number = phone.spoken if voice else phone.display
    values = {
        "facility": facility.display_name if lang == "en" or facility.name else "su centro de imágenes",
        "navigator_phone": number(facility.navigator_phone) if facility.navigator_phone else "",
        "support_name": facility.support_name_in(lang),
        "support_phone": number(facility.support_phone),
        "hours": facility.hours.spoken(lang),
        "spanish_phone": number(facility.spanish_phone) if facility.spanish_phone else "",
        "spanish_hours": (facility.spanish_hours or facility.hours).spoken(lang),
        "callback_days": f"{staff_settings.retention_days():g}",
    }
    values.update(extra)
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def render_answer(
    answer: Answer,
    channel: Optional[str],
    content: Content,
    body: Optional[Spoken] = None,
    part: str = "main",
    **custom_extra,
) -> Reply:
    """An answer (or one part of it: 'more', a context, a BI-RADS category) for this channel."""
    voice = is_voice(channel)
    body = body or Spoken(answer.spoken, answer.text)
    sources = answer.sources
    custom: Dict[str, Any] = {"answer_id": answer.id, "sources": [s.reference() for s in sources]}
    if part != "main":
        custom["part"] = part
    if answer.more and part == "main":
        custom["has_more"] = True
    custom.update({k: v for k, v in custom_extra.items() if v is not None})
    follow_ups = [content.answers[f] for f in answer.follow_ups if f in content.answers]
    if voice:
        text = f"{body.spoken} {content.credit(answer.credited_sources)}".strip()
        custom["card"] = {"title": answer.title, "text": _with_sources(phone.written(body.text), sources, content)}
        custom["follow_ups"] = [{"answer_id": f.id, "title": f.title} for f in follow_ups]
        return Reply(text=text, custom=custom)
    buttons = [answer_button(f) for f in follow_ups]
    if answer.more and part == "main":
        buttons.insert(0, button(content.label("tell_more"), "/tell_more"))
    # `more` and the contexts are written to be spoken; a screen shows their phone numbers as 1-800-227-2345
    return Reply(text=_with_sources(phone.written(body.text), sources, content), custom=custom, buttons=buttons)


def _with_sources(text: str, sources: Iterable[Source], content: Content) -> str:
    names = source_names(sources)
    if not names:
        return text
    label = content.label("source" if len(names) == 1 else "sources")
    return f"{text}\n\n{label}: {'; '.join(names)}"


def render_behaviour(
    key: str,
    kind: str,
    channel: Optional[str],
    content: Content,
    facility: Facility,
    buttons: Optional[List[Dict[str, str]]] = None,
    prefix: Optional[Spoken] = None,
    fields: Optional[Dict[str, str]] = None,
    **custom_extra,
) -> Reply:
    """A behaviour message (greeting, handoff, crisis...) with `answer_id` set to its kind."""
    if kind not in BEHAVIOUR_KINDS:
        raise ValueError(f"unknown reply kind {kind!r}")
    voice = is_voice(channel)
    message = content.behaviour(key)
    words = fill(message.spoken if voice else message.text, voice, facility, content.lang, **(fields or {}))
    if prefix:
        lead = fill(prefix.spoken if voice else prefix.text, voice, facility, content.lang)
        words = f"{lead} {words}" if voice else f"{lead}\n\n{words}"
    custom = {"answer_id": kind}
    custom.update({k: v for k, v in custom_extra.items() if v is not None})
    return Reply(text=words, custom=custom, buttons=[] if voice else list(buttons or []))
