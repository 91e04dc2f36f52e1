"""The conversation store on real SQLite: hashed keys, redacted text, whole turns, and long conversations kept short."""

import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    SessionStarted,
    SlotSet,
    UserUttered,
)
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


def test_redacting_the_stored_copy_leaves_the_turn_in_memory_untouched(tmp_path):
    sqlite = store(tmp_path)
    tracker = DialogueStateTracker.from_events("caller-613", [ActionExecuted("action_listen")], slots=DOMAIN.slots)
    entity = {"entity": "phone", "value": "612-555-0143", "start": 11, "end": 23}
    tracker.update(UserUttered("call me on 612-555-0143", {"name": "greet", "confidence": 1.0}, [entity]))
    asyncio.run(sqlite.save(tracker))
    assert tracker.latest_message.text == "call me on 612-555-0143"
    assert tracker.latest_message.entities == [entity]
    assert tracker.latest_message.parse_data["text"] == "call me on 612-555-0143"


def stored_rows(sqlite, sender):
    with sqlite.session_scope() as session:
        return session.query(sqlite.SQLEvent).filter(sqlite.SQLEvent.sender_id == conversation_key(sender)).count()


def test_saving_a_turn_twice_stores_each_event_once(tmp_path):
    sqlite = store(tmp_path)
    tracker = DialogueStateTracker.from_events("twice", [ActionExecuted("action_listen")], slots=DOMAIN.slots)
    turns(tracker, 2)
    asyncio.run(sqlite.save(tracker))
    asyncio.run(sqlite.save(tracker))
    assert stored_rows(sqlite, "twice") == len(tracker.events)
    again = asyncio.run(sqlite.retrieve("twice"))
    turns(again, 1)
    asyncio.run(sqlite.save(again))
    asyncio.run(sqlite.save(again))
    assert stored_rows(sqlite, "twice") == len(again.events)


def test_a_tracker_the_store_never_read_adds_only_what_is_not_stored(tmp_path):
    sqlite = store(tmp_path)
    first = DialogueStateTracker.from_events("elsewhere", [ActionExecuted("action_listen")], slots=DOMAIN.slots)
    turns(first, 1)
    asyncio.run(sqlite.save(first))
    # the same conversation built up elsewhere (as a second server would): Rasa's count of stored events decides
    other = DialogueStateTracker.from_events("elsewhere", list(first.events), slots=DOMAIN.slots)
    turns(other, 1)
    asyncio.run(sqlite.save(other))
    assert stored_rows(sqlite, "elsewhere") == len(other.events)
    assert [e.text for e in asyncio.run(sqlite.retrieve("elsewhere")).events if isinstance(e, UserUttered)] == [
        "question 0", "question 0"]


def test_the_replies_to_a_message_id_are_found_without_rebuilding_the_tracker(tmp_path):
    sqlite = store(tmp_path)
    tracker = DialogueStateTracker.from_events("replayer", [ActionExecuted("action_listen")], slots=DOMAIN.slots)
    for n, message_id in enumerate(["m-1", "m-2"]):
        tracker.update(UserUttered(f"question {n}", {"name": "greet", "confidence": 1.0}, message_id=message_id))
        tracker.update(BotUttered(f"answer {n}a"))
        tracker.update(BotUttered(f"answer {n}b", {"custom": {"answer_id": f"a{n}"}}))
        tracker.update(ActionExecuted("action_listen"))
    asyncio.run(sqlite.save(tracker))
    assert [(e.text, e.data.get("custom")) for e in sqlite.replies_to("replayer", "m-1")] == [
        ("answer 0a", None), ("answer 0b", {"answer_id": "a0"})]
    assert [e.text for e in sqlite.replies_to("replayer", "m-2")] == ["answer 1a", "answer 1b"]
    assert sqlite.replies_to("replayer", "m-3") is None
    assert sqlite.replies_to("someone-else", "m-1") is None
    assert sqlite.replies_to("replayer", "m-_") is None and sqlite.replies_to("replayer", "m-%") is None


def test_a_message_id_is_matched_exactly_whatever_it_contains(tmp_path):
    sqlite = store(tmp_path)
    tracker = DialogueStateTracker.from_events("odd-ids", [ActionExecuted("action_listen")], slots=DOMAIN.slots)
    odd = ['50%_off "quoted" \\ back', "ünïcode-id", "plain"]
    for message_id in odd:
        # the person's words quote another id: only the message's own id counts
        tracker.update(UserUttered(f'my id is "message_id": "plain" {message_id}', {"name": "greet", "confidence": 1.0},
                                   message_id=message_id))
        tracker.update(BotUttered(f"reply to {message_id}"))
        tracker.update(ActionExecuted("action_listen"))
    asyncio.run(sqlite.save(tracker))
    for message_id in odd:
        assert [e.text for e in sqlite.replies_to("odd-ids", message_id)] == [f"reply to {message_id}"]
    assert sqlite.replies_to("odd-ids", "50") is None
    assert sqlite.replies_to("odd-ids", "50__off%") is None


def test_a_pause_is_noticed_until_the_conversation_resumes(tmp_path):
    sqlite = store(tmp_path)
    tracker = DialogueStateTracker.from_events("paused", [ActionExecuted("action_listen")], slots=DOMAIN.slots)
    turns(tracker, 1)
    asyncio.run(sqlite.save(tracker))
    assert not sqlite.may_be_paused("paused")
    tracker.update(ConversationPaused())
    asyncio.run(sqlite.save(tracker))
    assert sqlite.may_be_paused("paused") and tracker.is_paused()
    tracker.update(ConversationResumed())
    asyncio.run(sqlite.save(tracker))
    assert not sqlite.may_be_paused("paused") and not tracker.is_paused()
    assert not sqlite.may_be_paused("never-seen")


@pytest.mark.parametrize("count", [1, 30])
def test_a_conversation_keeps_its_context_across_a_roll(new_chat, count):
    chat = new_chat()
    for _ in range(count):
        chat.say("what is a cyst")
    chat.say("what are calcifications")
    assert chat.say("tell me more").answer_id == "finding_calcifications"
    assert "medical advice" not in chat.say("what is a mass").text  # the disclaimer is not repeated


def test_what_a_channel_sends_with_a_message_is_not_stored():
    from companion.tracker_store import redact_event

    sent = {"modality": "voice", "asr_confidence": 0.31, "heard_poorly": True}
    event = UserUttered("what is a cyst", {"name": "ask_finding_cyst", "confidence": 0.9}, [],
                        {"intent": {"name": "ask_finding_cyst"}, "entities": [], "text": "what is a cyst",
                         "metadata": sent}, metadata=sent).as_dict()
    stored = redact_event(event)
    assert stored["metadata"] == {} and "metadata" not in stored["parse_data"]
    assert event["parse_data"]["metadata"] == sent, "the turn in memory keeps it"
