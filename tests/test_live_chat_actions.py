"""The staff side's actions on their own: what a person is told when a navigator joins or leaves, nobody is free, or a call back is offered."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.base
from actions.conversation import ActionAffirm
from actions.escalation import ActionHandoff
from actions.live_chat import ActionNavigatorJoined, ActionNavigatorUnavailable, ActionTransferUnanswered
from companion.settings import load_facility


def tracker(text, intent, slots=None, channel="webchat"):
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "intent_ranking": [], "entities": []}
    events = [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel}]
    return Tracker("someone", {"disclaimer_given": True, **(slots or {})}, latest, events, False, None, {}, "action_listen")


def run(action, t):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    customs = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    text = " ".join(m.get("text") or "" for m in dispatcher.messages)
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return text, customs, slots, [e["event"] for e in events]


@pytest.fixture
def clinic(monkeypatch):
    """Sets the clinic's hours and the staff switches; the actions read the facility once, so it is reset."""
    def configure(hours: str, live: str = "on", callbacks: str = "on"):
        monkeypatch.setenv("CC_HOURS", hours)
        monkeypatch.setenv("CC_LIVE_CHAT", live)
        monkeypatch.setenv("CC_CALLBACKS", callbacks)
        monkeypatch.setattr(actions.base, "_facility", load_facility())
    return configure


def test_a_chat_handoff_in_staff_hours_waits_for_a_navigator(clinic):
    clinic("Mon-Sun 00:00-23:59")
    text, customs, slots, events = run(ActionHandoff(), tracker("a person please", "human_handoff", {"topic": "finding_cyst"}))
    assert customs[-1]["live"] == "waiting" and customs[-1]["staff_hours"] is True
    assert customs[-1]["reason"] == "asked" and customs[-1]["topic"] == "finding_cyst"
    assert "asked a navigator to join" in text and "pause" in events


def test_after_hours_a_chat_handoff_offers_a_call_back_and_yes_asks_for_the_number(clinic):
    clinic("Mon 00:00-00:01")  # closed nearly always
    text, customs, slots, _ = run(ActionHandoff(), tracker("a person please", "human_handoff"))
    assert customs[-1]["callback"] == "offer" and customs[-1]["staff_hours"] is False and "live" not in customs[-1]
    assert slots["pending_offer"] == "callback"
    text, customs, slots, _ = run(ActionAffirm(), tracker("yes", "affirm", {"pending_offer": "callback"}))
    assert customs[-1]["callback"] == "ask_number" and "7 days at most" in text
    assert slots["pending_offer"] == "callback_number"


def test_on_the_phone_a_yes_to_the_call_back_is_the_confirmation(clinic):
    clinic("Mon 00:00-00:01")
    text, customs, slots, _ = run(ActionAffirm(), tracker("yes", "affirm", {"pending_offer": "callback"}, "twilio_ivr"))
    assert customs[-1]["callback"] == "confirmed" and "call you back at this number" in text


def test_without_call_backs_nothing_is_offered(clinic):
    clinic("Mon 00:00-00:01", live="off", callbacks="off")
    _, customs, slots, _ = run(ActionHandoff(), tracker("a person please", "human_handoff"))
    assert "callback" not in customs[-1] and "live" not in customs[-1] and slots.get("pending_offer") is None
    _, customs, slots, _ = run(ActionTransferUnanswered(), tracker("/x", "x", channel="twilio_ivr"))
    assert "callback" not in customs[-1] and customs[-1]["reason"] == "transfer_unanswered"


def test_a_navigator_joining_pauses_the_conversation_and_nobody_free_gives_the_support_line(clinic):
    clinic("Mon-Sun 00:00-23:59")
    text, customs, _, events = run(ActionNavigatorJoined(), tracker("/x", "x"))
    assert customs[-1]["live"] == "joined" and "pause" in events
    text, customs, slots, _ = run(ActionNavigatorUnavailable(), tracker("/x", "x"))
    assert "no navigator is free" in text and "1-800-227-2345" in text
    assert customs[-1]["callback"] == "offer" and slots["pending_offer"] == "callback"
