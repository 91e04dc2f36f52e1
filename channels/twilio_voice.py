"""The phone line: a Rasa input channel on Twilio Programmable Voice's webhook contract (TwiML in, form posts out).

This module owns the call flow around the assistant's replies: the keypad
menu, reprompts when a caller is silent or not understood, confirming what a
poorly heard caller asked, transfers to the clinic or the 24/7 support line,
connecting to the 988 Lifeline, and hanging up. It checks Twilio's request
signature on every request and keeps no state of its own: what a call is in
the middle of (reprompt count, a question to confirm, an offer made) travels
in the Gather/Dial action URL's query string, so any replica can answer the
next request. Caller numbers are never stored or logged; the conversation key
is a keyed hash of the CallSid.

Routes (under /webhooks/twilio_ivr):
  GET  /             health
  POST /voice        new call and every Gather result
  POST /dial-status  the <Dial action> callback after a transfer
  POST /whisper      what the clinic's navigator hears before a transfer connects

The staff side (the whisper, call backs on the caller's number) is in
channels/phone_staff.py; this module only calls it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import re
import time
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import parse_qs, parse_qsl, urlencode
from xml.etree import ElementTree as ET

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from channels import phone_staff, twiml
from channels.common import clean_text, run_turn
from channels.staff_turns import run_staff_action
from companion import phone, safety
from companion.content import Answer, Content, content
from companion.privacy import conversation_key
from companion.render import render_behaviour
from companion.settings import Facility, load_facility
from companion.terms import load_terms

logger = logging.getLogger(__name__)

CHANNEL = "twilio_ivr"
ROUTE_PREFIX = f"/webhooks/{CHANNEL}"

DEFAULT_VOICE = "Polly.Joanna-Neural"
DEFAULT_LANGUAGE = "en-US"
# phone_call is Twilio's model trained on telephone-quality (8 kHz) audio, which is what a caller's
# question arrives as; it accepts hints and, unlike the "default" model, speechTimeout="auto".
DEFAULT_SPEECH_MODEL = "phone_call"
DEFAULT_LOW_CONFIDENCE = 0.5
# Twilio waits 15 s for TwiML; the caller hears something well before that.
DEFAULT_REPLY_TIMEOUT = 10.0
NLU_TIMEOUT = 3.0
GATHER_TIMEOUT = 5
DIAL_TIMEOUT = 20
MAX_REPROMPTS = 2
MAX_HINTS = 100
MENU_SIZE = 4
# besides these, the key of a help line in content/help_lines.yml ("rainn") is an offer to connect to it
OFFERS = ("support", "988", "person", "hangup", "callback")
DIAL_ANSWERED = frozenset({"completed", "answered"})
DIAL_LEGS = ("clinic", "support", "crisis")
HELP_LINES = content().lines

_CALL_SID = re.compile(r"^[A-Za-z0-9]{10,64}$")
_DIALLABLE = re.compile(r"^\+?\d{3,15}$")
_YES = re.compile(r"^(yes|yeah|yep|yup|yes please|sure|ok|okay|correct|right|that's right|that is right|please|uh huh)$")
_NO = re.compile(r"^(no|nope|nah|no thanks|no thank you|not really|wrong|that's wrong|neither)$")
_FALSE_WORDS = {"false", "0", "no", "off"}
_HANG_UP = re.compile(r"\bhang (it )?up\b|\bend (the )?call\b")

# The phone line's own words (everything else is the assistant's reply).
_WORDS = content().voice["phone"]  # content/voice.yml
MENU_LEAD = _WORDS["menu_lead"]
MENU_OPTION = _WORDS["menu_option"]
MENU_PERSON = _WORDS["menu_person"]
NEXT_WITH_MORE = _WORDS["next_with_more"]
NEXT_QUESTION = _WORDS["next_question"]
NEXT_AFTER_QUESTION = _WORDS["next_after_question"]
NOT_CAUGHT = _WORDS["not_caught"]
REPROMPT_FIRST = _WORDS["reprompt_first"]
REPROMPT_SECOND = _WORDS["reprompt_second"]
OFFER_PERSON = _WORDS["offer_person"]
CONFIRM_TOPIC = _WORDS["confirm_topic"]
ASK_AGAIN = _WORDS["ask_again"]
OFFER_SUPPORT = _WORDS["offer_support"]
OFFER_CRISIS_LINE = _WORDS["offer_crisis_line"]
OFFER_LINE = _WORDS["offer_line"]
OFFER_HANG_UP = _WORDS["offer_hang_up"]
CONNECTING = _WORDS["connecting"]
CONNECTING_SUPPORT = _WORDS["connecting_support"]
NO_ONE_ANSWERED = _WORDS["no_one_answered"]
NOT_CONNECTED = _WORDS["not_connected"]


# --- settings ------------------------------------------------------------------

def _flag(value: Optional[str], default: bool) -> bool:
    if value is None or str(value).strip() == "":
        return default
    return str(value).strip().lower() not in _FALSE_WORDS


@dataclasses.dataclass(frozen=True)
class PhoneSettings:
    """How the phone line speaks, listens and checks requests: credentials.yml keys, overridden by the environment."""

    auth_token: str = ""
    validate_signature: bool = True
    public_url: str = ""
    voice: str = DEFAULT_VOICE
    language: str = DEFAULT_LANGUAGE
    speech_model: str = DEFAULT_SPEECH_MODEL
    low_confidence: float = DEFAULT_LOW_CONFIDENCE
    reply_timeout: float = DEFAULT_REPLY_TIMEOUT

    @classmethod
    def load(cls, credentials: Optional[Mapping[str, Any]] = None, environ: Mapping[str, str] = os.environ) -> "PhoneSettings":
        given = dict(credentials or {})

        def pick(env: str, key: str, default: Any) -> Any:
            value = environ.get(env) or given.get(key)
            return default if value in (None, "") else value

        return cls(
            auth_token=str(pick("TWILIO_AUTH_TOKEN", "auth_token", "")),
            validate_signature=_flag(environ.get("TWILIO_VALIDATE_SIGNATURE"), True),
            public_url=str(pick("TWILIO_PUBLIC_URL", "public_url", "")).rstrip("/"),
            voice=str(pick("TWILIO_VOICE", "voice", DEFAULT_VOICE)),
            language=str(pick("TWILIO_LANGUAGE", "language", DEFAULT_LANGUAGE)),
            speech_model=str(pick("TWILIO_SPEECH_MODEL", "speech_model", DEFAULT_SPEECH_MODEL)),
            low_confidence=float(pick("TWILIO_LOW_CONFIDENCE", "low_confidence", DEFAULT_LOW_CONFIDENCE)),
            reply_timeout=float(pick("TWILIO_REPLY_TIMEOUT", "reply_timeout", DEFAULT_REPLY_TIMEOUT)),
        )

    @property
    def signature_mode(self) -> str:
        if not self.validate_signature:
            return "off"
        return "on" if self.auth_token else "no token"


# --- request checking ----------------------------------------------------------

class MalformedRequest(ValueError):
    """A request that is not a Twilio form post; answered 400."""


class FormParams(dict):
    """Form fields, first value per name, that still hands RequestValidator every value it was sent."""

    def __init__(self, pairs: List[Tuple[str, str]]) -> None:
        super().__init__()
        self._all: Dict[str, List[str]] = {}
        for name, value in pairs:
            self._all.setdefault(name, []).append(value)
            self.setdefault(name, value)

    def getall(self, name: str) -> List[str]:
        return self._all[name]


def parse_form(body: bytes) -> FormParams:
    text = (body or b"").decode("utf-8", errors="replace")
    try:
        return FormParams(parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="replace", max_num_fields=200))
    except ValueError:
        raise MalformedRequest("expected a form-encoded body (application/x-www-form-urlencoded)") from None


def _first(header: Optional[str]) -> str:
    return (header or "").split(",")[0].strip()


def signed_url(request: Request, public_url: str = "") -> str:
    """The URL Twilio requested (and signed): the configured public base, else what a proxy forwarded, else what Sanic saw."""
    if public_url:
        base = public_url.rstrip("/")
    else:
        scheme = _first(request.headers.get("x-forwarded-proto")) or request.scheme
        host = _first(request.headers.get("x-forwarded-host")) or request.headers.get("host") or request.host
        base = f"{scheme}://{host}"
    query = request.query_string
    return base + request.path + (f"?{query}" if query else "")


class SignatureCheck:
    """X-Twilio-Signature: HMAC-SHA1 of the URL and POST fields with the account's auth token."""

    def __init__(self, settings: PhoneSettings) -> None:
        self.enabled = settings.validate_signature
        self.validator = RequestValidator(settings.auth_token) if settings.auth_token else None

    def accepts(self, url: str, params: Mapping[str, str], signature: Optional[str]) -> bool:
        if not self.enabled:
            return True
        if self.validator is None or not signature:
            return False
        return self.validator.validate(url, params, signature)


