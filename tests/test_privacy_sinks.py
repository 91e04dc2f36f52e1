"""Every sink of both servers, on every channel: a message full of personal details goes in, and none of them comes out anywhere.

One assistant with a real event broker (Rasa's SQL broker, the stream a message
queue would get) is sent the same details by REST (with a replay id), the chat
page, the phone line and the speaker, each turn asking for a person so a
handoff record is written. Then every table of the conversation store and of
the broker's database, every log file of the Rasa server and the action server,
and the handoff records are read.
"""

from __future__ import annotations

import json
import sqlite3
import uuid

import pytest
import requests
from alexa_requests import CERT_URL, CertificateAuthority, SkillSession
from conftest import TEST_SECRETS, Assistant
from test_phone_line import Call
from test_speaker import publish_chain

TYPED = ("My name is Maria Lopez, I live at 42 Elm Street, Shoreview MN 55126. My cell is 612-555-0143, "
         "email maria.lopez@example.com, born 03/14/1968, MRN 88812345, member ID XWB123456789, SSN 123-45-6789, "
         "and my doctor Dr. Okonkwo said calcifications")
SPOKEN = ("my name is maria lopez i live at forty two elm street shoreview minnesota five five one two six "
          "my number is six one two five five five zero one four three and my doctor is doctor okonkwo")
SECRETS = ["maria", "lopez", "elm street", "shoreview", "55126", "612-555-0143", "6125550143", "maria.lopez@",
           "03/14/1968", "88812345", "xwb123456789", "123-45-6789", "okonkwo", "five five one two six",
           "six one two five five five zero"]
REPLAY_ID = "maria-lopez-6125550143"
HANDOFF = "can I talk to a person please"


@pytest.fixture(scope="module")
def assistant_with_broker(trained_model, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("sinks")
    authority = CertificateAuthority()
    signer = authority.issue()
    roots = workdir / "roots.pem"
    roots.write_bytes(authority.root_pem())
    cache = workdir / "cert-cache"
    cache.mkdir()
    publish_chain(cache, CERT_URL, signer)
    broker = workdir / "broker.db"
    running = Assistant(
        workdir, trained_model,
        extra_env={"ALEXA_TRUSTED_ROOTS": str(roots), "ALEXA_CERT_CACHE_DIR": str(cache),
                   "CC_NAVIGATOR_PHONE": "+13125550142", "CC_HOURS": "Mon-Sun 00:00-23:59"},
        extra_endpoints={"event_broker": {"type": "sql", "dialect": "sqlite", "db": str(broker)}},
    )
    running.broker_db, running.signer = broker, signer
    yield running
    running.stop()


def everything_kept(assistant) -> str:
    """Every row of every table of the store and the broker, the logs of both servers, and the handoff records."""
    parts = []
    for db in (assistant.db, assistant.broker_db):
        with sqlite3.connect(db) as connection:
            tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            assert tables, f"{db} has no tables"
            for table in tables:
                parts += [repr(row) for row in connection.execute(f'SELECT * FROM "{table}"')]
        # what is still in SQLite's write-ahead log
        parts += [p.read_bytes().decode("utf-8", "replace") for p in db.parent.glob(db.name + "-*")]
    parts.append(assistant.log_text())
    parts.append(assistant.handoff_log.read_text())
    return "\n".join(parts).lower()


def test_no_personal_detail_sent_on_any_channel_is_kept_anywhere(assistant_with_broker):
    assistant = assistant_with_broker
    # REST, with a replay id that itself carries details; the replay is answered from the store
    sender = f"sinks-{uuid.uuid4().hex[:8]}"
    first = assistant.rest(sender, TYPED, message_id=REPLAY_ID)
    assert assistant.rest(sender, TYPED, message_id=REPLAY_ID) == first
    assistant.rest(sender, HANDOFF)
    # the chat page
    conversation = uuid.uuid4().hex
    for text in (TYPED, HANDOFF):
        reply = requests.post(f"{assistant.url}/webhooks/webchat/message",
                              json={"conversation": conversation, "message": text}, timeout=30)
        assert reply.status_code == 200 and reply.json()["messages"]
    # the phone line, from the person's own number
    call = Call(assistant, caller="+16125550143")
    call.start()
    call.say(SPOKEN)
    call.say("can i talk to a person")
    # the speaker
    person = SkillSession(f"{assistant.url}/webhooks/alexa/webhook", TEST_SECRETS["ALEXA_SKILL_ID"], assistant.signer)
    assert person.launch().status == 200
    assert person.say(SPOKEN).status == 200
    person.say("talk to a person")

    kept = everything_kept(assistant)
    assert "[name]" in kept and "[phone]" in kept, "the turns were stored (redacted)"
    with sqlite3.connect(assistant.broker_db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM events").fetchone()[0] > 0, "the broker got the turns"
    channels = {json.loads(line)["channel"] for line in assistant.handoff_log.read_text().splitlines()}
    assert channels == {"rest", "webchat", "twilio_ivr", "alexa"}, "each channel wrote a handoff record"
    found = [secret for secret in SECRETS if secret in kept]
    assert found == [], f"kept in clear: {found}"
    assert REPLAY_ID not in kept


def test_understanding_still_sees_the_message_as_it_was_said(assistant_with_broker):
    reply = assistant_with_broker.rest(f"sinks-{uuid.uuid4().hex[:8]}", "my name is Maria, why was I called back")
    answers = [m["custom"]["answer_id"] for m in reply if isinstance(m.get("custom"), dict) and "answer_id" in m["custom"]]
    assert answers == ["callback_reasons"]
