"""The REST channel takes whatever is sent: each kind of bad input gets a defined answer and the conversation carries on."""

import uuid

import pytest
import requests

from channels.common import MAX_MESSAGE_CHARS, clean_text


def post(assistant, body=None, raw=None, headers=None):
    url = f"{assistant.url}/webhooks/rest/webhook"
    if raw is not None:
        return requests.post(url, data=raw, headers=headers or {"Content-Type": "application/json"}, timeout=30)
    return requests.post(url, json=body, timeout=30)


def answer_ids(response):
    return [m["custom"]["answer_id"] for m in response.json() if "custom" in m]


def still_answers(assistant, sender):
    """A normal turn in the same conversation still works."""
    reply = post(assistant, {"sender": sender, "message": "what is a cyst"})
    assert reply.status_code == 200 and answer_ids(reply) == ["finding_cyst"]


@pytest.fixture
def sender():
    return f"rest-{uuid.uuid4().hex[:10]}"


@pytest.mark.parametrize("message", ["", "   ", "\n\t  "])
def test_empty_message_gets_a_gentle_did_not_catch(assistant, sender, message):
    reply = post(assistant, {"sender": sender, "message": message})
    assert reply.status_code == 200
    assert answer_ids(reply) == ["fallback"]
    assert "didn't understand" in reply.json()[0]["text"] or "didn't catch" in reply.json()[0]["text"]
    still_answers(assistant, sender)


def test_a_pasted_novel_is_cut_not_processed_whole(assistant, sender):
    reply = post(assistant, {"sender": sender, "message": "what are calcifications " + "blah " * 20000})
    assert reply.status_code == 200 and len(answer_ids(reply)) == 1
    still_answers(assistant, sender)


def test_text_is_cut_to_the_documented_limit():
    assert len(clean_text("a" * 100_000)) == MAX_MESSAGE_CHARS


def test_control_characters_are_dropped(assistant, sender):
    assert clean_text("what\x00 is\x1b a\x07 cyst\u202e") == "what is a cyst"
    reply = post(assistant, {"sender": sender, "message": "what\x00 is\x1b a cyst\x07"})
    assert answer_ids(reply) == ["finding_cyst"]


def test_invalid_utf8_is_a_clear_client_error(assistant, sender):
    reply = post(assistant, raw=b'{"sender": "' + sender.encode() + b'", "message": "caf\xe9 \xff\xfe"}')
    assert reply.status_code == 400 and "error" in reply.json()
    still_answers(assistant, sender)


@pytest.mark.parametrize("message", ["what is a cyst? 😟🙏", "¿Qué es un quiste?", "什么是囊肿", "ما هو الكيس"])
def test_emoji_and_other_scripts_get_an_answer(assistant, sender, message):
    reply = post(assistant, {"sender": sender, "message": message})
    assert reply.status_code == 200 and len(answer_ids(reply)) == 1


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2, 3]", b'"just a string"', b"", b'{"sender": 5, "message": "hi"}', b'{"message": "hi"}',
     b'{"sender": "x"}', b'{"sender": "x", "message": {"text": "hi"}}'],
)
def test_malformed_or_incomplete_requests_are_refused_clearly(assistant, sender, raw):
    reply = post(assistant, raw=raw)
    assert reply.status_code == 400 and "error" in reply.json()
    still_answers(assistant, sender)


def test_html_and_script_come_back_as_plain_words(assistant, sender):
    reply = post(assistant, {"sender": sender, "message": "<script>alert(1)</script><img src=x onerror=alert(1)>"})
    assert reply.status_code == 200
    assert all("<script" not in m.get("text", "") for m in reply.json())
    still_answers(assistant, sender)


def test_a_replayed_request_is_answered_but_handled_once(assistant, sender):
    body = {"sender": sender, "message": "what are calcifications", "message_id": "m-1"}
    first = post(assistant, body)
    again = post(assistant, body)
    assert answer_ids(first) == answer_ids(again) == ["finding_calcifications"]
    assert [m.get("text") for m in first.json()] == [m.get("text") for m in again.json()]
    # handled once: "say that again" still repeats calcifications, and the store has one such turn
    import sqlite3

    from conftest import rest_conversation, stored_key

    with sqlite3.connect(assistant.db) as db:
        turns = db.execute(
            "select count(*) from events where sender_id = ? and type_name = 'user' and data like '%what are calcifications%'",
            (stored_key(rest_conversation(sender)),),
        ).fetchone()[0]
    assert turns == 1
    still_answers(assistant, sender)


def test_a_replay_is_found_in_any_tracker_store_not_only_ours():
    """With another store (Rasa's in-memory one, as with `rasa run` and no endpoints) the whole tracker is read."""
    import asyncio

    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from channels.common import replies_for_replay

    domain = Domain.load("domain.yml")
    store = FailSafeTrackerStore(InMemoryTrackerStore(domain))
    tracker = DialogueStateTracker.from_events("someone", [ActionExecuted("action_listen")], slots=domain.slots)
    for n in (1, 2):
        tracker.update(UserUttered(f"question {n}", {"name": "greet", "confidence": 1.0}, message_id=f"m-{n}"))
        tracker.update(BotUttered(f"answer {n}", {"buttons": [{"title": "More", "payload": "/tell_more"}],
                                                  "custom": {"answer_id": f"a{n}"}}))
        tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))

    class Agent:
        tracker_store = store

    assert asyncio.run(replies_for_replay(Agent(), "someone", "m-1")) == [
        {"text": "answer 1", "buttons": [{"title": "More", "payload": "/tell_more"}]},
        {"custom": {"answer_id": "a1"}},
    ]
    assert asyncio.run(replies_for_replay(Agent(), "someone", "m-3")) is None