# --- call state in the action URL ----------------------------------------------

@dataclasses.dataclass(frozen=True)
class CallState:
    """Where a call is: reprompts so far, a topic to confirm ('ask_<id>'), or an offer made ('support', '988', 'person')."""

    silence: int = 0
    confirm: Optional[str] = None
    offer: Optional[str] = None

    @classmethod
    def from_query(cls, query: Mapping[str, List[str]], known: Content) -> Optional["CallState"]:
        """The state in a Gather action URL; None when there is none (Twilio's first request of a call)."""
        if not any(name in query for name in ("silence", "confirm", "offer")):
            return None
        silence = (query.get("silence") or ["0"])[0]
        confirm = (query.get("confirm") or [""])[0]
        offer = (query.get("offer") or [""])[0]
        return cls(
            silence=min(int(silence), MAX_REPROMPTS + 1) if silence.isdigit() else 0,
            confirm=confirm if known.answer_for_intent(confirm) else None,
            offer=offer if offer in OFFERS or offer in HELP_LINES else None,
        )

    def query(self) -> str:
        values = {"silence": str(self.silence)}
        if self.confirm:
            values["confirm"] = self.confirm
        if self.offer:
            values["offer"] = self.offer
        return urlencode(values)


def topic_phrase(answer: Answer) -> str:
    return answer.topic


