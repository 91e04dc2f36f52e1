"""The person's side of a live chat with a navigator, for the chat page.

- `to_navigator`: while a navigator has the chat, her message goes to them,
  with nothing from the assistant in between; the safety screen still runs on
  it, and an alarm gets the assistant's crisis answer at once (the
  conversation is resumed for that one turn and paused again) and alerts the
  navigator.
- `wait_for_news`: the page's long poll. Returns as soon as there is something
  new for her page (a navigator's reply, a navigator joining or leaving), or
  after POLL_SECONDS with nothing. It also notices a chat that has waited
  longer than CC_STAFF_WAIT_SECONDS: the first replica to notice marks it
  missed and the assistant tells her nobody is free, with the support line
  (and a call back offer when call backs are on). Everything it reads is in
  the database, so any replica can serve her page.
- `keep_callback_number`: the number she typed in the page's call back form,
  kept encrypted with the request; it never passes through the assistant.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional

from channels.staff_turns import desk_for, pause, run_staff_action
from companion import phone, safety
from companion.content import content
from companion.privacy import conversation_key
from companion.staff import crypto

AWAITING_NUMBER = "callback_number"  # actions/live_chat.py sets it while the page's number form is open

logger = logging.getLogger(__name__)

POLL_SECONDS = 15.0
CHECK_EVERY_SECONDS = 0.2
# what the person's page shows from the live chat table
FOR_THE_PAGE = ("navigator", "assistant")


def live_status(entry: Optional[Dict[str, Any]]) -> Optional[str]:
    """'waiting' or 'navigator' (a navigator has the chat), or None."""
    if entry is None:
        return None
    return "navigator" if entry["status"] == "taken" else "waiting"


async def to_navigator(agent: Any, sender_id: str, text: str,
                       ask: Callable[[], Awaitable[List[Dict[str, Any]]]]) -> List[Dict[str, Any]]:
    """Her message in a navigator's chat: for the navigator, and the assistant's answer only when it raises a safety alarm."""
    desk = desk_for(agent)
    desk.add_live_message(sender_id, "person", text)
    parsed = await agent.parse_message(text)
    kind = safety.assess(text, parsed)
    if kind is None:
        return []
    logger.warning("webchat conversation %s: safety alarm in a navigator's chat; the assistant answers", sender_id[:12])
    replies = await ask()  # the resumed conversation: the safety policy answers it, and note_turn alerts the navigator
    await pause(agent, sender_id)
    for reply in replies:
        if reply.get("text"):
            desk.add_live_message(sender_id, "assistant_reply", reply["text"])
    return replies


async def wait_for_news(agent: Any, sender_id: str, after: int) -> Dict[str, Any]:
    """{messages: [{id, author, text, data}], live, last}: what is new for her page since message `after`."""
    desk = desk_for(agent)
    deadline = time.monotonic() + POLL_SECONDS
    while True:
        overdue = desk.overdue_waits(sender_id)
        if overdue is not None and desk.change_status(overdue, "missed", ("waiting",)):
            logger.info("webchat conversation %s: nobody took the chat in time", sender_id[:12])
            for message in await run_staff_action(agent, sender_id, "action_navigator_unavailable", resume=True):
                desk.add_live_message(sender_id, "assistant", message.get("text") or "", data=message)
        news = desk.live_messages(sender_id, after, authors=FOR_THE_PAGE)
        if news or time.monotonic() >= deadline:
            entry = desk.live_state(sender_id)
            last = news[-1]["id"] if news else max(after, 0)
            return {
                "messages": [{"id": m["id"], "author": m["author"], "text": m["text"], "data": m["data"]} for m in news],
                "live": live_status(entry),
                "last": last,
            }
        await asyncio.sleep(CHECK_EVERY_SECONDS)


class NumberRefused(ValueError):
    """Not a number a navigator could call."""


class NotAsked(NumberRefused):
    """A number sent to a conversation that was not asked for one."""


def callback_number(typed: str, lang: Optional[str] = None) -> str:
    """The E.164 form of a US number she typed, or NumberRefused in the conversation's language."""
    number = phone.e164(typed or "")
    if not (len(number) == 12 and number.startswith("+1")):
        raise NumberRefused(content(lang).behaviour("callback_number_refused").text)
    return number


async def keep_callback_number(agent: Any, sender_id: str, channel: str, typed: str) -> List[Dict[str, Any]]:
    """Keeps the request with her number (encrypted) and returns what the assistant tells her."""
    tracker = await agent.tracker_store.retrieve(sender_id)
    lang = tracker.get_slot("language") if tracker is not None else None
    if tracker is None or tracker.get_slot("pending_offer") != AWAITING_NUMBER:
        raise NotAsked(content(lang).behaviour("callback_not_asked").text)
    number = callback_number(typed, lang)
    desk = desk_for(agent)
    entry = desk.latest_handoff(sender_id) if desk else None
    try:
        if desk is None:
            raise crypto.NoKey("no SQL store")
        desk.add_callback(conversation_key(sender_id), channel, (entry or {}).get("reason") or "callback",
                          (entry or {}).get("topic"), number, language=lang)
    except crypto.NoKey:
        logger.error("%s conversation %s: a call back could not be kept: CC_CALLBACK_KEY is not set", channel, sender_id[:12])
        return await run_staff_action(agent, sender_id, "action_callback_failed", resume=True)
    logger.info("%s conversation %s: call back request kept", channel, sender_id[:12])
    return await run_staff_action(agent, sender_id, "action_callback_saved", resume=True)
