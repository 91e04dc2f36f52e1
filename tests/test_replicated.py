"""The replicated deployment for real: nginx, two Rasa servers, PostgreSQL and Redis (scripts/replicated.py).

Twelve conversations talk at once through nginx, each turn after the last,
and one Rasa server is stopped (SIGTERM) in the middle. Every turn must be
answered once, correctly, and stored once in PostgreSQL in order; the
conversation locks must be in Redis.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import subprocess
import threading
import time
import uuid
from collections import Counter
from typing import Dict, List, Tuple

import psycopg2
import pytest
import redis
import requests

from conftest import ROOT, base_env, rest_conversation, stored_key
from scripts.replicated import HOST, LOCK_KEY_PREFIX, REDIS_LOCK_DB, Deployment, missing_binaries

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(missing_binaries()),
        reason=f"Debian packages missing: {', '.join(missing_binaries())} (run `make system-packages`)",
    ),
]

CONVERSATIONS, TURNS = 12, 8
# Follow-ups are answered from the conversation's own history, so a turn
# routed to the wrong history, lost or stored twice changes the answer.
TOPICS = [
    [("what are calcifications", "finding_calcifications"), ("tell me more", "finding_calcifications")],
    [("what is a cyst", "finding_cyst"), ("is that bad?", "finding_cyst")],
    [("what is architectural distortion", "finding_distortion"), ("what does that mean?", "finding_distortion")],
]


def script(i: int) -> List[Tuple[str, str]]:
    topics = TOPICS[i % 3:] + TOPICS[: i % 3]
    if i % 2:
        topics.reverse()
    turns = [("hello", "greeting")] + [turn for topic in topics for turn in topic] + [("when will I get my results?", "results_timing")]
    assert len(turns) == TURNS
    return turns


def converse(url: str, sender: str, turns, replies: List, errors: List, done: List) -> None:
    with requests.Session() as http:
        for message, expected in turns:
            time.sleep(random.uniform(0.5, 2.5))  # a person reading and typing
            try:
                response = http.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60)
                answers = [m["custom"].get("answer_id") for m in response.json() if isinstance(m.get("custom"), dict)] \
                    if response.status_code == 200 else []
                replies.append((sender, message, expected, response.status_code, answers))
            except Exception as error:  # noqa: BLE001 - recorded and asserted on below
                errors.append(f"{sender} {message!r}: {error!r}")
            done.append(1)


def upstreams(access_log, since: float = 0, until: float = float("inf")) -> Tuple[Counter, int]:
    """From nginx's access log: how many REST turns each Rasa server answered, and how many nginx retried."""
    counts, retried = Counter(), 0
    for line in access_log.read_text().splitlines():
        if " POST " in line and since <= float(line.split()[0]) < until:
            tried = re.search(r"upstream=(.*) upstream_status=", line).group(1).split(", ")
            counts[tried[-1]] += 1  # the server that answered
            retried += len(tried) > 1
    return counts, retried


def stored_events(dsn: str, sender: str) -> List[Dict]:
    with psycopg2.connect(dsn) as db, db.cursor() as cursor:
        cursor.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (stored_key(rest_conversation(sender)),))
        return [json.loads(data) for (data,) in cursor.fetchall()]


