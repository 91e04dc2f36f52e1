"""The web chat channel: serves the chat page and its files, and takes the page's messages.

Routes (under /webhooks/webchat/):
- GET  /                    the chat page (channels/webchat_page/index.html)
- GET  /static/<file>       the page's CSS, script and icon (and axe-core, which only the browser tests load)
- POST /message             {"conversation": "<random id from the browser>", "message": "..."}
                            -> {"messages": [...]}, each like the REST channel's output
- GET  /events?conversation=<id>&after=<n>
                            the page's long poll during a live chat (channels/live_chat.py)
- POST /callback            {"conversation", "number"}: the number typed in the call back form

Both are rate-limited per client and per conversation (channels/rate_limits.py),
and served with a strict Content-Security-Policy; CC_FRAME_ANCESTORS names the
sites allowed to embed the page (none by default).

The browser keeps the transcript; the server only ever sees a keyed hash of
the browser's random conversation id. A conversation paused by a handoff is
resumed when the person writes again, so nobody is left in silence; while a
navigator has the chat, her messages go to the navigator instead
(channels/live_chat.py).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ConversationResumed
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import live_chat
from channels.common import ask_assistant, clean_text, trouble_messages
from channels.rate_limits import RateLimits
from channels.staff_turns import desk_for
from companion.channel_traits import WEBCHAT
from companion.environment import environment
from companion.privacy import conversation_key
from companion.tracker_store import private_store

logger = logging.getLogger(__name__)

PAGE_DIR = Path(__file__).resolve().parent / "webchat_page"
# Only these files are served; anything else under /static is a 404.
STATIC_FILES = {
    "chat.css": "text/css; charset=utf-8",
    "chat.js": "text/javascript; charset=utf-8",
    "axe.min.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
DEFAULT_TIMEOUT_SECONDS = 10.0
CONVERSATION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")

FRAME_ANCESTORS_ENV = "CC_FRAME_ANCESTORS"


def security_headers(frame_ancestors: str = "") -> Dict[str, str]:
    """The page's headers: no inline script or style, nothing from elsewhere, and framing only by `frame_ancestors`.

    `frame_ancestors` is a CSP source list for clinics that embed the page
    ("https://www.clinic.example"); empty, no site may frame it.
    """
    ancestors = " ".join(frame_ancestors.replace(",", " ").split()) or "'none'"
    headers = {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
            "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
            f"form-action 'self'; frame-ancestors {ancestors}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        # the transcript lives in the browser; nothing here should sit in a shared cache
        "Cache-Control": "no-store",
    }
    if ancestors == "'none'":
        headers["X-Frame-Options"] = "DENY"  # for browsers that do not read frame-ancestors
    return headers


SECURITY_HEADERS = security_headers(environment().get(FRAME_ANCESTORS_ENV, ""))


class BadMessage(ValueError):
    """A request the page would never send: answered with 400 and the reason."""


def parse_message(body: bytes) -> Dict[str, str]:
    """The conversation id and cleaned text from a POST body, or BadMessage saying what is wrong."""
    try:
        data = json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        raise BadMessage("The request body must be JSON.")
    if not isinstance(data, dict):
        raise BadMessage("The request body must be a JSON object.")
    conversation = data.get("conversation")
    if not isinstance(conversation, str) or not CONVERSATION_ID.fullmatch(conversation):
        raise BadMessage("'conversation' must be 8 to 64 letters, digits, '-' or '_'.")
    message = data.get("message")
    if not isinstance(message, str):
        raise BadMessage("'message' must be a string.")
    text = clean_text(message)
    if not text:
        raise BadMessage("'message' is empty.")
    message_id = data.get("message_id")
    if message_id is not None and (not isinstance(message_id, str) or not CONVERSATION_ID.fullmatch(message_id)):
        raise BadMessage("'message_id', when sent, must be 8 to 64 letters, digits, '-' or '_'.")
    return {"conversation": conversation, "text": text, "message_id": message_id}


def page_response(body: bytes, content_type: str) -> HTTPResponse:
    return response.raw(body, content_type=content_type, headers=SECURITY_HEADERS)


def json_response(payload: Dict[str, Any], status: int = 200) -> HTTPResponse:
    return response.json(payload, status=status, headers=SECURITY_HEADERS)


async def resume_if_paused(agent: Any, sender_id: str) -> bool:
    """Resumes a conversation a handoff paused: writing again means the person chose to go on with the assistant."""
    if agent is None or agent.tracker_store is None:
        return False
    store = private_store(agent)
    if store is not None and not store.may_be_paused(sender_id):
        return False  # the usual case, told by one small query instead of the whole tracker
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.tracker_store.retrieve(sender_id)
        if tracker is None or not tracker.is_paused():
            return False
        tracker.update(ConversationResumed())
        # A pause stops the prediction loop before the usual action_listen, so
        # the policies would see a message arrive mid-turn and fall back; add
        # the listen the processor would have run.
        if tracker.latest_action_name != ACTION_LISTEN_NAME:
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        await agent.tracker_store.save(tracker)
    return True


class WebChatInput(InputChannel):
    """The chat page and its message endpoint."""

    def __init__(self, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS, limits: Optional[RateLimits] = None) -> None:
        self.timeout_seconds = timeout_seconds
        self.limits = limits or RateLimits.from_environment()

    @classmethod
    def name(cls) -> Text:
        return WEBCHAT

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(timeout_seconds=float(credentials.get("timeout_seconds") or DEFAULT_TIMEOUT_SECONDS))

    async def answer(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]], agent: Any, conversation: str, text: str,
        message_id: Optional[str] = None,
    ) -> List[Dict[str, Any]]:
        """The assistant's replies to one message, or the service_trouble reply if it fails, is silent or is too slow."""
        sender_id = conversation_key(self.name(), conversation)

        async def assistant() -> List[Dict[str, Any]]:
            try:
                if await resume_if_paused(agent, sender_id):
                    logger.info("webchat conversation %s resumed after a handoff", sender_id[:12])
            except Exception as error:
                logger.error("webchat conversation %s: could not resume (%s); apology given", sender_id[:12],
                             type(error).__name__)
                return trouble_messages(self.name())
            message = UserMessage(text, CollectingOutputChannel(), sender_id, input_channel=self.name())
            return await ask_assistant(on_new_message, message, self.timeout_seconds, agent, message_id)

        desk = desk_for(agent)
        try:
            with_navigator = desk is not None and live_chat.live_status(desk.live_state(sender_id)) == "navigator"
        except Exception as error:
            # the staff tables live in the conversation store: the assistant's own turn reports and handles its failure
            logger.warning("webchat conversation %s: could not look for a live chat (%s)", sender_id[:12],
                           type(error).__name__)
            with_navigator = False
        if with_navigator:
            try:
                return await live_chat.to_navigator(agent, sender_id, text, assistant)
            except Exception as error:
                logger.error("webchat conversation %s: the live chat failed (%s); apology given", sender_id[:12],
                             type(error).__name__)
                return trouble_messages(self.name())
        return await assistant()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webchat = Blueprint("webchat", __name__)

        @webchat.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):
                # the page's links are relative to /webhooks/webchat/
                return response.redirect(request.path + "/", headers=SECURITY_HEADERS)
            return page_response((PAGE_DIR / "index.html").read_bytes(), "text/html; charset=utf-8")

        @webchat.route("/static/<filename>", methods=["GET"])
        async def static(request: Request, filename: str) -> HTTPResponse:
            if filename not in STATIC_FILES:
                return json_response({"error": "Not found."}, status=404)
            return page_response((PAGE_DIR / filename).read_bytes(), STATIC_FILES[filename])

        @webchat.route("/message", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            limited = self.limits.check_client(request, SECURITY_HEADERS)
            if limited:
                return limited
            try:
                incoming = parse_message(request.body or b"")
            except BadMessage as problem:
                logger.warning("webchat: request refused: %s", problem)
                return json_response({"error": str(problem)}, status=400)
            limited = self.limits.check_conversation(conversation_key(self.name(), incoming["conversation"]), SECURITY_HEADERS)
            if limited:
                return limited
            agent = getattr(request.app.ctx, "agent", None)
            messages = await self.answer(
                on_new_message, agent, incoming["conversation"], incoming["text"], incoming["message_id"]
            )
            return json_response({"messages": messages})

        @webchat.route("/events", methods=["GET"])
        async def events(request: Request) -> HTTPResponse:
            conversation = request.args.get("conversation") or ""
            after = request.args.get("after") or "0"
            if not CONVERSATION_ID.fullmatch(conversation) or not after.isdigit():
                return json_response({"error": "'conversation' and 'after' are required."}, status=400)
            agent = getattr(request.app.ctx, "agent", None)
            sender_id = conversation_key(self.name(), conversation)
            if desk_for(agent) is None:
                return json_response({"messages": [], "live": None, "last": int(after)})
            try:
                return json_response(await live_chat.wait_for_news(agent, sender_id, int(after)))
            except Exception as error:
                logger.error("webchat conversation %s: live chat news failed (%s)", sender_id[:12], type(error).__name__)
                return json_response({"error": "Please try again."}, status=503)

        @webchat.route("/callback", methods=["POST"])
        async def callback(request: Request) -> HTTPResponse:
            limited = self.limits.check_client(request, SECURITY_HEADERS)
            if limited:
                return limited
            try:
                data = json.loads((request.body or b"{}").decode("utf-8", errors="replace"))
                conversation, typed = data.get("conversation"), data.get("number")
            except (ValueError, AttributeError):
                conversation = typed = None
            if not isinstance(conversation, str) or not CONVERSATION_ID.fullmatch(conversation) or not isinstance(typed, str):
                return json_response({"error": "'conversation' and 'number' are required."}, status=400)
            agent = getattr(request.app.ctx, "agent", None)
            sender_id = conversation_key(self.name(), conversation)
            try:
                messages = await live_chat.keep_callback_number(agent, sender_id, self.name(), typed[:40])
            except live_chat.NumberRefused as refused:
                return json_response({"error": str(refused)}, status=422)
            except Exception as error:
                logger.error("webchat conversation %s: call back not kept (%s)", sender_id[:12], type(error).__name__)
                return json_response({"messages": trouble_messages(self.name())})
            return json_response({"messages": messages})

        return webchat
