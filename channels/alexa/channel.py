"""The smart-speaker channel: an Alexa custom skill's web service endpoint (POST /webhooks/alexa/webhook).

It owns the translation between the Alexa Skills Kit and the assistant: each
verified request (see channels/alexa/verification.py) becomes one user
message, and the assistant's replies for that turn become one Alexa response
(channels/alexa/render.py).

What each request sends to the assistant:
- LaunchRequest: "/greet" (the greeting with the disclaimer), plus a hint of what to ask;
- the question intents of skill-package/interactionModels/custom/en-US.json: the words the
  person said, rebuilt from the opening word the intent stands for and the `question` slot;
- Alexa's built-in intents: help, goodbye (stop and cancel, which end the session),
  yes, no, repeat, and "not understood" for AMAZON.FallbackIntent;
- SessionEndedRequest: nothing (Alexa accepts no speech then).

Credentials (credentials.yml, `channels.alexa.AlexaInput:`): `skill_id`, which
the ALEXA_SKILL_ID environment variable overrides.
"""

from __future__ import annotations

import asyncio
import json
import inspect
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.alexa.render import ReplyRenderer, error_response, silent_response
from channels.common import clean_text, run_turn
from channels.alexa.verification import AlexaRequestVerifier, VerificationError, field, verifier_from_environment
from companion import PROJECT_ROOT
from companion.channel_traits import SPEAKER
from companion.privacy import conversation_key
from companion.content import language
from companion.settings import load_facility

logger = logging.getLogger(__name__)

CHANNEL = SPEAKER
ASSISTANT_TIMEOUT_SECONDS = 6.0  # Alexa waits about 8 seconds for the whole response

QUESTION_SLOT = "question"
MODELS = PROJECT_ROOT / "skill-package" / "interactionModels" / "custom"
INTERACTION_MODEL = MODELS / "en-US.json"
# intents whose words before the slot only carry the question ("I have a question about …")
CARRIER_INTENTS = frozenset({"AskQuestionIntent"})


def question_openings(model_path: Path = INTERACTION_MODEL) -> Dict[str, str]:
    """The question intents of the interaction model, and the opening words each stands for.

    AMAZON.SearchQuery needs a carrier phrase and Alexa fills the slot with the
    words after it, so the opening (the words of the intent's first sample
    before the slot) is put back in front of the slot value.
    """
    model = json.loads(model_path.read_text(encoding="utf-8"))["interactionModel"]["languageModel"]
    openings = {}
    for intent in model["intents"]:
        slots = [s["name"] for s in intent.get("slots", []) if s.get("type") == "AMAZON.SearchQuery"]
        samples = intent.get("samples") or []
        if slots == [QUESTION_SLOT] and samples:
            opening = samples[0].split("{" + QUESTION_SLOT + "}")[0].strip()
            openings[intent["name"]] = "" if intent["name"] in CARRIER_INTENTS else opening
    return openings


QUESTION_INTENTS = question_openings()
# each locale's model has its own openings ("what" in en-US, "qué" in es-US); a device set to
# English and Spanish sends each request in the locale it heard, so she switches by speaking
OPENINGS_BY_LOCALE = {path.stem: question_openings(path) for path in sorted(MODELS.glob("*.json"))}

# Intents that stand for one of the assistant's intents.
INTENT_COMMANDS = {
    "AMAZON.HelpIntent": "/help",
    "AMAZON.NavigateHomeIntent": "/help",
    "AMAZON.StopIntent": "/goodbye",
    "AMAZON.CancelIntent": "/goodbye",
    "AMAZON.YesIntent": "/affirm",
    "AMAZON.NoIntent": "/deny",
    "AMAZON.RepeatIntent": "/repeat",
    "AMAZON.FallbackIntent": "/nlu_fallback",
    "TellMoreIntent": "/tell_more",
    "TalkToPersonIntent": "/human_handoff",
    "ThanksIntent": "/thank",
    "GreetIntent": "/greet",
    "GoodbyeIntent": "/goodbye",
}
NOT_UNDERSTOOD = "/nlu_fallback"
SESSION_ENDING_INTENTS = frozenset({"AMAZON.StopIntent", "AMAZON.CancelIntent", "GoodbyeIntent"})


OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


# --- from an Alexa request to a user message --------------------------------


class BadRequest(Exception):
    """A verified request that lacks what this skill needs (a 400, not a crash)."""


def spoken_words(text: Any) -> str:
    """What was said, cleaned as every channel cleans text, and never a "/command" the person did not choose."""
    return clean_text(text).lstrip("/").strip()


def question_text(intent: Dict, locale: str = "en-US") -> str:
    """The person's words: the intent's opening word and the `question` slot, or "" when the slot is empty."""
    slot = field(intent, "slots", QUESTION_SLOT, "value")
    words = spoken_words(slot)
    if not words:
        return ""
    openings = OPENINGS_BY_LOCALE.get(locale, QUESTION_INTENTS)
    return spoken_words(f"{openings.get(str(intent.get('name') or ''), '')} {words}")


