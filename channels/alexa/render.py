"""The assistant's replies for one turn as one Alexa response: SSML speech within Alexa's limits, a reprompt, a Simple card and `shouldEndSession`."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from sanic import response
from sanic.response import HTTPResponse

from companion import ssml
from companion.channel_traits import SPEAKER as CHANNEL
from companion.content import Content, content
from companion.render import render_behaviour
from companion.settings import Facility

MAX_SPEECH_CHARS = 8000  # Alexa's limit for outputSpeech, tags included
MAX_CARD_CHARS = 8000
CARD_TITLE = "Callback Companion"

# What the speaker adds to the assistant's words, in English: the launch hint and the reprompts
# (each ReplyRenderer reads its own language's).
_WORDS = content().voice["speaker"]  # content/voice.yml
LAUNCH_HINT = _WORDS["launch_hint"]
REPROMPT_LAUNCH = _WORDS["reprompt_launch"]
REPROMPT_FOLLOW_UP = _WORDS["reprompt_follow_up"]
REPROMPT_MORE = _WORDS["reprompt_more"]
REPROMPT_DID_YOU_MEAN = _WORDS["reprompt_did_you_mean"]
REPROMPT_HANDOFF = _WORDS["reprompt_handoff"]
REPROMPT_CRISIS = _WORDS["reprompt_crisis"]
REPROMPT_EMERGENCY = _WORDS["reprompt_emergency"]
REPROMPT_TROUBLE = _WORDS["reprompt_trouble"]
REPROMPT_DEFAULT = _WORDS["reprompt_default"]


def speakable(spoken: str) -> str:
    """SSML within Alexa's length limit; long speech is cut at a sentence end."""
    markup = ssml.alexa_ssml(spoken)
    if len(markup) <= MAX_SPEECH_CHARS:
        return markup
    spoken = spoken[:MAX_SPEECH_CHARS]  # the markup is never shorter than the words
    while spoken:
        sentence_end = max(spoken.rfind(". "), spoken.rfind("? "), spoken.rfind("! "))
        spoken = spoken[: sentence_end + 1] if sentence_end > 0 else spoken[: len(spoken) // 2]
        markup = ssml.alexa_ssml(spoken)
        if len(markup) <= MAX_SPEECH_CHARS:
            return markup
    return ssml.alexa_ssml("")


def ssml_speech(spoken: str) -> Dict[str, str]:
    return {"type": "SSML", "ssml": speakable(spoken)}


def readable(spoken: str) -> str:
    """Spoken words for a card: numbers read digit by digit shown the way they are written."""
    parts = []
    for kind, value in ssml.segments(spoken):
        if kind == "break":
            parts.append(" ")
        else:
            parts.append(value)
    return " ".join("".join(parts).split())


class ReplyRenderer:
    """Builds the Alexa response for one turn from the assistant's messages, in the request's language."""

    def __init__(self, facility: Facility, lang: str = "en") -> None:
        self.facility = facility
        self.lang = lang
        self.content = content(lang)
        self.words = self.content.voice["speaker"]  # content/voice.yml, content/es/voice.yml

    def in_language(self, lang: str) -> "ReplyRenderer":
        return self if lang == self.lang else ReplyRenderer(self.facility, lang)

    def behaviour(self, key: str, kind: str, channel: Optional[str] = CHANNEL):
        return render_behaviour(key, kind, channel, self.content, self.facility)

    def response(self, messages: List[Dict], end_session: bool = False, launch: bool = False) -> Dict:
        texts = [m["text"] for m in messages if isinstance(m.get("text"), str) and m["text"].strip()]
        customs = [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]
        if not texts:
            return self.service_trouble(end_session)
        custom = customs[0] if customs else {}
        spoken = " ".join(texts)
        if custom.get("dial"):
            spoken = self.cannot_dial(custom)
        if launch:
            spoken = f"{spoken} {self.launch_hint(custom)}".strip()
        end = end_session or custom.get("end_conversation") is True
        reprompt = None if end else (self.words["reprompt_launch"] if launch else self.reprompt(custom))
        return alexa_response(spoken, self.card(custom, spoken), end, reprompt, {"answer_id": custom.get("answer_id")})

    def service_trouble(self, end_session: bool) -> Dict:
        spoken = self.behaviour("service_trouble", "fallback").text
        return alexa_response(
            spoken, simple_card(CARD_TITLE, readable(spoken)), end_session,
            None if end_session else self.words["reprompt_trouble"], {"answer_id": "fallback", "reason": "service_trouble"},
        )

    def cannot_dial(self, custom: Dict) -> str:
        # The phone line connects the call; a speaker cannot, so it says the number to call instead.
        if custom.get("dial") == "911":
            return self.behaviour("emergency", "emergency").text
        known = self.content
        for kind, keys in known.line_replies.items():
            if kind != "crisis" and any(known.lines[k].number == custom.get("dial") for k in keys if k in known.lines):
                return self.behaviour(kind, "disclosure").text
        return self.behaviour("crisis", "crisis").text

    def launch_hint(self, custom: Dict) -> str:
        starters = custom.get("starters") or []
        if not starters:
            return self.words["reprompt_launch"]
        return self.words["launch_hint"].format(starter=starters[0].get("title", ""))

    def reprompt(self, custom: Dict) -> str:
        words = self.words
        kind = custom.get("answer_id")
        if kind == "crisis":
            return words["reprompt_crisis"]
        if kind == "emergency":
            return words["reprompt_emergency"]
        if kind == "handoff":
            return words["reprompt_handoff"]
        if kind == "fallback" and custom.get("choices"):
            return words["reprompt_did_you_mean"]
        if "sources" in custom:  # a curated answer
            if custom.get("has_more"):
                return words["reprompt_more"]
            follow_ups = custom.get("follow_ups") or []
            if follow_ups and follow_ups[0].get("title"):
                return words["reprompt_follow_up"].format(title=_as_clause(follow_ups[0]["title"]))
        return words["reprompt_default"]

    def card(self, custom: Dict, spoken: str) -> Dict[str, str]:
        kind = custom.get("answer_id")
        answer_card = custom.get("card")
        if isinstance(answer_card, dict) and answer_card.get("text"):
            return simple_card(answer_card.get("title") or CARD_TITLE, answer_card["text"])
        if kind == "handoff" and custom.get("contacts"):
            return simple_card(self.content.label("talk_to_person"), contacts_card_text(custom["contacts"], self.content))
        if kind == "crisis":
            lines = custom.get("lines") or [{}]
            title = lines[0].get("name") or "988 Suicide & Crisis Lifeline"
            return simple_card(title, self.behaviour("crisis", "crisis", channel=None).text)
        if kind == "emergency":
            return simple_card(self.content.label("call_911"), self.behaviour("emergency", "emergency", channel=None).text)
        if kind == "disclosure" and custom.get("lines"):
            return simple_card(custom["lines"][0].get("name") or CARD_TITLE, contacts_card_text(custom["lines"], self.content))
        return simple_card(CARD_TITLE, readable(spoken))


def _as_clause(title: str) -> str:
    """'What happens at the follow-up visit?' -> 'what happens at the follow-up visit'."""
    title = title.strip().lstrip("¿").rstrip("?").strip()
    return title[:1].lower() + title[1:] if not title.startswith("I ") else title


def contacts_card_text(contacts: List[Dict], known: Content) -> str:
    lines = []
    for contact in contacts:
        name = str(contact.get("name") or "")
        lines.append(f"{name[:1].upper()}{name[1:]}: {contact.get('display', '')}")
        if contact.get("hours"):
            lines.append(f"{known.label('hours')}: {contact['hours']}")
    return "\n".join(lines)


def simple_card(title: str, text: str) -> Dict[str, str]:
    title = title[:200]
    # a card needs content: a reply with nothing readable in it (control characters only) shows the title
    return {"type": "Simple", "title": title, "content": (text.strip() or title)[: MAX_CARD_CHARS - len(title)]}


def alexa_response(
    spoken: str, card: Optional[Dict], end_session: bool, reprompt: Optional[str], attributes: Dict
) -> Dict:
    body: Dict[str, Any] = {"outputSpeech": ssml_speech(spoken)}
    if card:
        body["card"] = card
    if reprompt and not end_session:
        body["reprompt"] = {"outputSpeech": ssml_speech(reprompt)}
    body["shouldEndSession"] = bool(end_session)
    return {
        "version": "1.0",
        "sessionAttributes": {k: v for k, v in attributes.items() if v is not None},
        "response": body,
    }


def silent_response() -> Dict:
    """For requests Alexa accepts no speech for, such as SessionEndedRequest."""
    return {"version": "1.0", "response": {}}


def error_response(message: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": message}, status=status)
