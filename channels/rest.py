"""The REST channel at /webhooks/rest/webhook: Rasa's own contract, hardened for whatever the world sends.

Same request and reply as Rasa's `rest` channel ({"sender", "message"} in, a
list of messages out), plus:
- malformed JSON, a missing or non-text field: 400 with a JSON error;
- text cut to 1,000 characters and stripped of control characters;
- an empty message: a gentle "I didn't catch that", nothing stored;
- an optional "message_id": the same id sent again gets the same replies and
  is not handled twice;
- the conversation is keyed by a keyed hash of "sender" (like every channel),
  so neither the store nor the lock store ever holds the id itself;
- its own time limit: the apology and the support line rather than silence;
- rate limits per client and per conversation: 429 with Retry-After (channels/rate_limits.py).
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from channels.common import ask_assistant, clean_text, did_not_catch
from channels.rate_limits import RateLimits
from companion.privacy import conversation_key

logger = logging.getLogger(__name__)

TURN_SECONDS = 10.0
MAX_ID_CHARS = 128


class CompanionRestInput(RestInput):
    def __init__(self, turn_seconds: float = TURN_SECONDS, limits: Optional[RateLimits] = None) -> None:
        self.turn_seconds = float(turn_seconds)
        self.limits = limits or RateLimits.from_environment()

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "CompanionRestInput":
        credentials = credentials or {}
        return cls(turn_seconds=credentials.get("turn_seconds", TURN_SECONDS))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("companion_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request):
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            limited = self.limits.check_client(request)
            if limited:
                return limited
            body, problem = _parse(request)
            if problem:
                logger.warning("rest: request refused: %s", problem)
                return response.json({"error": problem}, status=400)
            sender, text, message_id = body
            limited = self.limits.check_conversation(conversation_key(self.name(), sender))
            if limited:
                return limited
            if not text:
                return response.json(_addressed(did_not_catch(self.name()), sender))
            message = UserMessage(
                text, CollectingOutputChannel(), conversation_key(self.name(), sender),
                input_channel=self.name(), metadata=self.get_metadata(request),
            )
            agent = getattr(request.app.ctx, "agent", None)
            replies = await ask_assistant(on_new_message, message, self.turn_seconds, agent, message_id)
            return response.json(_addressed(replies, sender))

        return webhook

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = (request.json or {}).get("metadata") if isinstance(request.json, dict) else None
        return metadata if isinstance(metadata, dict) else None


def _parse(request: Request) -> Tuple[Optional[Tuple[str, str, Optional[str]]], Optional[str]]:
    try:
        body = request.json
    except Exception:
        return None, "the body must be JSON"
    if not isinstance(body, dict):
        return None, "the body must be a JSON object with 'sender' and 'message'"
    sender, message, message_id = body.get("sender"), body.get("message"), body.get("message_id")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_ID_CHARS:
        return None, f"'sender' must be a non-empty string of at most {MAX_ID_CHARS} characters"
    if message is None or not isinstance(message, str):
        return None, "'message' must be a string"
    if message_id is not None and (not isinstance(message_id, str) or len(message_id) > MAX_ID_CHARS):
        return None, f"'message_id' must be a string of at most {MAX_ID_CHARS} characters"
    return (sender, clean_text(message), message_id or None), None


def _addressed(messages: List[Dict], recipient: str) -> List[Dict]:
    return [{"recipient_id": recipient, **{k: v for k, v in m.items() if k != "recipient_id"}} for m in messages]