def test_conversations_survive_a_replica_stopping(trained_model):
    base = ROOT / "build" / "replicated" / "pytest"
    deployment = Deployment(base=base, model=trained_model, env=base_env(), fresh=True)
    monitor = None
    run = uuid.uuid4().hex[:8]
    senders = [f"replicated-{run}-{i}" for i in range(CONVERSATIONS)]
    replies, errors, done = [], [], []
    try:
        started = time.monotonic()
        deployment.start()
        print(f"\ndeployment ready in {time.monotonic() - started:.0f} s; Rasa servers ready after "
              + ", ".join(f"{s:.1f} s" for s in deployment.ready_seconds))

        # every command Redis runs, to see the conversation locks
        monitor_log = deployment.logs / "redis-monitor.log"
        monitor = subprocess.Popen(["redis-cli", "-h", HOST, "-p", str(deployment.redis_port), "monitor"],
                                   stdout=monitor_log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while "OK" not in monitor_log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)

        threads = [
            threading.Thread(target=converse, args=(deployment.url, sender, script(i), replies, errors, done))
            for i, sender in enumerate(senders)
        ]
        for thread in threads:
            thread.start()
        while len(done) < CONVERSATIONS * TURNS * 0.25:
            time.sleep(0.05)
        stop_began, turns_before_stop = time.time(), len(done)
        # graceful: nginx stops sending it turns, then SIGTERM; it finishes the turns it has
        deployment.stop_rasa(0)
        stop_ended = time.time()
        assert deployment.rasa[0].returncode is not None
        # now nginx lists the stopped server again, as after a crash: it must fail over
        deployment.set_in_rotation(0, True)
        turns_after_stop = CONVERSATIONS * TURNS - len(done)
        for thread in threads:
            thread.join(timeout=300)
        assert not any(thread.is_alive() for thread in threads)
        print(f"{turns_before_stop} turns before the stop, {turns_after_stop} after it and the dead server back in "
              f"nginx's list; the stop took {stop_ended - stop_began:.1f} s; turns per server: "
              f"{dict(upstreams(deployment.access_log)[0])}")
        assert turns_after_stop >= CONVERSATIONS, "the conversations ended too early to test the stop"

        # every HTTP reply: 200 with the expected answer, once
        assert not errors, errors
        assert len(replies) == CONVERSATIONS * TURNS
        wrong = [r for r in replies if r[3] != 200 or r[4] != [r[2]]]
        assert not wrong, wrong

        # both servers answered before the stop; only the other one after it
        first, second = (f"{HOST}:{port}" for port in deployment.rasa_ports)
        before, _ = upstreams(deployment.access_log, until=stop_began)
        assert before[first] > 0 and before[second] > 0, before
        after, retried = upstreams(deployment.access_log, since=stop_ended)
        assert after and set(after) == {second}, after
        # proxy_next_upstream: a refused connection is tried on the other server
        assert retried > 0, "nginx never tried the stopped server"

        # PostgreSQL holds every turn once, in order, each followed by its answer
        for i, sender in enumerate(senders):
            events = stored_events(deployment.dsn, sender)
            turns = script(i)
            assert [e["text"] for e in events if e["event"] == "user"] == [message for message, _ in turns], sender
            user_at = [n for n, e in enumerate(events) if e["event"] == "user"]
            for (message, expected), start, end in zip(turns, user_at, user_at[1:] + [len(events)]):
                turn = events[start + 1:end]
                answers = [e["data"]["custom"]["answer_id"] for e in turn
                           if e["event"] == "bot" and isinstance((e.get("data") or {}).get("custom"), dict)]
                assert answers == [expected], (sender, message, turn)
                assert turn[-1].get("name") == "action_listen", (sender, message, "turn not finished")

        with psycopg2.connect(deployment.dsn) as db, db.cursor() as cursor:
            # Rasa's model declares the sender index; it must really exist
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'events'")
            indexes = dict(cursor.fetchall())
            assert "ix_events_sender_id" in indexes and "(sender_id)" in indexes["ix_events_sender_id"], indexes
            cursor.execute("SELECT count(DISTINCT sender_id) FROM events WHERE sender_id = ANY(%s)",
                           ([stored_key(rest_conversation(s)) for s in senders],))
            assert cursor.fetchone()[0] == CONVERSATIONS
            # only keyed hashes are stored, never the sender ids themselves
            cursor.execute("SELECT count(*) FROM events WHERE sender_id = ANY(%s)", (senders,))
            assert cursor.fetchone()[0] == 0

        # ... and nothing went to SQLite
        assert not list(base.rglob("*.db"))
        dev_store = ROOT / "build" / "conversations.db"
        if dev_store.exists():
            with sqlite3.connect(dev_store) as db:
                if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'events'").fetchone():
                    keys = [stored_key(rest_conversation(s)) for s in senders]
                    hits = db.execute(f"SELECT count(*) FROM events WHERE sender_id IN ({','.join('?' * len(keys))})", keys)
                    assert hits.fetchone()[0] == 0

        # the conversation locks were taken in Redis (database CC_REDIS_DB), one key per conversation
        monitor.terminate()
        monitor.wait(timeout=10)
        commands = monitor_log.read_text()
        for sender in senders:
            assert re.search(rf'\[{REDIS_LOCK_DB} [^\]]*\] "SET" "{LOCK_KEY_PREFIX}{rest_conversation(sender)}"', commands), sender
        store = redis.Redis(host=HOST, port=deployment.redis_port, db=REDIS_LOCK_DB)
        leftover = [s for s in senders if store.exists(f"{LOCK_KEY_PREFIX}{rest_conversation(s)}")]
        assert leftover == [], "conversation locks left behind"
    finally:
        if monitor is not None and monitor.poll() is None:
            monitor.kill()
        deployment.stop()
