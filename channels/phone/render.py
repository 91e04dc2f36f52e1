"""The assistant's replies as TwiML: what is said, then a Gather with the reply's `prompt`, a Dial, or a hang-up.

The reply contract says what comes next (actions/phone_call.py): `prompt` is
what the caller hears while the line listens, `dial` and `leg` a transfer,
`end_conversation` a hang-up. A reply the assistant could not give is the
service-trouble message with the support line offered, the one offer the line
handles itself, since there is no assistant to ask.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from channels import twiml
from channels.phone.settings import PhoneSettings
from companion import phone
from companion.content import Content
from companion.render import render_behaviour
from companion.settings import Facility
from companion.terms import load_terms

ROUTE_PREFIX = "/webhooks/twilio_ivr"
GATHER_TIMEOUT = 5
DIAL_TIMEOUT = 20
MAX_HINTS = 100
_DIALLABLE = re.compile(r"^\+?\d{3,15}$")


def diallable(number: Optional[str]) -> Optional[str]:
    number = (number or "").strip()
    return number if _DIALLABLE.match(number) else None


class CallRender:
    """Builds one TwiML response in this line's voice and language."""

    def __init__(self, settings: PhoneSettings, known: Content, facility: Facility) -> None:
        self.settings = settings
        self.content = known
        self.facility = facility
        self.words = known.voice["phone"]
        self.base = settings.public_url + ROUTE_PREFIX
        hints()  # loaded once, before a caller waits on it

    def replies(self, texts: List[str], custom: Dict[str, Any]) -> ET.Element:
        root = twiml.response()
        number = diallable(custom.get("dial"))
        if custom.get("end_conversation"):
            self.say_all(root, texts)
            twiml.hangup(root)
        elif custom.get("answer_id") == "emergency" or custom.get("dial") == "911":
            # Twilio cannot connect a call to 911 (trial numbers cannot dial it at all, and a forwarded
            # call would not carry the caller's location), so the caller is told twice and offered to
            # have the line freed for them to dial 911; the call ends only if they choose it.
            self.say_all(root, texts)
            twiml.pause(root, 1)
            self.say_all(root, texts)
            self.listen(root, custom.get("prompt") or self.words["offer_hang_up"])
        elif number:
            self.say_all(root, texts)
            twiml.dial(root, number, action=self.url("dial-status", leg=str(custom.get("leg") or "support")),
                       timeout=DIAL_TIMEOUT)
        else:
            self.say_all(root, texts)
            self.listen(root, custom.get("prompt") or self.words["next_question"])
        return root

    def service_trouble(self) -> ET.Element:
        """No answer from the assistant: say so, give the support line's number, and offer to connect."""
        root = twiml.response()
        trouble = render_behaviour("service_trouble", "fallback", "twilio_ivr", self.content, self.facility)
        self.say(root, trouble.text)
        self.listen(root, self.support_offer(), offer="support")
        return root

    def dial_support(self) -> ET.Element:
        root = twiml.response()
        self.say(root, self.words["connecting_support"].format(support_name=self.facility.support_name))
        twiml.dial(root, phone.e164(self.facility.support_phone), action=self.url("dial-status", leg="support"),
                   timeout=DIAL_TIMEOUT)
        return root

    def support_offer(self) -> str:
        return self.words["offer_support"].format(support_name=self.facility.support_name)

    def say(self, parent: ET.Element, spoken: str) -> ET.Element:
        return twiml.say(parent, spoken, self.settings.voice, self.settings.language)

    def say_all(self, parent: ET.Element, texts: List[str]) -> None:
        for text in texts:
            self.say(parent, text)

    def listen(self, root: ET.Element, prompt: str, **state: str) -> ET.Element:
        """A Gather whose result comes back to /voice; `state` marks the one offer the line itself made."""
        gather = twiml.gather(root, self.url("voice", listening="1", **state), hints(), self.settings.speech_model,
                              self.settings.language, timeout=GATHER_TIMEOUT)
        self.say(gather, prompt)
        return gather

    def url(self, route: str, **query: str) -> str:
        return f"{self.base}/{route}?{urlencode(query)}"


_hints: List[str] = []


def hints() -> List[str]:
    """Words the speech recogniser should expect: the medical terms, and what callers say to the menu."""
    if not _hints:
        phone_words = ["tell me more", "operator", "agent", "a person", "yes", "no", "goodbye"]
        _hints.extend(list(dict.fromkeys(load_terms().speech_hints() + phone_words))[:MAX_HINTS])
    return _hints
