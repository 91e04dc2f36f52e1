"""No patient data kept: hashed conversation keys, personal details redacted before storing or logging, old conversations deleted."""

import json
import re
import sqlite3
import subprocess
import sys
import time

import pytest
from conftest import rest_conversation, stored_key

from companion.privacy import redact

PERSONAL = {
    "phone": ("my cell is 612-555-0143", "612-555-0143"),
    "email": ("email me at jane.doe@example.com", "jane.doe@example.com"),
    "date of birth": ("I was born 03/14/1968", "03/14/1968"),
    "spoken phone": ("call me back at six one two five five five zero one four three", "six one two five five five"),
    "record number": ("my MRN is 88812345", "88812345"),
    "name": ("my name is Maria Lopez, why was I called back", "Lopez"),
    "spoken name": ("this is will baker calling for my wife", "baker"),
    "street address": ("I live at 42 Elm Street", "Elm Street"),
    "town and ZIP code": ("I'm Jennifer Okafor from Maple Grove MN 55123", "Maple Grove"),
    "ZIP code": ("I'm Jennifer Okafor from Maple Grove MN 55123", "55123"),
    "doctor's name": ("my doctor Dr. Patel said calcifications", "Patel"),
    "member number": ("my insurance member ID is XWB123456789", "XWB123456789"),
}


@pytest.mark.parametrize("kind", sorted(PERSONAL))
def test_personal_details_are_redacted(kind):
    said, secret = PERSONAL[kind]
    assert secret not in redact(said)


@pytest.mark.parametrize(
    "text",
    ["what does birads 4 mean", "call 988", "about 10 in 100 women", "come back in 6 months", "I'm 45 years old"],
)
def test_ordinary_words_and_figures_are_kept(text):
    assert redact(text) == text


def test_the_clinics_own_names_stay_readable():
    from companion.redaction.engine import Redactor

    redactor = Redactor(keep=["Hope Pavilion", "St. Luke's Hospital"])
    said = "Is the Hope Pavilion next to St. Luke's Hospital? I'm Hope Young"
    assert redactor.redact(said) == "Is the Hope Pavilion next to St. Luke's Hospital? I'm [name]"


def test_a_traceback_in_a_log_line_is_redacted(tmp_path):
    import logging

    from companion.privacy import install_log_redaction

    install_log_redaction()
    log = tmp_path / "server.log"
    handler = logging.FileHandler(log)
    logger = logging.getLogger("test.privacy.traceback")
    logger.addHandler(handler)
    try:
        raise ValueError("could not parse 'my name is Maria Lopez, 612-555-0143'")
    except ValueError:
        logger.exception("turn failed for Maria Lopez")
    finally:
        logger.removeHandler(handler)
        handler.close()
    written = log.read_text()
    assert "ValueError" in written and "Lopez" not in written and "612-555-0143" not in written


def published_words() -> str:
    """Everything the content itself says, source names included."""
    from companion.content import content

    return " ".join(str(value) for value in vars(content()).values())


def stored_bytes(assistant) -> bytes:
    return assistant.db.read_bytes() + b"".join(
        p.read_bytes() for p in assistant.db.parent.glob("conversations.db-*")
    )


def as_a_word(secret: str, data: bytes) -> bool:
    """A ZIP code's digits can occur inside a timestamp, a message id or a hash by chance; only a word of its own counts."""
    return re.search(rb"(?<![0-9a-f.])" + re.escape(secret.encode()) + rb"(?![0-9a-f])", data) is not None


def test_nothing_personal_reaches_the_sqlite_store_or_the_logs(assistant, chat):
    chat.say("hello")
    for said, _ in PERSONAL.values():
        chat.say(said)
    chat.say("what are calcifications")
    stored = stored_bytes(assistant)
    logs = assistant.log_text()
    with sqlite3.connect(assistant.db) as db:
        texts = [row[0] for row in db.execute("select data from events where type_name = 'user'")]
    published = published_words()
    said_texts = " ".join(json.loads(t)["text"] for t in texts)
    for kind, (_, secret) in PERSONAL.items():
        # a town can also be in a source's name ("The Breast Center of Maple Grove"): then only what she said counts
        assert secret not in said_texts, kind
        if secret not in published:
            assert not as_a_word(secret, stored), kind
        assert not as_a_word(secret, logs.encode()), kind
    assert any("[phone]" in t for t in texts) and any("[email]" in t for t in texts)


def test_the_store_keys_conversations_by_keyed_hash(assistant, chat):
    chat.say("is a callback common?")
    with sqlite3.connect(assistant.db) as db:
        senders = {row[0] for row in db.execute("select distinct sender_id from events")}
    assert chat.sender not in senders
    assert stored_key(rest_conversation(chat.sender)) in senders
    assert chat.sender.encode() not in stored_bytes(assistant)


def test_a_conversation_continues_after_redaction(chat):
    chat.say("what is a cyst, my number is 612 555 0143")
    assert chat.say("is that bad?").answer_id in ("finding_cyst", "callback_cancer_odds")


def test_old_conversations_can_be_deleted(tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore

    sys.path.insert(0, "scripts")
    from forget_conversations import forget

    store = SQLTrackerStore(dialect="sqlite", db=str(tmp_path / "store.db"))
    now = time.time()
    with store.session_scope() as session:
        for sender, age_days in (("old", 40), ("old", 35), ("recent", 40), ("recent", 1)):
            session.add(store.SQLEvent(sender_id=sender, type_name="user", timestamp=now - age_days * 86400, data="{}"))
        session.commit()
    assert forget(store, days=30, now=now) == 1
    with store.session_scope() as session:
        left = {row[0] for row in session.query(store.SQLEvent.sender_id).distinct()}
    assert left == {"recent"}


def test_the_forget_command_runs_against_an_endpoints_file(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"tracker_store:\n  type: sql\n  dialect: sqlite\n  db: {tmp_path / 'store.db'}\n")
    done = subprocess.run(
        [sys.executable, "scripts/forget_conversations.py", "--days", "30", "--endpoints", str(endpoints)],
        capture_output=True, text=True, check=True,
    )
    assert "deleted 0 conversation(s)" in done.stdout
