"""The staff store on its own SQLite file: passwords, lockout, sessions, the queue's order and call back retention."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from companion.staff import passwords
from companion.staff.desk import HandoffRequest
from companion.staff.store import SignInRefused, SQLStaffStore


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("CC_CALLBACK_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("CC_STAFF_LOCKOUT_FAILURES", "2")
    return SQLStaffStore(sa.create_engine(f"sqlite:///{tmp_path / 'staff.db'}"))


def test_a_password_is_stored_as_an_scrypt_hash_with_its_own_salt():
    first, second = passwords.hash_password("a long password"), passwords.hash_password("a long password")
    assert first.startswith("scrypt$") and first != second and "a long password" not in first
    assert passwords.verify_password("a long password", first)
    assert not passwords.verify_password("a long passwore", first)
    assert not passwords.verify_password("a long password", "not a hash")


def test_a_short_password_is_refused(store):
    with pytest.raises(ValueError):
        store.create_account("jordan", "short")


def test_the_lockout_holds_until_its_time_is_up_and_a_new_password_lifts_it(store, monkeypatch):
    store.create_account("jordan", "correct horse battery")
    for _ in range(2):
        with pytest.raises(SignInRefused):
            store.sign_in("jordan", "wrong")
    with pytest.raises(SignInRefused) as locked:
        store.sign_in("jordan", "correct horse battery")
    assert locked.value.locked_seconds > 14 * 60
    store.create_account("jordan", "a brand new password")
    session = store.sign_in("jordan", "a brand new password")
    assert store.session(session["token"])["username"] == "jordan"
    store.sign_out(session["token"])
    assert store.session(session["token"]) is None


def test_safety_events_come_first_then_the_newest(store):
    store.open_handoff(HandoffRequest("conversation-a", "webchat", "asked", True))
    time.sleep(0.01)
    store.open_handoff(HandoffRequest("conversation-b", "rest", "safety", True, safety="crisis"))
    time.sleep(0.01)
    store.open_handoff(HandoffRequest("conversation-c", "twilio_ivr", "not_understood", False))
    assert [e["sender_id"] for e in store.queue()] == ["conversation-b", "conversation-c", "conversation-a"]
    # a conversation has one entry while it is open; a later safety event marks it
    store.open_handoff(HandoffRequest("conversation-a", "webchat", "safety", True, safety="emergency"))
    assert [e["sender_id"] for e in store.queue()][:2] == ["conversation-a", "conversation-b"]
    assert len(store.queue()) == 3


def test_a_call_back_is_deleted_after_its_retention(store, monkeypatch):
    store.add_callback("key-1", "webchat", "asked", None, "+16125550100")
    monkeypatch.setenv("CC_CALLBACK_RETENTION_DAYS", "0.00001")  # a second
    store.add_callback("key-2", "webchat", "asked", None, "+16125550101")
    time.sleep(1.2)
    assert [c["number"] for c in store.callbacks()] == ["+16125550100"]
    with store.engine.connect() as db:
        assert db.execute(sa.text("SELECT count(*) FROM staff_callbacks")).scalar() == 1


def test_the_queue_keeps_the_language_she_last_spoke(store):
    store.open_handoff(HandoffRequest("conversation-a", "webchat", "asked", True, language="en"))
    store.open_handoff(HandoffRequest("conversation-a", "webchat", "not_understood", True, language="es"))
    store.open_handoff(HandoffRequest("conversation-a", "webchat", "asked", True))  # no language said: kept
    assert [(e["sender_id"], e["language"]) for e in store.queue()] == [("conversation-a", "es")]
    store.add_callback("key-1", "twilio_ivr", "asked", None, "+16125550100", language="es")
    assert [c["language"] for c in store.callbacks()] == ["es"]


def test_a_database_from_before_the_language_column_gets_it_and_keeps_its_rows(tmp_path, monkeypatch):
    monkeypatch.setenv("CC_CALLBACK_KEY", Fernet.generate_key().decode())
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as db:
        db.execute(sa.text(
            "CREATE TABLE staff_handoffs (id INTEGER PRIMARY KEY, sender_id VARCHAR(128) NOT NULL, "
            "conversation VARCHAR(64) NOT NULL, channel VARCHAR(32) NOT NULL, reason VARCHAR(32) NOT NULL, "
            "safety VARCHAR(32), topic VARCHAR(64), clinic_open BOOLEAN NOT NULL, status VARCHAR(16) NOT NULL, "
            "navigator VARCHAR(64), created FLOAT NOT NULL, updated FLOAT NOT NULL)"))
        db.execute(sa.text(
            "INSERT INTO staff_handoffs (sender_id, conversation, channel, reason, clinic_open, status, created, updated) "
            "VALUES ('conversation-old', 'key-old', 'webchat', 'asked', 1, 'open', 1, 1)"))
    store = SQLStaffStore(engine)
    store.open_handoff(HandoffRequest("conversation-new", "webchat", "asked", True, language="es"))
    assert {(e["sender_id"], e["language"]) for e in store.queue()} == {("conversation-old", None), ("conversation-new", "es")}
