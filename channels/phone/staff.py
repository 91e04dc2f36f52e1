"""What the phone line does for the staff side: the warm transfer's whisper, and call backs on the caller's own number.

A few functions the phone channel (channels/phone/channel.py, render.py) calls:
- `whisper_url` / `whisper_twiml`: when the clinic's line answers a transfer,
  Twilio fetches the <Number url=…> document and plays it to the navigator
  alone before connecting: the reason and the topic, never anything about
  the caller. Built with twilio's own TwiML library, checked with channels.twiml.
- `confirm_line`: the call back offer tells the caller which number would be
  called (the last four digits of her caller ID), so her "yes" confirms it.
- `keep_confirmed_callback`: after that "yes" (the assistant's reply says
  `callback: confirmed`), the caller ID is kept, encrypted, with the request.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Mapping, Optional
from urllib.parse import urlencode

from twilio.twiml.voice_response import VoiceResponse

from channels import twiml
from channels.staff_turns import desk_for, run_staff_action
from companion import phone
from companion.content import content
from companion.privacy import conversation_key
from companion.staff import crypto
from companion.staff import settings as staff_settings

logger = logging.getLogger(__name__)

_REASONS = {
    "asked": "The caller asked for a person",
    "accepted_offer": "The caller asked for a person",
    "not_understood": "The assistant could not understand the caller twice",
    "safety": "The caller had a safety alert",
}
_WORD = re.compile(r"^[a-z_]{1,40}$")
_CALLER = re.compile(r"^\+1\d{10}$")


def callbacks_on() -> bool:
    return staff_settings.callbacks()


def whisper_url(base: str, custom: Dict[str, Any]) -> str:
    """The whisper's address for this handoff: only the reason and topic words travel in it."""
    query = {key: str(custom.get(key)) for key in ("reason", "topic", "language")
             if _WORD.match(str(custom.get(key) or ""))}
    return f"{base}/whisper?{urlencode(query)}"


def whisper_words(reason: Optional[str], topic: Optional[str], language: Optional[str] = None) -> str:
    said = _REASONS.get(reason or "", "A caller from Callback Companion")
    answer = content().answer(topic) if topic else None
    about = f", about {answer.topic}" if answer else ""
    # the navigator hears which language to answer in
    speaks = " The caller speaks Spanish." if language == "es" else ""
    return f"Callback Companion transfer. {said}{about}.{speaks} Connecting you now."


def whisper_twiml(query: Mapping[str, List[str]], voice: str, language: str) -> str:
    reason = (query.get("reason") or [""])[0]
    topic = (query.get("topic") or [""])[0]
    spoken_in = (query.get("language") or [""])[0]
    document = VoiceResponse()
    document.say(whisper_words(reason if _WORD.match(reason) else None, topic if _WORD.match(topic) else None,
                               spoken_in if _WORD.match(spoken_in) else None),
                 voice=voice, language=language)
    xml = document.to_xml()
    found = twiml.problems(xml, whisper=True)
    if found:
        raise ValueError("invalid whisper TwiML: " + "; ".join(found))
    return xml


def confirm_line(form: Mapping[str, str], words: Optional[Mapping[str, str]] = None) -> str:
    """'That number ends in 0 1 4 3. To be called back, say yes or press 1.' for the caller's own number,
    in the call's language (`words`: content/voice.yml's phone words).

    '' when her number cannot be called back (withheld, or not a US number).
    """
    caller = form.get("From") or ""
    if not _CALLER.match(caller):
        return ""
    template = (words or content().voice["phone"])["callback_number"]
    return template.format(digits=" ".join(caller[-4:]))


async def keep_confirmed_callback(agent: Any, sender_id: str, form: Mapping[str, str],
                                  replies: Optional[List[Dict[str, Any]]]) -> Optional[List[Dict[str, Any]]]:
    """Keeps the caller's number after her "yes"; the replies to speak (the failure message if it cannot be kept)."""
    confirmed = any(isinstance(m.get("custom"), dict) and m["custom"].get("callback") == "confirmed"
                    for m in replies or [])
    if not confirmed:
        return replies
    caller = form.get("From") or ""
    desk = desk_for(agent)
    try:
        if desk is None or not _CALLER.match(caller):
            raise crypto.NoKey("no store or no caller ID")
        handoff = desk.latest_handoff(sender_id) or {}
        desk.add_callback(conversation_key(sender_id), "twilio_ivr", handoff.get("reason") or "transfer_unanswered",
                          handoff.get("topic"), phone.e164(caller), language=handoff.get("language"))
    except crypto.NoKey:
        logger.error("phone line: call %s: the call back could not be kept", sender_id[:12])
        return await run_staff_action(agent, sender_id, "action_callback_failed")
    logger.info("phone line: call %s: call back request kept", sender_id[:12])
    return replies