def yes_or_no(text: str) -> Optional[str]:
    said = safety.normalise(text)
    if _YES.match(said):
        return "yes"
    if _NO.match(said):
        return "no"
    return None


def _diallable(number: Optional[str]) -> Optional[str]:
    number = (number or "").strip()
    return number if _DIALLABLE.match(number) else None


# --- the call flow ---------------------------------------------------------------

Ask = Callable[[str], Awaitable[List[Dict[str, Any]]]]
Understand = Callable[[str], Awaitable[Dict[str, Any]]]


class CallFlow:
    """Turns one Twilio request into TwiML: what the caller did, in the state the call was in.

    `ask` sends a message to the assistant for this call and returns its replies;
    `understand` runs only the assistant's NLU. Both are bounded by the reply
    timeout; a failure is heard as the service_trouble message.
    """

    def __init__(self, settings: PhoneSettings, ask: Ask, understand: Understand,
                 known: Optional[Content] = None, facility: Optional[Facility] = None) -> None:
        self.settings = settings
        self.ask = ask
        self.understand = understand
        self.content = known or content()
        self.facility = facility or load_facility()
        self.starters = [s for s in self.content.starters if s in self.content.answers][:MENU_SIZE]
        self.deadline = time.monotonic() + settings.reply_timeout
        self.base = settings.public_url + ROUTE_PREFIX
        self.caller: Mapping[str, str] = {}  # the request's form, for the caller ID a call back offer names

    # --- entry points ---
    async def voice(self, state: Optional[CallState], form: Mapping[str, str]) -> ET.Element:
        digits = clean_text(form.get("Digits"))
        speech = clean_text(form.get("SpeechResult"))
        if state is None and not digits and not speech:
            return await self.reply_to("/greet")
        state = state or CallState()
        if digits:
            return await self.on_key(state, digits)
        if speech:
            return await self.on_speech(state, speech, _confidence(form.get("Confidence")))
        return await self.on_silence(state)

    def after_dial(self, leg: str, status: str) -> ET.Element:
        """The <Dial action> callback: goodbye when the call was taken, otherwise another way to get help."""
        root = twiml.response()
        if status in DIAL_ANSWERED:
            self.say(root, self.content.behaviour("goodbye").spoken)
            twiml.hangup(root)
        elif leg == "clinic":
            self.say(root, NO_ONE_ANSWERED)
            self.listen(root, CallState(offer="support"), self.support_offer())
        else:
            if leg in HELP_LINES:
                number = HELP_LINES[leg].spoken
            else:
                number = "9 8 8" if leg == "crisis" else phone.spoken(self.facility.support_phone)
            self.say(root, NOT_CONNECTED.format(number=number))
            self.listen(root, CallState(), NEXT_QUESTION)
        return root

    # --- what the caller did ---
    async def on_key(self, state: CallState, key: str) -> ET.Element:
        if state.confirm and key in ("1", "2"):
            return await self.reply_to("/" + state.confirm) if key == "1" else self.ask_again()
        if state.offer == "support" and key == "1":
            return self.dial_support()
        if state.offer == "hangup" and key == "1":
            return self.hang_up()
        if state.offer == "callback" and key in ("1", "2"):
            return await self.reply_to("/affirm" if key == "1" else "/deny")
        if (state.offer == "988" or state.offer in HELP_LINES) and key == "1":
            return await self.reply_to("/affirm")
        choice = self.keypad().get(key)
        if choice:
            return await self.reply_to(choice)
        return await self.on_silence(state)

    async def on_speech(self, state: CallState, text: str, confidence: Optional[float]) -> ET.Element:
        answer = yes_or_no(text)
        if state.confirm and answer:
            return await self.reply_to("/" + state.confirm) if answer == "yes" else self.ask_again()
        if state.offer == "hangup" and (answer == "yes" or _HANG_UP.search(text.lower())):
            return self.hang_up()
        if state.offer and answer == "yes":
            if state.offer == "support":
                return self.dial_support()
            line_offer = state.offer in ("988", "callback") or state.offer in HELP_LINES
            return await self.reply_to("/affirm" if line_offer else "/human_handoff")
        if (state.offer in ("support", "988", "callback") or state.offer in HELP_LINES) and answer == "no":
            return await self.reply_to("/deny")
        if confidence is not None and confidence < self.settings.low_confidence:
            return await self.on_unsure(text)
        return await self.reply_to(text)

    async def on_unsure(self, text: str) -> ET.Element:
        """Poorly heard speech: confirm the topic it most likely was, unless it may be a crisis (then it goes straight through)."""
        if safety.screen(text):
            return await self.reply_to(text)
        intent = await self.top_intent(text)
        answer = self.content.answer_for_intent(intent or "")
        if answer is None or intent in (safety.CRISIS, safety.EMERGENCY):
            return await self.reply_to(text)
        root = twiml.response()
        self.listen(root, CallState(confirm=answer.intent), CONFIRM_TOPIC.format(topic=topic_phrase(answer)))
        return root

    async def on_silence(self, state: CallState) -> ET.Element:
        """Nothing heard, or nothing that fits: reprompt twice in different words, then offer a person."""
        if state.offer == "person":
            return await self.reply_to("/human_handoff", stayed_on_line=True)
        misses = state.silence + 1
        root = twiml.response()
        if misses > MAX_REPROMPTS:
            self.listen(root, CallState(silence=misses, offer="person"), OFFER_PERSON)
        elif state.confirm or state.offer:
            question = self.pending_question(state)
            self.listen(root, dataclasses.replace(state, silence=misses), f"{NOT_CAUGHT} {question}")
        elif misses == 1:
            self.listen(root, CallState(silence=misses), REPROMPT_FIRST)
        else:
            self.listen(root, CallState(silence=misses), REPROMPT_SECOND.format(last=len(self.starters)))
        return root

    # --- the assistant's replies ---
    async def reply_to(self, message: str, stayed_on_line: bool = False) -> ET.Element:
        messages = await self.turn(message)
        texts = [m["text"] for m in messages or [] if m.get("text")]
        customs = [m["custom"] for m in messages or [] if isinstance(m.get("custom"), dict)]
        if not texts:
            return self.service_trouble()
        return self.render(texts, customs[0] if customs else {}, stayed_on_line)

    async def turn(self, message: str) -> Optional[List[Dict[str, Any]]]:
        try:
            return await asyncio.wait_for(self.ask(message), timeout=self.remaining())
        except asyncio.TimeoutError:
            logger.error("phone line: the assistant did not answer within %.0f s", self.settings.reply_timeout)
        except Exception:
            logger.exception("phone line: the assistant failed to answer")
        return None

    async def top_intent(self, text: str) -> Optional[str]:
        try:
            parsed = await asyncio.wait_for(self.understand(text), timeout=min(NLU_TIMEOUT, self.remaining()))
            return ((parsed or {}).get("intent") or {}).get("name")
        except Exception:  # no confirmation then: the text goes to the assistant as it is
            logger.warning("phone line: could not classify a poorly heard question", exc_info=True)
            return None

    def render(self, texts: List[str], custom: Dict[str, Any], stayed_on_line: bool = False) -> ET.Element:
        root = twiml.response()
        kind = custom.get("answer_id")
        if custom.get("dial") == "911" or kind == "emergency":
            # Twilio cannot connect a call to 911 (trial numbers cannot dial it at all, and a forwarded
            # call would not carry the caller's location), so the caller is told twice and offered to
            # have the line freed for them to dial 911; the call ends only if they choose it.
            self.say_all(root, texts)
            twiml.pause(root, 1)
            self.say_all(root, texts)
            self.listen(root, CallState(offer="hangup"), OFFER_HANG_UP)
        elif _diallable(custom.get("dial")):
            self.say_all(root, texts)
            leg = next((key for key, line in HELP_LINES.items() if line.number == custom["dial"] and line.number != "988"),
                       "crisis")
            twiml.dial(root, custom["dial"], action=self.url("dial-status", leg=leg), timeout=DIAL_TIMEOUT)
        elif custom.get("end_conversation"):
            self.say_all(root, texts)
            twiml.hangup(root)
        elif custom.get("callback") in ("confirmed", "failed"):
            self.say_all(root, texts)
            self.listen(root, CallState(), NEXT_QUESTION)
        elif custom.get("callback") == "offer" and phone_staff.confirm_line(self.caller):
            # the question is asked inside the Gather, with the number she would be called on
            self.say_all(root, texts[:-1])
            self.listen(root, CallState(offer="callback"), f"{texts[-1]} {phone_staff.confirm_line(self.caller)}")
        elif kind == "handoff":
            self.hand_over(root, texts, custom, stayed_on_line)
        elif kind == "crisis" and custom.get("offer_dial"):
            self.say_all(root, texts)
            self.listen(root, CallState(offer="988"), OFFER_CRISIS_LINE)
        elif kind == "disclosure" and custom.get("offer_line") in HELP_LINES:
            # the line for what she told us (RAINN, the Domestic Violence Hotline, 988): "yes" or 1 connects
            line = custom["offer_line"]
            self.say_all(root, texts)
            self.listen(root, CallState(offer=line), self.line_offer(line))
        else:
            self.say_all(root, texts)
            self.listen(root, CallState(), self.next_prompt(texts, custom))
        return root

    def hand_over(self, root: ET.Element, texts: List[str], custom: Dict[str, Any], stayed_on_line: bool) -> None:
        """Handoff: transfer to the clinic when it is open, else offer (or, for a caller who stayed on, dial) the support line."""
        self.say_all(root, texts)
        transfer = _diallable(custom.get("transfer"))
        support = _diallable((custom.get("support") or {}).get("phone")) or phone.e164(self.facility.support_phone)
        if transfer:
            self.say(root, CONNECTING)
            dialled = twiml.dial(root, transfer, action=self.url("dial-status", leg="clinic"), timeout=DIAL_TIMEOUT)
            dialled.find("Number").set("url", phone_staff.whisper_url(self.base, custom))
        elif stayed_on_line:
            self.say(root, CONNECTING_SUPPORT.format(support_name=self.facility.support_name))
            twiml.dial(root, support, action=self.url("dial-status", leg="support"), timeout=DIAL_TIMEOUT)
        else:
            self.listen(root, CallState(offer="support"), self.support_offer())

    def hang_up(self) -> ET.Element:
        """The caller chose to end the call (to dial 911 themselves)."""
        root = twiml.response()
        self.say(root, self.content.behaviour("emergency").spoken)
        twiml.hangup(root)
        return root

    def dial_support(self) -> ET.Element:
        root = twiml.response()
        self.say(root, CONNECTING_SUPPORT.format(support_name=self.facility.support_name))
        twiml.dial(root, phone.e164(self.facility.support_phone), action=self.url("dial-status", leg="support"),
                   timeout=DIAL_TIMEOUT)
        return root

    def service_trouble(self) -> ET.Element:
        """No answer from the assistant: say so, give the support line's number, and offer to connect."""
        root = twiml.response()
        trouble = render_behaviour("service_trouble", "fallback", CHANNEL, self.content, self.facility)
        self.say(root, trouble.text)
        self.listen(root, CallState(offer="support"), self.support_offer())
        return root

    def ask_again(self) -> ET.Element:
        root = twiml.response()
        self.listen(root, CallState(), ASK_AGAIN)
        return root

    # --- words and listening ---
    def keypad(self) -> Dict[str, str]:
        keys = {str(n): f"/ask_{answer_id}" for n, answer_id in enumerate(self.starters, start=1)}
        keys.update({"0": "/human_handoff", "*": "/repeat"})
        return keys

    def menu(self) -> str:
        options = [
            MENU_OPTION.format(topic=topic_phrase(self.content.answers[a]), key=n)
            for n, a in enumerate(self.starters, start=1)
        ]
        return " ".join([MENU_LEAD, *options, MENU_PERSON])

    def support_offer(self) -> str:
        return OFFER_SUPPORT.format(support_name=self.facility.support_name)

    def next_prompt(self, texts: List[str], custom: Dict[str, Any]) -> str:
        kind = custom.get("answer_id") or ""
        if kind == "greeting":
            return self.menu()
        answer = self.content.answer(kind)
        if answer is not None:
            has_more = bool(answer.more) and custom.get("part", "main") == "main"
            return NEXT_WITH_MORE if has_more else NEXT_QUESTION
        return NEXT_AFTER_QUESTION if texts[-1].rstrip().endswith("?") else NEXT_QUESTION

    def pending_question(self, state: CallState) -> str:
        if state.confirm:
            return CONFIRM_TOPIC.format(topic=topic_phrase(self.content.answer_for_intent(state.confirm)))
        if state.offer in HELP_LINES:
            return self.line_offer(state.offer)
        return {"support": self.support_offer(), "988": OFFER_CRISIS_LINE, "person": OFFER_PERSON,
                "hangup": OFFER_HANG_UP, "callback": self.callback_offer()}[state.offer]

    def callback_offer(self) -> str:
        words = render_behaviour("callback_offer", "handoff", CHANNEL, self.content, self.facility).text
        return f"{words} {phone_staff.confirm_line(self.caller)}"

    def line_offer(self, line: str) -> str:
        return OFFER_LINE.format(line=HELP_LINES[line].spoken_name)

    def say(self, parent: ET.Element, spoken: str) -> ET.Element:
        return twiml.say(parent, spoken, self.settings.voice, self.settings.language)

    def say_all(self, parent: ET.Element, texts: List[str]) -> None:
        for text in texts:
            self.say(parent, text)

    def listen(self, root: ET.Element, state: CallState, prompt: str) -> ET.Element:
        gather = twiml.gather(
            root, self.url("voice", state), hints(), self.settings.speech_model, self.settings.language,
            timeout=GATHER_TIMEOUT,
        )
        self.say(gather, prompt)
        return gather

    def url(self, route: str, state: Optional[CallState] = None, **query: str) -> str:
        return f"{self.base}/{route}?{state.query() if state else urlencode(query)}"

    def remaining(self) -> float:
        return max(0.1, self.deadline - time.monotonic())


