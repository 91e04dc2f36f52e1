"""The action server answers only Rasa: a shared secret on every action call, and no interface but the loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import uuid

import pytest
import requests
import yaml
from conftest import ROOT, TEST_SECRETS, base_env
from scripts.processes import HOST, free_port, http_ok, wait_until

ACTION_CALL = {"next_action": "action_handoff", "sender_id": "forged", "version": "3.6.21",
               "tracker": {"sender_id": "forged", "slots": {}, "latest_message": {}, "events": []}, "domain": {}}


def test_an_action_call_without_the_secret_is_refused(assistant):
    url = f"http://127.0.0.1:{assistant.actions_port}"
    before = assistant.handoff_log.read_text() if assistant.handoff_log.exists() else ""
    for path in ("/webhook", "/actions"):
        method = requests.post if path == "/webhook" else requests.get
        for headers in ({}, {"X-Actions-Secret": "a guess"}):
            refused = method(url + path, json=ACTION_CALL, headers=headers, timeout=10)
            assert refused.status_code == 401, (path, headers)
    assert (assistant.handoff_log.read_text() if assistant.handoff_log.exists() else "") == before, "nothing written"
    allowed = requests.get(url + "/actions", headers={"X-Actions-Secret": TEST_SECRETS["CC_ACTIONS_SECRET"]}, timeout=10)
    assert allowed.status_code == 200 and {"name": "action_handoff"} in allowed.json()
    assert requests.get(url + "/health", timeout=10).status_code == 200, "the readiness check stays open"


def _outside_address():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_the_action_server_listens_on_the_loopback_only(assistant):
    outside = _outside_address()
    if outside is None:
        pytest.skip("this machine has no interface but the loopback")
    with pytest.raises(OSError):
        socket.create_connection((outside, assistant.actions_port), timeout=2).close()


@pytest.mark.slow
def test_make_run_with_another_actions_port_answers_turns(trained_model, tmp_path):
    rasa_port, actions_port = free_port(), free_port()
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    endpoints["tracker_store"]["db"] = str(tmp_path / "conversations.db")
    (tmp_path / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
    env = base_env(RASA_PORT=str(rasa_port), ACTIONS_PORT=str(actions_port), ENDPOINTS=str(tmp_path / "endpoints.yml"),
                   MODEL=str(trained_model), VENV=str(ROOT / ".venv"))
    env.pop("CC_ACTIONS_SECRET")  # run.sh makes one and gives it to both servers
    log = (tmp_path / "run.log").open("w")
    run = subprocess.Popen(["scripts/run.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    try:
        wait_until(lambda: http_ok(f"http://{HOST}:{rasa_port}/"), "make run", 180, (run, tmp_path / "run.log"))
        reply = requests.post(f"http://{HOST}:{rasa_port}/webhooks/rest/webhook",
                              json={"sender": uuid.uuid4().hex, "message": "what is a cyst?"}, timeout=60).json()
        answers = [m["custom"].get("answer_id") for m in reply if isinstance(m.get("custom"), dict)]
        assert answers == ["finding_cyst"], reply
    finally:
        os.killpg(run.pid, 15)
        run.wait(timeout=30)
