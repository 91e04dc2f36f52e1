"""What every channel does the same way: cleaning incoming text, a time limit on the assistant, replayed requests, and the apology when something fails.

- `clean_text` cuts a message to MAX_MESSAGE_CHARS and drops control characters,
  so a pasted novel or broken encoding never reaches the pipeline whole.
- `run_turn` runs one turn with the channel's own time limit and says when
  the person should hear the apology instead (the assistant failed, timed out,
  said nothing, or the conversation store could not keep the turn);
  `ask_assistant` gives text channels the "service_trouble" reply (a short
  apology and the support line) in that case, never silence.
- `replies_for_replay` finds the replies already given to a message id, so a
  request sent twice is answered twice but handled once.
- a turn that hands the person over or raises a safety alarm puts the
  conversation on the staff console's queue (channels/staff_turns.py).

Loading it puts the redaction on every log handler of the server (again, if
companion.launcher, which starts every Rasa server of this project and applies
companion.server_tuning, has already done so).
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, UserUttered

from channels.staff_turns import note_turn
from companion.content import content
from companion.privacy import install_log_redaction
from companion.tracker_store import private_store, take_failure
from companion.render import render_behaviour
from companion.settings import load_facility

logger = logging.getLogger(__name__)
# the channels load before the model and the conversation store: from here on every log line is redacted
install_log_redaction()

MAX_MESSAGE_CHARS = 1000


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


def _fallback_messages(key: str, channel: str, **custom: str) -> List[Dict[str, Any]]:
    reply = render_behaviour(key, "fallback", channel, content(), load_facility(), **custom)
    return [{"text": reply.text}, {"custom": reply.custom}]


def trouble_messages(channel: str) -> List[Dict[str, Any]]:
    """The apology with the support line, in the reply contract's shape."""
    return _fallback_messages("service_trouble", channel, reason="service_trouble")


def did_not_catch(channel: str) -> List[Dict[str, Any]]:
    """The gentle reply to an empty or unreadable message."""
    return _fallback_messages("did_you_mean_none", channel)


async def run_turn(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    message: UserMessage,
    seconds: float,
    agent: Any = None,
    replay_id: Optional[str] = None,
) -> Optional[List[Dict[str, Any]]]:
    """The replies to one turn, or None when the person should hear the apology instead.

    With a `replay_id` (the platform's or client's id for this request, passed
    as the message id), a request that was already handled, or is being handled
    right now, gets the replies of that turn and is not handled again. A turn
    still running when the time is up is left to finish, so the conversation
    stays consistent; only the person stops waiting for it.
    """
    if not replay_id:
        return await _run_turn(on_new_message, message, seconds, agent, None)
    key = (message.sender_id, replay_id)
    if key in _IN_FLIGHT:
        return await asyncio.shield(_IN_FLIGHT[key])
    _IN_FLIGHT[key] = asyncio.get_running_loop().create_future()
    try:
        replies = await _run_turn(on_new_message, message, seconds, agent, replay_id)
        _IN_FLIGHT[key].set_result(replies)
        return replies
    finally:
        future = _IN_FLIGHT.pop(key)
        if not future.done():
            future.cancel()


# (conversation, replay id) -> the replies of a turn still being handled, on this server
_IN_FLIGHT: Dict[Tuple[str, str], "asyncio.Future"] = {}


async def _run_turn(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    message: UserMessage,
    seconds: float,
    agent: Any,
    replay_id: Optional[str],
) -> Optional[List[Dict[str, Any]]]:
    channel = message.input_channel or "rest"
    key = message.sender_id[:12]
    if replay_id:
        try:
            earlier = await replies_for_replay(agent, message.sender_id, replay_id)
        except Exception as error:
            logger.error("%s conversation %s: could not look for a replay (%s); apology given", channel, key, type(error).__name__)
            return None
        if earlier:
            logger.info("%s conversation %s: a replayed request got its earlier replies", channel, key)
            return earlier
        message.message_id = replay_id
    turn = asyncio.ensure_future(on_new_message(message))
    turn.add_done_callback(_log_late_failure)
    try:
        await asyncio.wait_for(asyncio.shield(turn), timeout=seconds)
    except asyncio.TimeoutError:
        logger.error("%s conversation %s: no reply within %.1f s; apology given", channel, key, seconds)
        return None
    except Exception as error:
        # the exception may quote the person's words: log only its type
        logger.error("%s conversation %s: the assistant failed (%s); apology given", channel, key, type(error).__name__)
        return None
    if take_failure(agent, message.sender_id):
        logger.error("%s conversation %s: the conversation store failed; apology given", channel, key)
        return None
    if not message.output_channel.messages:
        logger.error("%s conversation %s: the assistant gave no reply; apology given", channel, key)
        return None
    replies = [{k: v for k, v in m.items() if k != "recipient_id"} for m in message.output_channel.messages]
    note_turn(agent, message.sender_id, channel, replies)
    return replies


def _log_late_failure(turn: "asyncio.Future") -> None:
    if not turn.cancelled() and turn.exception() is not None:
        logger.error("a turn failed after its reply was due (%s)", type(turn.exception()).__name__)


async def ask_assistant(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    message: UserMessage,
    seconds: float,
    agent: Any = None,
    replay_id: Optional[str] = None,
) -> List[Dict[str, Any]]:
    """A text channel's turn: the replies, or the apology with the support line."""
    replies = await run_turn(on_new_message, message, seconds, agent, replay_id)
    return replies if replies is not None else trouble_messages(message.input_channel or "rest")


async def replies_for_replay(agent, sender_id: str, message_id: str) -> Optional[List[Dict[str, Any]]]:
    """The replies already given to `message_id` in this conversation, or None if it is new."""
    if agent is None or not message_id or agent.tracker_store is None:
        return None
    store = private_store(agent)
    if store is not None:
        answered = store.replies_to(sender_id, message_id)
    else:
        answered = _replies_in_tracker(await agent.tracker_store.retrieve(sender_id), message_id)
    if answered is None:
        return None
    return [message for event in answered for message in _as_messages(event)]


def _replies_in_tracker(tracker: Any, message_id: str) -> Optional[List[BotUttered]]:
    """The bot events after the user message `message_id` in a whole tracker (for other stores)."""
    if tracker is None:
        return None
    replies: Optional[List[BotUttered]] = None
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_id:
                replies = []
        elif replies is not None and isinstance(event, BotUttered):
            replies.append(event)
    return replies


def _as_messages(event: BotUttered) -> List[Dict[str, Any]]:
    """A stored bot event in the shape a turn's replies have."""
    messages: List[Dict[str, Any]] = []
    data = event.data or {}
    if event.text:
        message: Dict[str, Any] = {"text": event.text}
        if data.get("buttons"):
            message["buttons"] = data["buttons"]
        messages.append(message)
    if data.get("custom"):
        messages.append({"custom": data["custom"]})
    return messages
