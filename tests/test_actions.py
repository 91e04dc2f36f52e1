"""The actions on their own: a tracker in, the replies and slot events out (as the action server runs them)."""

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswer
from actions.conversation import ActionAffirm
from actions.escalation import ActionClarify


def tracker(text, intent, ranking=(), slots=None, channel="rest", entities=()):
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.2},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "entities": list(entities),
    }
    events = [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel}]
    return Tracker("someone", dict(slots or {}), latest, events, False, None, {}, "action_listen")


def run(action, t):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    customs = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    return dispatcher.messages, customs, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_did_you_mean_offers_the_two_likeliest_answers_and_remembers_the_first():
    t = tracker("calcium thingy", "nlu_fallback",
                ranking=[("nlu_fallback", 0.3), ("ask_finding_calcifications", 0.25), ("greet", 0.1), ("ask_finding_cyst", 0.05)])
    messages, customs, slots = run(ActionClarify(), t)
    assert customs[0]["answer_id"] == "fallback"
    assert [c["answer_id"] for c in customs[0]["choices"]] == ["finding_calcifications", "finding_cyst"]
    assert slots["pending_offer"] == "answer:finding_calcifications"
    assert slots["misunderstood"] == 1.0


def test_yes_after_did_you_mean_gives_that_answer():
    t = tracker("yes", "affirm", slots={"pending_offer": "answer:finding_calcifications", "disclaimer_given": True})
    _, customs, _ = run(ActionAffirm(), t)
    assert customs[0]["answer_id"] == "finding_calcifications"


def test_the_second_misunderstanding_hands_off(tmp_path, monkeypatch):
    monkeypatch.setenv("CC_HANDOFF_LOG", str(tmp_path / "handoffs.jsonl"))
    t = tracker("???", "nlu_fallback", ranking=[("nlu_fallback", 0.3)], slots={"misunderstood": 1.0})
    _, customs, _ = run(ActionClarify(), t)
    assert customs[0]["answer_id"] == "handoff" and customs[0]["reason"] == "not_understood"
    assert (tmp_path / "handoffs.jsonl").exists()


def test_voice_answers_are_spoken_words_with_a_card():
    t = tracker("what are calcs", "ask_finding_calcifications", channel="alexa", slots={"disclaimer_given": True})
    messages, customs, _ = run(ActionAnswer(), t)
    assert "buttons" not in messages[0] or not messages[0]["buttons"]
    assert "Source" not in messages[0]["text"]  # spoken: "This is from ..."
    assert "This is from" in messages[0]["text"]
    assert customs[0]["card"]["text"]
