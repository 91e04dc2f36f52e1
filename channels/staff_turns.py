"""Where the channels meet the staff side: the queue filled from the assistant's replies, and staff actions run in a conversation.

- `note_turn` reads a turn's reply contracts: a handoff or a safety reply puts
  the conversation on the staff console's queue (one entry per conversation,
  updated while it is open). Every text and voice channel calls it through
  channels.common.run_turn.
- `run_staff_action` runs one of actions/live_chat.py's actions in a
  conversation (a navigator joined or left, nobody took the chat, a call back
  was kept), optionally resuming it first, and returns what the person is told.
- `desk_for` is the staff store in the agent's conversation database.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.policies.policy import PolicyPrediction
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ConversationPaused, ConversationResumed

from companion.staff.desk import SAFETY_KINDS, HandoffRequest
from companion.staff.store import SQLStaffStore
from companion.tracker_store import private_store

logger = logging.getLogger(__name__)

_desks: Dict[int, SQLStaffStore] = {}


def desk_for(agent: Any) -> Optional[SQLStaffStore]:
    """The staff store in the agent's conversation database, or None when the conversations are not kept in SQL."""
    store = private_store(agent)
    if store is None:
        return None
    desk = _desks.get(id(store.engine))
    if desk is None:
        desk = _desks[id(store.engine)] = SQLStaffStore(store.engine)
    return desk


def handoff_request(sender_id: str, channel: str, custom: Dict[str, Any]) -> Optional[HandoffRequest]:
    """The queue entry a reply contract asks for, if any."""
    kind = custom.get("answer_id")
    if kind in SAFETY_KINDS:
        return HandoffRequest(sender_id, channel, "safety", clinic_open=bool(custom.get("staff_hours")),
                              safety=kind, language=custom.get("language"))
    if kind == "handoff" and custom.get("reason"):
        return HandoffRequest(
            sender_id, channel, str(custom["reason"]), clinic_open=bool(custom.get("staff_hours")),
            topic=custom.get("topic"), live=custom.get("live") == "waiting", language=custom.get("language"),
        )
    return None


def note_turn(agent: Any, sender_id: str, channel: str, replies: List[Dict[str, Any]]) -> None:
    """Puts the conversation on the queue when this turn handed it over or raised a safety alarm; never fails the turn."""
    requests = [r for r in (handoff_request(sender_id, channel, m["custom"]) for m in replies
                            if isinstance(m.get("custom"), dict)) if r]
    if not requests:
        return
    desk = desk_for(agent)
    if desk is None:
        return
    try:
        for request in requests:
            entry = desk.open_handoff(request)
            if request.safety and desk.live_state(sender_id):
                desk.add_live_message(sender_id, "alert", f"Safety alert: {request.safety}. The assistant answered.")
            logger.info("%s conversation %s: on the staff queue as %d (%s)", channel, sender_id[:12], entry,
                        request.safety or request.reason)
    except Exception as error:
        logger.error("%s conversation %s: could not reach the staff queue (%s)", channel, sender_id[:12],
                     type(error).__name__)


async def run_staff_action(agent: Any, sender_id: str, action_name: str, resume: bool = False,
                           pause: bool = False) -> List[Dict[str, Any]]:
    """Runs `action_name` in the conversation and returns the messages it sent (in the reply contract's shape).

    The conversation is left listening, as after any turn: a paused conversation
    that is resumed later needs the listen the processor would have run.
    """
    processor = agent.processor
    output = CollectingOutputChannel()
    async with agent.lock_store.lock(sender_id):
        tracker = await processor.fetch_tracker_and_update_session(sender_id, output)
        if resume and tracker.is_paused():
            tracker.update(ConversationResumed())
        prediction = PolicyPrediction.for_action_name(processor.domain, action_name)
        await processor._run_action(processor._get_action(action_name), tracker, output, processor.nlg, prediction)
        if pause and not tracker.is_paused():
            tracker.update(ConversationPaused())
        if tracker.latest_action_name != ACTION_LISTEN_NAME:
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        await processor.save_tracker(tracker)
    return [{k: v for k, v in m.items() if k != "recipient_id"} for m in output.messages]


async def pause(agent: Any, sender_id: str) -> None:
    """Pauses the conversation again (after the assistant answered a safety alarm in a navigator's chat)."""
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.tracker_store.retrieve(sender_id)
        if tracker is not None and not tracker.is_paused():
            tracker.update(ConversationPaused())
            await agent.tracker_store.save(tracker)
