"""The staff console behind nginx with two Rasa servers on PostgreSQL and Redis (scripts/replicated.py).

The person's chat page talks to one Rasa server and the navigator's console
to the other (and both, at times, through nginx): every live chat message
crosses from one replica to the other through the database.
"""

from __future__ import annotations

import types

import psycopg2
import pytest

from conftest import ROOT, base_env
from scripts.replicated import Deployment, missing_binaries
from scripts.staff_client import STAFF_ENV, Navigator, create_account
from test_staff_console import ChatPage

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(missing_binaries()), reason=f"Debian packages missing: {', '.join(missing_binaries())}"),
]


def test_a_navigators_reply_reaches_the_person_whichever_replica_serves_her(trained_model):
    deployment = Deployment(base=ROOT / "build" / "replicated" / "pytest-staff", model=trained_model,
                            env=base_env(**STAFF_ENV), fresh=True)
    try:
        deployment.start()
        create_account(ROOT / "endpoints.production.yml", "jordan", env=deployment.env)
        first, second = deployment.rasa_urls
        person = ChatPage(types.SimpleNamespace(url=first))
        through_nginx = ChatPage(types.SimpleNamespace(url=deployment.url))
        through_nginx.id, through_nginx.key = person.id, person.key
        nurse = Navigator(second)
        assert nurse.sign_in("jordan").status_code == 303

        person.say("hello")
        assert person.say("I want to talk to a person").customs[-1]["live"] == "waiting"
        entry = nurse.entry_for(person.key)
        assert entry and entry["status"] == "waiting"
        assert nurse.get(f"/api/handoffs/{entry['id']}").json()["transcript"], "its transcript, from PostgreSQL"
        assert nurse.post(f"/api/handoffs/{entry['id']}/take").status_code == 200
        assert person.news_until("assistant")["live"] == "navigator"

        assert nurse.post(f"/api/handoffs/{entry['id']}/reply", {"text": "Hello, I'm a navigator."}).status_code == 200
        reply = person.news_until("navigator", seconds=10)
        assert [m["text"] for m in reply["messages"] if m["author"] == "navigator"] == ["Hello, I'm a navigator."]

        through_nginx.after = person.after
        assert through_nginx.say("can you book my visit?").messages == []
        heard = nurse.get(f"/api/handoffs/{entry['id']}/events", after=0).json()["messages"]
        assert "can you book my visit?" in [m["text"] for m in heard if m["author"] == "person"]
        crisis = person.say("I want to kill myself")
        assert crisis.customs[0]["answer_id"] == "crisis"
        alerts = nurse.get(f"/api/handoffs/{entry['id']}/events", after=heard[-1]["id"]).json()["messages"]
        assert any(m["author"] == "alert" for m in alerts)

        nginx_nurse = Navigator(deployment.url)
        nginx_nurse.cookies, nginx_nurse.csrf = nurse.cookies, nurse.csrf
        assert nginx_nurse.post(f"/api/handoffs/{entry['id']}/hand-back").status_code == 200
        assert person.news_until("assistant")["live"] is None
        assert person.say("how long do biopsy results take").customs[-1]["answer_id"] == "biopsy_results_timing"

        with psycopg2.connect(deployment.dsn) as db, db.cursor() as cursor:
            cursor.execute("SELECT status, navigator FROM staff_handoffs WHERE id = %s", (entry["id"],))
            assert cursor.fetchone() == ("returned", "jordan")
            cursor.execute("SELECT action FROM staff_audit WHERE conversation = %s ORDER BY id", (person.key,))
            assert [action for (action,) in cursor.fetchall()] == ["view", "take", "hand_back"]
    finally:
        deployment.stop()
