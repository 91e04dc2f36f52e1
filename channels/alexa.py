"""The smart-speaker channel: an Alexa custom skill's web service endpoint (POST /webhooks/alexa/webhook).

It owns the translation between the Alexa Skills Kit and the assistant: each
verified request (see channels/alexa_verification.py) becomes one user
message, and the assistant's replies for that turn become one Alexa response
with SSML speech, a reprompt, a Simple card and `shouldEndSession`.

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
import inspect
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.common import clean_text, run_turn
from channels.alexa_verification import AlexaRequestVerifier, VerificationError, field, verifier_from_environment
from companion import ssml
from companion.content import content
from companion.privacy import conversation_key
from companion.render import render_behaviour
from companion.settings import Facility, load_facility

logger = logging.getLogger(__name__)

CHANNEL = "alexa"
ASSISTANT_TIMEOUT_SECONDS = 6.0  # Alexa waits about 8 seconds for the whole response
MAX_SPEECH_CHARS = 8000  # Alexa's limit for outputSpeech, tags included
MAX_CARD_CHARS = 8000
CARD_TITLE = "Callback Companion"

# Question intents of the interaction model and the opening words each stands
# for. AMAZON.SearchQuery needs a carrier phrase, and Alexa fills the slot with
# the words after it, so the opening is put back in front of the slot value.
QUESTION_INTENTS = {
    "AskQuestionIntent": "",
    "AskWhatIntent": "what",
    "AskWhyIntent": "why",
    "AskHowIntent": "how",
    "AskIsIntent": "is",
    "AskAreIntent": "are",
    "AskWillIntent": "will",
    "AskCanIntent": "can",
    "AskDoesIntent": "does",
    "AskDoIntent": "do",
    "AskShouldIntent": "should",
    "AskWhenIntent": "when",
    "AskWhereIntent": "where",
    "AskWhoIntent": "who",
    "AskTellMeIntent": "tell me",
    "AskIIntent": "I",
    "AskImIntent": "I'm",
    "AskMyIntent": "my",
    "AskIveIntent": "I've",
    "AskIdIntent": "I'd",
    "AskIllIntent": "I'll",
    "AskThereIntent": "there",
    "AskTheresIntent": "there's",
    "AskThisIntent": "this",
    "AskTheseIntent": "these",
    "AskTheIntent": "the",
    "AskItIntent": "it",
    "AskItsIntent": "it's",
    "AskIfIntent": "if",
    "AskSomeoneIntent": "someone",
    "AskNobodyIntent": "nobody",
    "AskEveryoneIntent": "everyone",
    "AskHeIntent": "he",
    "AskHesIntent": "he's",
    "AskSheIntent": "she",
    "AskShesIntent": "she's",
    "AskTheyIntent": "they",
    "AskWeIntent": "we",
    "AskSometimesIntent": "sometimes",
    "AskLatelyIntent": "lately",
    "AskHonestlyIntent": "honestly",
    "AskPleaseIntent": "please",
    "AskCallIntent": "call",
    "AskThinkingIntent": "thinking",
    "AskLifeIntent": "life",
    "AskHerIntent": "her",
    "AskHisIntent": "his",
    "AskAmIntent": "am",
}
QUESTION_SLOT = "question"

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

# What the speaker adds to the assistant's words: the launch hint and the reprompts.
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

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


# --- from an Alexa request to a user message --------------------------------


class BadRequest(Exception):
    """A verified request that lacks what this skill needs (a 400, not a crash)."""


def spoken_words(text: Any) -> str:
    """What was said, cleaned as every channel cleans text, and never a "/command" the person did not choose."""
    return clean_text(text).lstrip("/").strip()


def question_text(intent: Dict) -> str:
    """The person's words: the intent's opening word and the `question` slot, or "" when the slot is empty."""
    slot = field(intent, "slots", QUESTION_SLOT, "value")
    words = spoken_words(slot)
    if not words:
        return ""
    return spoken_words(f"{QUESTION_INTENTS.get(intent.get('name'), '')} {words}")


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
    if name in QUESTION_INTENTS:
        return question_text(intent) or NOT_UNDERSTOOD, False
    return INTENT_COMMANDS.get(name, NOT_UNDERSTOOD), name in SESSION_ENDING_INTENTS


def conversation_of(alexa_request: Dict) -> str:
    """The conversation key: one per Alexa user and session, never the ids themselves."""
    user_id = field(alexa_request, "session", "user", "userId") or field(alexa_request, "context", "System", "user", "userId")
    session_id = field(alexa_request, "session", "sessionId")
    if not isinstance(user_id, str) or not user_id or not isinstance(session_id, str) or not session_id:
        raise BadRequest("request without a user id and session id")
    return conversation_key(CHANNEL, user_id, session_id)


# --- from the assistant's replies to an Alexa response ----------------------


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
    """Builds the Alexa response for one turn from the assistant's messages."""

    def __init__(self, facility: Facility) -> None:
        self.facility = facility

    def behaviour(self, key: str, kind: str, channel: Optional[str] = CHANNEL):
        return render_behaviour(key, kind, channel, content(), self.facility)

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
        reprompt = None if end else (REPROMPT_LAUNCH if launch else self.reprompt(custom))
        return alexa_response(spoken, self.card(custom, spoken), end, reprompt, {"answer_id": custom.get("answer_id")})

    def service_trouble(self, end_session: bool) -> Dict:
        spoken = self.behaviour("service_trouble", "fallback").text
        return alexa_response(
            spoken, simple_card(CARD_TITLE, readable(spoken)), end_session,
            None if end_session else REPROMPT_TROUBLE, {"answer_id": "service_trouble"},
        )

    def cannot_dial(self, custom: Dict) -> str:
        # The phone line connects the call; a speaker cannot, so it says the number to call instead.
        if custom.get("dial") == "911":
            return self.behaviour("emergency", "emergency").text
        known = content()
        for kind, keys in known.line_replies.items():
            if kind != "crisis" and any(known.lines[k].number == custom.get("dial") for k in keys if k in known.lines):
                return self.behaviour(kind, "disclosure").text
        return self.behaviour("crisis", "crisis").text

    @staticmethod
    def launch_hint(custom: Dict) -> str:
        starters = custom.get("starters") or []
        if not starters:
            return REPROMPT_LAUNCH
        return LAUNCH_HINT.format(starter=starters[0].get("title", ""))

    @staticmethod
    def reprompt(custom: Dict) -> str:
        kind = custom.get("answer_id")
        if kind == "crisis":
            return REPROMPT_CRISIS
        if kind == "emergency":
            return REPROMPT_EMERGENCY
        if kind == "handoff":
            return REPROMPT_HANDOFF
        if kind == "fallback" and custom.get("choices"):
            return REPROMPT_DID_YOU_MEAN
        answer = content().answer(kind) if kind else None
        if answer is not None:
            if answer.more and not custom.get("part"):
                return REPROMPT_MORE
            follow_ups = custom.get("follow_ups") or []
            if follow_ups and follow_ups[0].get("title"):
                return REPROMPT_FOLLOW_UP.format(title=_as_clause(follow_ups[0]["title"]))
        return REPROMPT_DEFAULT

    def card(self, custom: Dict, spoken: str) -> Dict[str, str]:
        kind = custom.get("answer_id")
        answer_card = custom.get("card")
        if isinstance(answer_card, dict) and answer_card.get("text"):
            return simple_card(answer_card.get("title") or CARD_TITLE, answer_card["text"])
        if kind == "handoff" and custom.get("contacts"):
            return simple_card("Talk to a person", contacts_card_text(custom["contacts"]))
        if kind == "crisis":
            lines = custom.get("lines") or [{}]
            title = lines[0].get("name") or "988 Suicide & Crisis Lifeline"
            return simple_card(title, self.behaviour("crisis", "crisis", channel=None).text)
        if kind == "emergency":
            return simple_card("Call 911", self.behaviour("emergency", "emergency", channel=None).text)
        if kind == "disclosure" and custom.get("lines"):
            return simple_card(custom["lines"][0].get("name") or CARD_TITLE, contacts_card_text(custom["lines"]))
        return simple_card(CARD_TITLE, readable(spoken))


def _as_clause(title: str) -> str:
    """'What happens at the follow-up visit?' -> 'what happens at the follow-up visit'."""
    title = title.strip().rstrip("?").strip()
    return title[:1].lower() + title[1:] if not title.startswith("I ") else title


def contacts_card_text(contacts: List[Dict]) -> str:
    lines = []
    for contact in contacts:
        name = str(contact.get("name") or "")
        lines.append(f"{name[:1].upper()}{name[1:]}: {contact.get('display', '')}")
        if contact.get("hours"):
            lines.append(f"Hours: {contact['hours']}")
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
        reply = self.renderer.response(messages, end_session=end_session, launch=request_type == "LaunchRequest")
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

