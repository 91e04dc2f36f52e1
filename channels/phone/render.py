"""The assistant's replies as TwiML: what is said, then a Gather with the reply's `prompt`, a Dial, or a hang-up.

The reply contract says what comes next (actions/phone_call.py): `prompt` is
what the caller hears while the line listens, `dial` and `leg` a transfer,
`end_conversation` a hang-up. A reply the assistant could not give is the
service-trouble message with the support line offered, the one offer the line
handles itself, since there is no assistant to ask.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional
from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, Say, VoiceResponse

from channels.phone import staff
from channels.phone.settings import PhoneSettings
from companion import phone, ssml
from companion.channel_traits import PHONE
from companion.content import Content, content
from companion.render import render_behaviour
from companion.settings import Facility
from companion.terms import load_terms

ROUTE_PREFIX = "/webhooks/twilio_ivr"
GATHER_TIMEOUT = 5
DIAL_TIMEOUT = 20
MAX_HINTS = 100
HINT_MAX_CHARS = 100  # Twilio's limit for one hint
_DIALLABLE = re.compile(r"^\+?\d{3,15}$")


def diallable(number: Optional[str]) -> Optional[str]:
    number = (number or "").strip()
    return number if _DIALLABLE.match(number) else None


class CallRender:
    """Builds one TwiML response in this line's voice and language."""

    def __init__(self, settings: PhoneSettings, known: Content, facility: Facility) -> None:
        self.settings = settings
        self.facility = facility
        self.base = settings.public_url + ROUTE_PREFIX
        self.use_language(known.lang, known)
        hints()  # loaded once, before a caller waits on it

    def use_language(self, lang: str, known: Optional[Content] = None) -> None:
        """Speaks, listens and words its own lines in `lang` ("en" or "es"), as the reply contract says."""
        self.lang = lang
        self.content = known if known is not None and known.lang == lang else content(lang)
        self.words = self.content.voice["phone"]
        self.voice, self.language = self.settings.speech(lang)

    def replies(self, texts: List[str], custom: Dict[str, Any], caller: str = "") -> VoiceResponse:
        """`caller` is the caller ID, for a call back offer to say which number would be called."""
        if custom.get("language") and custom["language"] != self.lang:
            self.use_language(str(custom["language"]))
        root = VoiceResponse()
        number = diallable(custom.get("dial"))
        confirm_number = staff.confirm_line({"From": caller}, self.words) if custom.get("callback") == "offer" else ""
        if custom.get("end_conversation"):
            self.say_all(root, texts)
            root.hangup()
        elif custom.get("answer_id") == "emergency" or custom.get("dial") == "911":
            # Twilio cannot connect a call to 911 (trial numbers cannot dial it at all, and a forwarded
            # call would not carry the caller's location), so the caller is told twice and offered to
            # have the line freed for them to dial 911; the call ends only if they choose it.
            self.say_all(root, texts)
            root.pause(length=1)
            self.say_all(root, texts)
            self.listen(root, custom.get("prompt") or self.words["offer_hang_up"])
        elif number:
            self.say_all(root, texts)
            self.dial(root, number, str(custom.get("leg") or "support"), custom.get("whisper"), custom.get("send_digits"))
        elif confirm_number:
            # the question is asked while the line listens, with the number she would be called on
            self.say_all(root, texts[:-1])
            self.listen(root, f"{texts[-1]} {confirm_number}")
        else:
            self.say_all(root, texts)
            gather = self.listen(root, custom.get("prompt") or self.words["next_question"])
            other = custom.get("other_language") or {}
            if other.get("prompt") and other.get("language") in ("en", "es"):
                # "Para español, oprima 9", in the voice of the language it offers
                voice, language = self.settings.speech(other["language"])
                ssml.add_to_twiml_say(gather.say(voice=voice, language=language), str(other["prompt"]))
        return root

    def service_trouble(self) -> VoiceResponse:
        """No answer from the assistant: say so, give the support line's number, and offer to connect."""
        root = VoiceResponse()
        trouble = render_behaviour("service_trouble", "fallback", PHONE, self.content, self.facility)
        self.say(root, trouble.text)
        self.listen(root, self.support_offer(), offer="support")
        return root

    def dial_support(self) -> VoiceResponse:
        root = VoiceResponse()
        self.say(root, self.words["connecting_support"].format(support_name=self.facility.support_name_in(self.lang)))
        self.dial(root, phone.e164(self.facility.support_phone), "support")
        return root

    def dial(self, root: VoiceResponse, number: str, leg: str, whisper: Optional[Dict[str, Any]] = None,
             send_digits: Optional[str] = None) -> None:
        """<Dial><Number>; Twilio reports how the call went to /dial-status, which tells the assistant.

        With a `whisper`, whoever answers first hears why the call comes (<Number url>), then it connects.
        With `send_digits`, the key is pressed for her a second after the line answers (988's 2 for Spanish)."""
        dial = root.dial(action=self.url("dial-status", leg=leg), method="POST", timeout=DIAL_TIMEOUT,
                         answer_on_bridge=True)
        if whisper is not None:
            dial.number(number, url=staff.whisper_url(self.base, whisper), method="POST")
        elif send_digits and re.fullmatch(r"[0-9*#]{1,4}", str(send_digits)):
            dial.number(number, send_digits=f"ww{send_digits}")
        else:
            dial.number(number)

    def support_offer(self) -> str:
        return self.words["offer_support"].format(support_name=self.facility.support_name_in(self.lang))

    def say(self, parent: VoiceResponse | Gather, spoken: str) -> Say:
        """<Say> with the spoken words, numbers read as telephone numbers and short breaks between sentences."""
        return ssml.add_to_twiml_say(parent.say(voice=self.voice, language=self.language), spoken)

    def say_all(self, parent: VoiceResponse, texts: List[str]) -> None:
        for text in texts:
            self.say(parent, text)

    def listen(self, root: VoiceResponse, prompt: str, **state: str) -> Gather:
        """A Gather for speech or one key press that always posts back to /voice, even when the caller says nothing.

        `state` marks the one offer the line itself made."""
        gather = root.gather(
            input="speech dtmf", action=self.url("voice", listening="1", lang=self.lang, **state), method="POST",
            timeout=GATHER_TIMEOUT, speech_timeout="auto", speech_model=self.settings.speech_model,
            hints=hints_attribute(hints()) if self.lang == "en" else None, language=self.language, num_digits=1,
            action_on_empty_result=True,
        )
        self.say(gather, prompt)
        return gather

    def url(self, route: str, **query: str) -> str:
        return f"{self.base}/{route}?{urlencode(query)}"


def hints_attribute(words: Iterable[str], limit: int = MAX_HINTS) -> str:
    """Comma-separated hints: no commas inside a hint, each within Twilio's length, at most `limit` of them."""
    cleaned: List[str] = []
    for hint in words:
        hint = " ".join(str(hint).replace(",", " ").split())[:HINT_MAX_CHARS]
        if hint and hint not in cleaned:
            cleaned.append(hint)
    return ", ".join(cleaned[:limit])


_hints: List[str] = []


def hints() -> List[str]:
    """Words the speech recogniser should expect: the medical terms, and what callers say to the menu."""
    if not _hints:
        phone_words = ["tell me more", "operator", "agent", "a person", "yes", "no", "goodbye"]
        _hints.extend(list(dict.fromkeys(load_terms().speech_hints() + phone_words))[:MAX_HINTS])
    return _hints
