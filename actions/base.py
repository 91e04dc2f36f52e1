"""What every action shares: the content, the facility, the person's channel, and how a reply is sent and remembered.

Slots the actions keep (none influences the dialogue policies):
- last_reply: what was said last, so it can be repeated ("answer:<id>:<part>[:<extra>]" or "behaviour:<key>:<kind>")
- topic: the answer id a finding or test was last discussed in, for "is that bad?" and "and a biopsy for that?"
- pending_offer: what a "yes" would accept ("answer:<id>", "more:<id>", "handoff", "goodbye", "dial:<help line key>",
  and on the phone "confirm:<id>", "dial:support", "hangup", "person"; see actions/phone_call.py)
- misunderstood: consecutive turns not understood
- silences: consecutive phone turns with nothing heard (or a key that means nothing)
- disclaimer_given: the one-line disclaimer has been shown
- language: the language the conversation is in ("en" or "es"; see Turn.language)
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from companion.content import TOPIC_ANSWERS, Answer, Content, content, language as language_of
from companion.language import ENGLISH, detect
from companion.render import Reply, is_voice, render_answer, render_behaviour
from companion.settings import Facility, load_facility

_facility: Optional[Facility] = None


def facility() -> Facility:
    global _facility
    if _facility is None:
        _facility = load_facility()
    return _facility


class Turn:
    """One action run: reads the tracker, sends replies, and collects the slot events to return."""

    def __init__(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        self.dispatcher = dispatcher
        self.tracker = tracker
        self.facility: Facility = facility()
        self.channel: Optional[str] = tracker.get_latest_input_channel()
        self.events: List[Dict[Text, Any]] = []
        self.language = ENGLISH
        self.content: Content = content()
        self.use_language(self._language_of_turn())

    def _language_of_turn(self) -> str:
        """The language a button asked for, the speaker's locale, the language this message is clearly written in,
        else the conversation's."""
        asked = self.entity("language")
        if asked in (ENGLISH, "es"):
            return asked
        locale = self.metadata.get("locale")
        if locale:
            return language_of(locale)
        detected = None if self.text.startswith("/") else detect(self.text)
        return detected or self.slot("language") or ENGLISH

    def use_language(self, lang: str) -> None:
        """Answers in `lang` from now on: this turn's content, and the conversation's `language` slot."""
        self.language = language_of(lang)
        self.content = content(self.language)
        self.set("language", self.language)

    # --- reading the turn -------------------------------------------------
    @property
    def voice(self) -> bool:
        return is_voice(self.channel)

    @property
    def metadata(self) -> Dict[str, Any]:
        """What the channel sent along with the latest message (speech confidence, the speaker's locale)."""
        for event in reversed(self.tracker.events):
            if event.get("event") == "user":
                return event.get("metadata") or {}
        return {}

    @property
    def heard_poorly(self) -> bool:
        """The voice channel's recogniser was unsure of what it heard (`heard_poorly` in the message's metadata)."""
        return bool(self.metadata.get("heard_poorly"))

    @property
    def intent(self) -> str:
        return (self.tracker.latest_message.get("intent") or {}).get("name") or ""

    @property
    def text(self) -> str:
        return self.tracker.latest_message.get("text") or ""

    def entity(self, name: str) -> Optional[str]:
        values = [e.get("value") for e in self.tracker.latest_message.get("entities", []) if e.get("entity") == name]
        return str(values[0]) if values else None

    def domain_reading(self) -> Dict[str, Any]:
        """The DomainDetector's reading of this message (companion/nlu/domain_detector.py)."""
        return self.tracker.latest_message.get("domain") or {}

    def domain_verdict(self) -> str:
        """'noise', 'out_of_domain' or 'in_domain'; a message the classifier called noise counts as noise."""
        if self.intent == "noise":
            return "noise"
        return self.domain_reading().get("verdict") or "in_domain"

    def slot(self, name: str) -> Any:
        return self.tracker.get_slot(name)

    def mentioned_topic(self, entities=("finding", "test")) -> Optional[str]:
        """The answer id of a finding or test named in this message, if any."""
        for entity in entities:
            value = self.entity(entity)
            if value and (entity, value) in TOPIC_ANSWERS:
                return TOPIC_ANSWERS[(entity, value)]
        return None

    # --- replying ---------------------------------------------------------
    def send(self, reply: Reply, remember: Optional[str] = None, disclaimer: bool = True) -> None:
        """Sends a reply, with the disclaimer in front the first time the assistant speaks."""
        if disclaimer and not self.slot("disclaimer_given"):
            lead = self.content.behaviour("disclaimer")
            reply.text = f"{lead.spoken} {reply.text}" if self.voice else f"{lead.text}\n\n{reply.text}"
            self.set("disclaimer_given", True)
        self.dispatcher.utter_message(**reply.as_message())
        if remember:
            self.set("last_reply", remember)

    def slot_as_left(self, name: str) -> Any:
        """A slot's value as this turn leaves it: set in this turn, else as the turn found it."""
        for event in reversed(self.events):
            if event.get("event") == "slot" and event.get("name") == name:
                return event.get("value")
        return self.slot(name)

    def set(self, slot: str, value: Any) -> None:
        """Sets a slot; an unchanged value writes no event, so the history stays short."""
        self.events = [e for e in self.events if e.get("name") != slot]
        if self.tracker.get_slot(slot) != value:
            self.events.append(SlotSet(slot, value))

    def answer(self, answer: Answer, part: str = "main", body=None, extra: str = "", **custom) -> None:
        """Sends a curated answer and makes it the conversation's context."""
        reply = render_answer(answer, self.channel, self.content, body=body, part=part, **custom)
        self.send(reply, remember=":".join(filter(None, ["answer", answer.id, part, extra])))
        if answer.id in TOPIC_ANSWERS.values():
            self.set("topic", answer.id)
        self.set("misunderstood", 0.0)
        self.set("pending_offer", "more:" + answer.id if answer.more and part == "main" else None)

    def behaviour(self, key: str, kind: str, remember: bool = True, disclaimer: bool = True, **kwargs) -> None:
        reply = render_behaviour(key, kind, self.channel, self.content, self.facility, **kwargs)
        if remember is False and disclaimer is False:
            # a lead-in line before another reply: words only, the reply that follows carries the contract
            self.dispatcher.utter_message(text=reply.text)
            return
        self.send(reply, remember=f"behaviour:{key}:{kind}" if remember else None,
                  disclaimer=disclaimer and kind not in ("crisis", "emergency", "disclosure"))


class CompanionAction(Action):
    """An action that works through a Turn; subclasses implement `respond`."""

    action_name = ""
    # only a silence or a key that means nothing continues the phone line's count of them
    keeps_silence_count = False

    def name(self) -> Text:
        return self.action_name

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        from actions import phone_call

        turn = Turn(dispatcher, tracker)
        self.respond(turn)
        if phone_call.on_phone(turn):
            if not self.keeps_silence_count:
                turn.set("silences", 0.0)
            phone_call.add_prompt(turn)
        for message in dispatcher.messages:
            # the reply contract says which language the words are in: the channel speaks, listens and labels in it
            if message.get("custom"):
                message["custom"].setdefault("language", turn.language)
        return turn.events

    def respond(self, turn: Turn) -> None:
        raise NotImplementedError
