"""The conversation store on real SQLite: hashed keys, redacted text, whole turns, and long conversations kept short."""

import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from companion.privacy import conversation_key
from companion.tracker_store import PrivateSQLTrackerStore, roll_long_session

DOMAIN = Domain.load("domain.yml")


def store(tmp_path):
    return PrivateSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "store.db"))


def turns(tracker, count, topic="finding_cyst"):
    for n in range(count):
        tracker.update(UserUttered(f"question {n}", {"name": "ask_finding_cyst", "confidence": 1.0}))
        tracker.update(ActionExecuted("action_answer"))
        tracker.update(BotUttered(f"answer {n}"))
        tracker.update(SlotSet("topic", topic))
        tracker.update(ActionExecuted("action_listen"))


def test_a_long_session_is_rolled_over_with_its_slots():
    tracker = DialogueStateTracker.from_events("someone", [ActionExecuted("action_listen")], slots=DOMAIN.slots)
    turns(tracker, 40)
    tracker.update(SlotSet("disclaimer_given", True))
    rolled = roll_long_session(tracker, limit=100)
    assert isinstance(rolled.events[-1], ActionExecuted) and rolled.events[-1].action_name == "action_listen"
    assert len(rolled.applied_events()) < 10
    assert rolled.get_slot("topic") == "finding_cyst" and rolled.get_slot("disclaimer_given") is True


def test_a_short_session_is_left_alone():
    tracker = DialogueStateTracker.from_events("someone", [ActionExecuted("action_listen")], slots=DOMAIN.slots)
    turns(tracker, 3)
    before = len(tracker.events)
    assert len(roll_long_session(tracker, limit=100).events) == before


def test_each_turn_reads_a_bounded_history(tmp_path, monkeypatch):
    monkeypatch.setenv("CC_ID_SECRET", "test-id-secret")
    sqlite = store(tmp_path)
    tracker = DialogueStateTracker.from_events("long-talker", [ActionExecuted("action_listen")], slots=DOMAIN.slots)
    tracker.update(SlotSet("disclaimer_given", True))
    lengths = []
    for _ in range(80):
        tracker = asyncio.run(sqlite.retrieve("long-talker")) or tracker
        lengths.append(len(tracker.events))
        turns(tracker, 1)
        asyncio.run(sqlite.save(tracker))
    assert max(lengths) <= 120 + 10
    full = asyncio.run(sqlite.retrieve_full_tracker("long-talker"))
    assert sum(isinstance(e, UserUttered) for e in full.events) == 80  # nothing lost
    assert sum(isinstance(e, SessionStarted) for e in full.events) >= 2  # rolled more than once
    latest = asyncio.run(sqlite.retrieve("long-talker"))
    assert latest.get_slot("topic") == "finding_cyst" and latest.get_slot("disclaimer_given") is True


def test_rows_are_keyed_by_hash_and_text_is_redacted(tmp_path):
    sqlite = store(tmp_path)
    tracker = DialogueStateTracker.from_events("caller-612", [ActionExecuted("action_listen")], slots=DOMAIN.slots)
    tracker.update(UserUttered("call me on 612-555-0143", {"name": "greet", "confidence": 1.0}))
    asyncio.run(sqlite.save(tracker))
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*"))  # the database and its write-ahead log
    assert b"caller-612" not in raw and b"612-555-0143" not in raw
    assert conversation_key("caller-612").encode() in raw
    back = asyncio.run(sqlite.retrieve("caller-612"))
    assert back.sender_id == "caller-612" and "[phone]" in back.latest_message.text


@pytest.mark.parametrize("count", [1, 30])
def test_a_conversation_keeps_its_context_across_a_roll(new_chat, count):
    chat = new_chat()
    for _ in range(count):
        chat.say("what is a cyst")
    chat.say("what are calcifications")
    assert chat.say("tell me more").answer_id == "finding_calcifications"
    assert "medical advice" not in chat.say("what is a mass").text  # the disclaimer is not repeated
