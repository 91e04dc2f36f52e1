"""What every channel does the same way: cleaning incoming text, a time limit on the assistant, replayed requests, and the apology when something fails.

- `clean_text` cuts a message to MAX_MESSAGE_CHARS and drops control characters,
  so a pasted novel or broken encoding never reaches the pipeline whole.
- `ask_assistant` runs one turn with the channel's own time limit; when the
  assistant fails, times out or says nothing, the person gets the
  "service_trouble" reply (a short apology and the support line) instead of silence.
- `replies_for_replay` finds the replies already given to a message id, so a
  request sent twice is answered twice but handled once.

It also sets the time limit on the Rasa server's call to the action server
(CC_ACTION_TIMEOUT seconds, default 5). Rasa waits up to five minutes for an
action; a caller on the phone cannot, and a slow action would hold the
conversation's lock for all that time. Rasa reads the limit from a module
constant, so it is set there when any of this project's channels is loaded.
"""

from __future__ import annotations

import asyncio
import logging
import os
import unicodedata
from typing import Any, Awaitable, Callable, Dict, List, Optional

import rasa.core.actions.action as rasa_actions
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered

from companion.content import content
from companion.render import render_behaviour
from companion.settings import load_facility

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000
ACTION_TIMEOUT_SECONDS = float(os.environ.get("CC_ACTION_TIMEOUT") or 5)
rasa_actions.DEFAULT_REQUEST_TIMEOUT = ACTION_TIMEOUT_SECONDS


def clean_text(value: Any) -> str:
    """Text a person sent, made safe to process: a string, no control characters, at most MAX_MESSAGE_CHARS."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return ""
    value = value[: MAX_MESSAGE_CHARS * 4]  # no need to look at more than can be kept
    # control and format characters (and the replacement character of broken encodings) become spaces
    kept = "".join(" " if unicodedata.category(ch)[0] == "C" or ch == "\ufffd" else ch for ch in value)
    return " ".join(kept.split())[:MAX_MESSAGE_CHARS]


def trouble_messages(channel: str) -> List[Dict[str, Any]]:
    """The apology with the support line, in the reply contract's shape."""
    reply = render_behaviour("service_trouble", "fallback", channel, content(), load_facility(), reason="service_trouble")
    return [{"text": reply.text}, {"custom": reply.custom}]


def did_not_catch(channel: str) -> List[Dict[str, Any]]:
    """The gentle reply to an empty or unreadable message."""
    reply = render_behaviour("did_you_mean_none", "fallback", channel, content(), load_facility())
    return [{"text": reply.text}, {"custom": reply.custom}]


async def ask_assistant(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    message: UserMessage,
    collector: CollectingOutputChannel,
    seconds: float,
) -> List[Dict[str, Any]]:
    """One turn with a time limit: the replies, or the apology when there are none in time."""
    channel = message.input_channel or "rest"
    try:
        await asyncio.wait_for(asyncio.shield(on_new_message(message)), timeout=seconds)
    except asyncio.TimeoutError:
        logger.error("%s: the assistant took longer than %.1f s; answered with the apology", channel, seconds)
        return trouble_messages(channel)
    except Exception:
        logger.exception("%s: the assistant failed on a turn; answered with the apology", channel)
        return trouble_messages(channel)
    if not collector.messages:
        logger.error("%s: the assistant returned no reply; answered with the apology", channel)
        return trouble_messages(channel)
    return collector.messages


async def replies_for_replay(agent, sender_id: str, message_id: str) -> Optional[List[Dict[str, Any]]]:
    """The replies already given to `message_id` in this conversation, or None if it is new."""
    if agent is None or not message_id or agent.tracker_store is None:
        return None
    tracker = await agent.tracker_store.retrieve(sender_id)
    if tracker is None:
        return None
    replies: Optional[List[Dict[str, Any]]] = None
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_id:
                replies = []
        elif replies is not None and isinstance(event, BotUttered):
            replies.extend(_as_messages(event, sender_id))
    return replies


def _as_messages(event: BotUttered, recipient: str) -> List[Dict[str, Any]]:
    """A stored bot event in the shape CollectingOutputChannel gives."""
    messages: List[Dict[str, Any]] = []
    data = event.data or {}
    if event.text:
        message: Dict[str, Any] = {"recipient_id": recipient, "text": event.text}
        if data.get("buttons"):
            message["buttons"] = data["buttons"]
        messages.append(message)
    if data.get("custom"):
        messages.append({"recipient_id": recipient, "custom": data["custom"]})
    return messages