def message_for(alexa_request: Dict) -> Tuple[Optional[str], bool]:
    """What to send to the assistant for this request (None: nothing), and whether the session then ends."""
    request = alexa_request["request"]
    kind = request.get("type")
    if kind == "LaunchRequest":
        return "/greet", False
    if kind != "IntentRequest":
        return None, False
    intent = request.get("intent")
    name = field(intent, "name")
    if not isinstance(name, str) or not name:
        raise BadRequest("intent request without an intent name")
    locale = request.get("locale") if isinstance(request.get("locale"), str) else "en-US"
    if name in OPENINGS_BY_LOCALE.get(locale, QUESTION_INTENTS):
        return question_text(intent, locale) or NOT_UNDERSTOOD, False
    return INTENT_COMMANDS.get(name, NOT_UNDERSTOOD), name in SESSION_ENDING_INTENTS


def conversation_of(alexa_request: Dict) -> str:
    """The conversation key: one per Alexa user and session, never the ids themselves."""
    user_id = field(alexa_request, "session", "user", "userId") or field(alexa_request, "context", "System", "user", "userId")
    session_id = field(alexa_request, "session", "sessionId")
    if not isinstance(user_id, str) or not user_id or not isinstance(session_id, str) or not session_id:
        raise BadRequest("request without a user id and session id")
    return conversation_key(CHANNEL, user_id, session_id)


# --- the channel --------------------------------------------------------------


class AlexaInput(InputChannel):
    """Rasa input channel for an Alexa custom skill hosted on this server."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "AlexaInput":
        return cls(skill_id=(credentials or {}).get("skill_id"))

    def __init__(
        self,
        skill_id: Optional[str] = None,
        verifier: Optional[AlexaRequestVerifier] = None,
        timeout: float = ASSISTANT_TIMEOUT_SECONDS,
    ) -> None:
        self.verifier = verifier or verifier_from_environment(skill_id)
        self.timeout = timeout
        self._renderer: Optional[ReplyRenderer] = None
        if not self.verifier.check_signatures:
            logger.warning(
                "ALEXA REQUEST VERIFICATION IS OFF (ALEXA_VERIFY_REQUESTS=false): anyone can post to the "
                "Alexa webhook. Use this only on a development machine."
            )
        elif not self.verifier.skill_id:
            logger.error("ALEXA_SKILL_ID is not set: every Alexa request will be rejected until it is.")

    @property
    def renderer(self) -> ReplyRenderer:
        if self._renderer is None:
            self._renderer = ReplyRenderer(load_facility())
        return self._renderer

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        module = inspect.getmodule(self)
        webhook = Blueprint(f"alexa_webhook_{type(self).__name__}", module.__name__ if module else None)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            agent = getattr(request.app.ctx, "agent", None)
            return await self.handle(request.headers, request.body or b"", on_new_message, agent)

        return webhook

    async def handle(self, headers, body: bytes, on_new_message: OnNewMessage, agent: Any = None) -> HTTPResponse:
        if not self.verifier.check_signatures:
            logger.warning("Alexa request accepted WITHOUT signature verification (ALEXA_VERIFY_REQUESTS=false)")
        try:
            # off the event loop: the first request for a certificate URL downloads the chain
            alexa_request = await asyncio.get_running_loop().run_in_executor(None, self.verifier.verify, headers, body)
        except VerificationError as error:
            logger.warning("Alexa request rejected: %s", error)
            return error_response("request could not be verified")
        request_type = alexa_request["request"].get("type")
        if request_type == "SessionEndedRequest":
            logger.info("Alexa session ended (%s)", alexa_request["request"].get("reason", "no reason given"))
            return response.json(silent_response())
        try:
            text, end_session = message_for(alexa_request)
            sender = conversation_of(alexa_request) if text else ""
        except BadRequest as error:
            logger.warning("Alexa request refused: %s", error)
            return error_response(str(error))
        if text is None:
            logger.info("Alexa request of type %s needs no reply", request_type)
            return response.json(silent_response())
        logger.info("Alexa %s for conversation %s", _label(alexa_request), sender[:12])
        messages = await self.ask(on_new_message, text, sender, alexa_request, agent)
        renderer = self.renderer.in_language(language(alexa_request["request"].get("locale")))
        reply = renderer.response(messages, end_session=end_session, launch=request_type == "LaunchRequest")
        return response.json(reply)

    async def ask(
        self, on_new_message: OnNewMessage, text: str, sender: str, alexa_request: Dict, agent: Any = None
    ) -> List[Dict]:
        """The assistant's replies, or [] if it fails, is too slow for Alexa, or the turn could not be stored."""
        message = UserMessage(
            text, CollectingOutputChannel(), sender, input_channel=CHANNEL,
            metadata={"alexa_request": _label(alexa_request), "locale": alexa_request["request"].get("locale")},
        )
        # Alexa gives every request its own id: one sent twice is answered twice, handled once
        replay_id = alexa_request["request"].get("requestId")
        return await run_turn(on_new_message, message, self.timeout, agent, replay_id if isinstance(replay_id, str) else None) or []


def _label(alexa_request: Dict) -> str:
    request = alexa_request["request"]
    intent = field(request, "intent", "name")
    return f"{request.get('type')}:{intent}" if intent else str(request.get("type"))