def _confidence(value: Optional[str]) -> Optional[float]:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


_hints_cache: Optional[List[str]] = None


def hints() -> List[str]:
    """Words the speech recogniser should expect: the medical terms, and what callers say to the menu."""
    global _hints_cache
    if _hints_cache is None:
        phone_words = ["tell me more", "operator", "agent", "a person", "yes", "no", "goodbye"]
        _hints_cache = list(dict.fromkeys(load_terms().speech_hints() + phone_words))[:MAX_HINTS]
    return _hints_cache


# --- the Rasa input channel ---------------------------------------------------------

class TwilioVoiceInput(InputChannel):
    """Rasa input channel for the phone line (credentials.yml: channels.twilio_voice.TwilioVoiceInput)."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "TwilioVoiceInput":
        return cls(PhoneSettings.load(credentials))

    def __init__(self, settings: Optional[PhoneSettings] = None) -> None:
        self.settings = settings or PhoneSettings.load()
        self.signatures = SignatureCheck(self.settings)
        mode = self.settings.signature_mode
        if mode == "off":
            logger.warning(
                "PHONE LINE SIGNATURE CHECK IS OFF (TWILIO_VALIDATE_SIGNATURE=false): anyone can post to "
                "%s. Use this only on a development machine.", ROUTE_PREFIX,
            )
        elif mode == "no token":
            logger.error(
                "The phone line has no Twilio auth token, so it rejects every request with 403. Set "
                "TWILIO_AUTH_TOKEN to the Twilio account's auth token (or, on a development machine only, "
                "TWILIO_VALIDATE_SIGNATURE=false)."
            )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        phone_line = Blueprint("twilio_ivr_webhook", __name__)

        @phone_line.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "channel": CHANNEL, "signature_check": self.settings.signature_mode})

        @phone_line.route("/voice", methods=["POST"])
        async def voice(request: Request) -> HTTPResponse:
            checked = self._checked_form(request)
            if isinstance(checked, HTTPResponse):
                return checked
            form, sender = checked
            flow = self._flow(request, sender, on_new_message, form)
            state = CallState.from_query(parse_qs(request.query_string), flow.content)
            logger.info("phone line: call %s, %s", sender[:12], _describe(state, form))
            return self._twiml(await flow.voice(state, form), flow)

        @phone_line.route("/dial-status", methods=["POST"])
        async def dial_status(request: Request) -> HTTPResponse:
            checked = self._checked_form(request)
            if isinstance(checked, HTTPResponse):
                return checked
            form, sender = checked
            leg = (parse_qs(request.query_string).get("leg") or ["support"])[0]
            leg = leg if leg in DIAL_LEGS or leg in HELP_LINES else "support"
            status = clean_text(form.get("DialCallStatus")).lower()
            logger.info("phone line: call %s, %s transfer ended: %s", sender[:12], leg, status or "no status")
            flow = self._flow(request, sender, on_new_message, form)
            if leg == "clinic" and status not in DIAL_ANSWERED and phone_staff.callbacks_on():
                # nobody took the transfer: the assistant offers a call back
                replies = await run_staff_action(request.app.ctx.agent, sender, "action_transfer_unanswered")
                texts = [m["text"] for m in replies if m.get("text")]
                customs = [m["custom"] for m in replies if isinstance(m.get("custom"), dict)]
                if texts:
                    return self._twiml(flow.render(texts, customs[0] if customs else {}), flow)
            return self._twiml(flow.after_dial(leg, status), flow)

        @phone_line.route("/whisper", methods=["POST"])
        async def whisper(request: Request) -> HTTPResponse:
            checked = self._checked_form(request)
            if isinstance(checked, HTTPResponse):
                return checked
            xml = phone_staff.whisper_twiml(parse_qs(request.query_string), self.settings.voice, self.settings.language)
            return response.text(xml, content_type="application/xml")

        return phone_line

    def _checked_form(self, request: Request):
        """(form, conversation key) for a genuine Twilio request, or the 4xx response for anything else."""
        if not self.settings.validate_signature:
            logger.warning("phone line: request accepted WITHOUT a signature check (TWILIO_VALIDATE_SIGNATURE=false)")
        try:
            form = parse_form(request.body)
        except MalformedRequest as error:
            return response.text(str(error), status=400)
        url = signed_url(request, self.settings.public_url)
        if not self.signatures.accepts(url, form, request.headers.get("X-Twilio-Signature")):
            logger.warning("phone line: rejected a request without a valid X-Twilio-Signature")
            return response.text("Forbidden: invalid or missing X-Twilio-Signature", status=403)
        call_sid = form.get("CallSid", "")
        if not _CALL_SID.match(call_sid):
            return response.text("CallSid is missing or malformed", status=400)
        return form, conversation_key("twilio", call_sid)

    def _flow(self, request: Request, sender: str, on_new_message, form: Mapping[str, str]) -> CallFlow:
        agent = getattr(request.app.ctx, "agent", None)
        # Twilio marks each webhook with an idempotency token that stays the same when it retries the request
        replay_ids = [request.headers.get("I-Twilio-Idempotency-Token") or None]

        async def ask(text: str) -> Optional[List[Dict[str, Any]]]:
            message = UserMessage(text, CollectingOutputChannel(), sender, input_channel=CHANNEL)
            # the token names the request's first turn only
            replay_id = replay_ids.pop() if replay_ids else None
            replies = await run_turn(on_new_message, message, self.settings.reply_timeout, agent, replay_id)
            return await phone_staff.keep_confirmed_callback(agent, sender, form, replies)

        async def understand(text: str) -> Dict[str, Any]:
            return await request.app.ctx.agent.parse_message(text)

        flow = CallFlow(self.settings, ask, understand)
        flow.caller = form
        return flow

    def _twiml(self, root: ET.Element, flow: CallFlow) -> HTTPResponse:
        found = twiml.problems(root)
        if found:  # a bug, never silence: the caller still hears the support line
            logger.error("phone line: built invalid TwiML (%s); sending the service-trouble message", "; ".join(found))
            root = flow.service_trouble()
        return response.text(twiml.to_xml(root), content_type="application/xml")


def _describe(state: Optional[CallState], form: Mapping[str, str]) -> str:
    """What happened in this request, for the log: never the words or the numbers."""
    if state is None:
        return f"new call ({clean_text(form.get('CallStatus')) or 'no status'})"
    heard = "key press" if form.get("Digits") else "speech" if clean_text(form.get("SpeechResult")) else "nothing heard"
    pending = f", awaiting {state.confirm or state.offer}" if (state.confirm or state.offer) else ""
    return f"{heard} (reprompts so far {state.silence}{pending})"
