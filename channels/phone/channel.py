"""The phone line's routes, and each Twilio request as one message to the assistant.

A new call is `/greet`; a key press `/keypad{"key": …}`; speech is its words,
with the recogniser's confidence in the message metadata; nothing heard is
`/silence`; the end of a transfer is `/dial_ended{"leg": …, "status": …}`.
The line keeps no state of its own beyond one mark in the Gather URL: that it
is listening, or that it offered the support line because the assistant could
not answer. Caller numbers are never stored or logged; the conversation key
is a keyed hash of the CallSid.

Routes (under /webhooks/twilio_ivr):
  GET  /             health
  POST /voice        new call and every Gather result
  POST /dial-status  the <Dial action> callback after a transfer
  POST /whisper      what the clinic's navigator hears before a transfer connects (channels/phone/staff.py)
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional
from urllib.parse import parse_qs

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.twiml.voice_response import VoiceResponse

from channels import twiml
from channels.common import clean_text, run_turn
from channels.phone import staff
from channels.phone.render import ROUTE_PREFIX, CallRender
from channels.phone.request import CALL_SID, MalformedRequest, SignatureCheck, parse_form, signed_url
from channels.phone.settings import PhoneSettings
from companion.channel_traits import PHONE
from companion.content import Content, content
from companion.privacy import conversation_key
from companion.settings import Facility, load_facility

logger = logging.getLogger(__name__)

CHANNEL = PHONE
DIAL_LEGS = ("clinic", "support", "crisis")

Ask = Callable[[str, Dict[str, Any]], Awaitable[Optional[List[Dict[str, Any]]]]]


class CallFlow:
    """Turns one Twilio request into a message to the assistant, and its replies into TwiML.

    `ask` sends a message (with metadata) to the assistant for this call and
    returns its replies, bounded by the reply timeout; a failure is heard as
    the service-trouble message.
    """

    def __init__(self, settings: PhoneSettings, ask: Ask, known: Optional[Content] = None,
                 facility: Optional[Facility] = None, caller: str = "") -> None:
        self.settings = settings
        self.ask = ask
        self.caller = caller  # the caller ID: only said back (last four digits) when a call back is offered
        self.content = known or content()
        self.render = CallRender(settings, self.content, facility or load_facility())
        self.deadline = time.monotonic() + settings.reply_timeout

    async def voice(self, query: Mapping[str, List[str]], form: Mapping[str, str]) -> VoiceResponse:
        listened_in = (query.get("lang") or [""])[0]
        if listened_in in ("en", "es"):
            self.render.use_language(listened_in)  # so a reply the assistant cannot give is in her language
        digits = clean_text(form.get("Digits"))
        speech = clean_text(form.get("SpeechResult")).lstrip("/").strip()
        if "offer" in query and digits == "1":
            return self.render.dial_support()  # the offer made when the assistant could not answer
        if digits:
            return await self.reply_to("/keypad" + json.dumps({"key": digits[:8]}))
        if speech:
            confidence = _confidence(form.get("Confidence"))
            heard_poorly = confidence is not None and confidence < self.settings.low_confidence
            return await self.reply_to(speech, {"modality": "voice", "asr_confidence": confidence,
                                                "heard_poorly": heard_poorly})
        if "listening" not in query and "offer" not in query:
            return await self.reply_to("/greet")
        return await self.reply_to("/silence")

    async def after_dial(self, leg: str, status: str) -> VoiceResponse:
        return await self.reply_to("/dial_ended" + json.dumps({"leg": leg, "status": status or "unknown"}))

    async def reply_to(self, message: str, metadata: Optional[Dict[str, Any]] = None) -> VoiceResponse:
        replies = await self.turn(message, metadata or {"modality": "voice"})
        texts = [m["text"] for m in replies or [] if m.get("text")]
        customs = [m["custom"] for m in replies or [] if isinstance(m.get("custom"), dict)]
        if not texts and not customs:
            return self.render.service_trouble()
        return self.render.replies(texts, customs[0] if customs else {}, self.caller)

    async def turn(self, message: str, metadata: Dict[str, Any]) -> Optional[List[Dict[str, Any]]]:
        try:
            return await asyncio.wait_for(self.ask(message, metadata), timeout=self.remaining())
        except asyncio.TimeoutError:
            logger.error("phone line: the assistant did not answer within %.0f s", self.settings.reply_timeout)
        except Exception:
            logger.exception("phone line: the assistant failed to answer")
        return None

    def remaining(self) -> float:
        return max(0.1, self.deadline - time.monotonic())


def _confidence(value: Optional[str]) -> Optional[float]:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


class TwilioVoiceInput(InputChannel):
    """Rasa input channel for the phone line (credentials.yml: channels.phone.TwilioVoiceInput)."""

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
            form, sender, refused = self._checked_form(request)
            if refused is not None:
                return refused
            query = parse_qs(request.query_string)
            logger.info("phone line: call %s, %s", sender[:12], _describe(query, form))
            flow = self._flow(request, sender, on_new_message, form)
            return self._twiml(await flow.voice(query, form), flow)

        @phone_line.route("/dial-status", methods=["POST"])
        async def dial_status(request: Request) -> HTTPResponse:
            form, sender, refused = self._checked_form(request)
            if refused is not None:
                return refused
            leg = (parse_qs(request.query_string).get("leg") or ["support"])[0]
            leg = leg if leg in DIAL_LEGS or leg in content().lines else "support"
            status = clean_text(form.get("DialCallStatus")).lower()
            logger.info("phone line: call %s, %s transfer ended: %s", sender[:12], leg, status or "no status")
            flow = self._flow(request, sender, on_new_message, form)
            return self._twiml(await flow.after_dial(leg, status), flow)

        @phone_line.route("/whisper", methods=["POST"])
        async def whisper(request: Request) -> HTTPResponse:
            form, _, refused = self._checked_form(request)
            if refused is not None:
                return refused
            document = staff.whisper_twiml(parse_qs(request.query_string), self.settings.voice, self.settings.language)
            return response.text(document, content_type="application/xml")

        return phone_line

    def _checked_form(self, request: Request):
        """(form, conversation key, None) for a genuine Twilio request; (None, "", the 4xx response) for anything else."""
        if not self.settings.validate_signature:
            logger.warning("phone line: request accepted WITHOUT a signature check (TWILIO_VALIDATE_SIGNATURE=false)")
        try:
            form = parse_form(request.body)
        except MalformedRequest as error:
            return None, "", response.text(str(error), status=400)
        url = signed_url(request, self.settings.public_url)
        if not self.signatures.accepts(url, form, request.headers.get("X-Twilio-Signature")):
            logger.warning("phone line: rejected a request without a valid X-Twilio-Signature")
            return None, "", response.text("Forbidden: invalid or missing X-Twilio-Signature", status=403)
        call_sid = form.get("CallSid", "")
        if not CALL_SID.match(call_sid):
            return None, "", response.text("CallSid is missing or malformed", status=400)
        return form, conversation_key("twilio", call_sid), None

    def _flow(self, request: Request, sender: str, on_new_message, form: Mapping[str, str]) -> CallFlow:
        agent = getattr(request.app.ctx, "agent", None)
        # Twilio marks each webhook with an idempotency token that stays the same when it retries the request
        replay_id = request.headers.get("I-Twilio-Idempotency-Token") or None

        async def ask(text: str, metadata: Dict[str, Any]) -> Optional[List[Dict[str, Any]]]:
            message = UserMessage(text, CollectingOutputChannel(), sender, input_channel=CHANNEL, metadata=metadata)
            replies = await run_turn(on_new_message, message, self.settings.reply_timeout, agent, replay_id)
            # after her "yes" to a call back, her caller ID is kept (encrypted) with the request
            return await staff.keep_confirmed_callback(agent, sender, form, replies)

        return CallFlow(self.settings, ask, caller=form.get("From") or "")

    def _twiml(self, root: VoiceResponse, flow: CallFlow) -> HTTPResponse:
        document = root.to_xml()
        # a cheap check of our own output against Twilio's rules: a bug must never leave a caller in silence
        found = twiml.problems(document)
        if found:
            logger.error("phone line: built invalid TwiML (%s); sending the service-trouble message", "; ".join(found))
            document = flow.render.service_trouble().to_xml()
        return response.text(document, content_type="application/xml")


def _describe(query: Mapping[str, List[str]], form: Mapping[str, str]) -> str:
    """What happened in this request, for the log: never the words or the numbers."""
    if "listening" not in query and "offer" not in query:
        return f"new call ({clean_text(form.get('CallStatus')) or 'no status'})"
    return "key press" if form.get("Digits") else "speech" if clean_text(form.get("SpeechResult")) else "nothing heard"
