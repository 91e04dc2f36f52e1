"""Rate limits on the public endpoints: a flooding client is answered 429 while everyone else is served as before."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import threading
import time
import uuid
from typing import List

import pytest
import requests
from conftest import Assistant

from channels.rate_limits import Rate, RateLimits, TokenBuckets
from scripts.replicated import Deployment

FLOODER = "198.51.100.7"
PEOPLE = ["203.0.113.11", "203.0.113.12", "203.0.113.13", "203.0.113.14"]
QUESTIONS = ["why was I called back?", "what is a cyst?", "does a biopsy hurt?", "how long until results?",
             "what are calcifications?", "can I bring someone?"]


def test_a_bucket_lets_a_burst_through_then_one_request_per_interval():
    bucket = TokenBuckets(Rate.parse("3/minute"))
    assert [bucket.take("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take("a", now=0.0) == pytest.approx(20.0)
    assert bucket.take("b", now=0.0) == 0.0, "another key has its own bucket"
    assert bucket.take("a", now=20.0) == 0.0


def test_a_forwarded_address_counts_only_from_a_trusted_proxy():
    limits = RateLimits(Rate.parse("1/second"), Rate.parse("1/second"), trusted_proxies="127.0.0.1, 10.0.0.0/8")
    assert limits.client_address("127.0.0.1", "203.0.113.5") == "203.0.113.5"
    assert limits.client_address("127.0.0.1", "198.51.100.1, 203.0.113.5, 10.1.2.3") == "203.0.113.5"
    assert limits.client_address("192.0.2.9", "203.0.113.5") == "192.0.2.9", "anyone else cannot choose an address"
    assert limits.client_address("127.0.0.1", None) == "127.0.0.1"


@pytest.fixture(scope="module")
def limited(trained_model, tmp_path_factory):
    running = Assistant(tmp_path_factory.mktemp("limited"), trained_model, extra_env={
        "CC_RATE_PER_CLIENT": "60/minute", "CC_RATE_PER_CONVERSATION": "12/minute", "CC_TRUSTED_PROXIES": "127.0.0.1"})
    yield running
    running.stop()


def post(assistant, client: str, sender: str, text: str, session=requests) -> requests.Response:
    return session.post(f"{assistant.url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                        headers={"X-Forwarded-For": client}, timeout=30)



@pytest.mark.slow
def test_too_many_messages_in_one_conversation_are_refused_with_retry_after(limited):
    sender = f"limit-{uuid.uuid4().hex[:8]}"
    replies = [post(limited, "203.0.113.99", sender, "hello") for _ in range(14)]
    assert [r.status_code for r in replies[:12]] == [200] * 12
    refused = replies[12]
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["retry_after"] == int(refused.headers["Retry-After"])
    assert "error" in refused.json()
    chat = requests.post(f"{limited.url}/webhooks/webchat/message", headers={"X-Forwarded-For": "203.0.113.98"},
                         json={"conversation": uuid.uuid4().hex, "message": "hello"}, timeout=30)
    assert chat.status_code == 200, "another conversation from another client is served"


def run_people(assistant, turns: int, latencies: List[float], failures: List[str]) -> None:
    def person(client: str) -> None:
        sender = f"person-{uuid.uuid4().hex[:8]}"
        with requests.Session() as session:
            for turn in range(turns):
                started = time.perf_counter()
                reply = post(assistant, client, sender, QUESTIONS[turn % len(QUESTIONS)], session)
                latencies.append(time.perf_counter() - started)
                if reply.status_code != 200 or not reply.json():
                    failures.append(f"{client} turn {turn}: {reply.status_code}")
                time.sleep(0.2)  # a fast typist

    threads = [threading.Thread(target=person, args=(client,)) for client in PEOPLE]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


@pytest.mark.slow
def test_a_flooding_client_gets_429s_and_the_others_are_served_as_before(limited):
    turns = 8
    quiet: List[float] = []
    failures: List[str] = []
    run_people(limited, turns, quiet, failures)

    statuses: List[int] = []
    stop = threading.Event()
    flood_started = time.monotonic()

    def flood() -> None:
        with requests.Session() as session:
            deadline = time.monotonic() + 60
            while not stop.is_set() and time.monotonic() < deadline:
                statuses.append(post(limited, FLOODER, f"flood-{len(statuses) % 50}", "hello", session).status_code)

    flooder = threading.Thread(target=flood)
    flooder.start()
    time.sleep(1.0)
    flooded: List[float] = []
    try:
        run_people(limited, turns, flooded, failures)
    finally:
        stop.set()
        flooder.join(timeout=30)

    assert failures == [], "no turn of the four conversations is lost"
    assert len(quiet) == len(flooded) == turns * len(PEOPLE)
    flood_seconds = time.monotonic() - flood_started
    # 60 at once, then one a second
    assert statuses.count(429) > 100 and statuses.count(200) <= 60 + flood_seconds + 1, f"{len(statuses)} flood requests"
    p95 = lambda values: statistics.quantiles(values, n=20)[-1]  # noqa: E731
    assert p95(flooded) <= 3 * p95(quiet), f"p95 {p95(flooded) * 1000:.0f} ms with the flood, {p95(quiet) * 1000:.0f} ms without"


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (make system-packages)")
def test_the_replicated_deployment_limits_each_client_in_nginx(tmp_path):
    deployment = Deployment(base=tmp_path, env={"CC_NGINX_CLIENT_RATE": "5r/s", "CC_NGINX_CLIENT_BURST": "30"})
    deployment.logs.mkdir(parents=True)
    (tmp_path / "nginx-tmp").mkdir()
    deployment._write_nginx_conf()
    conf = deployment.nginx_conf.read_text()
    assert "limit_req_zone $binary_remote_addr zone=clients:10m rate=5r/s;" in conf
    assert "limit_req zone=clients burst=30 nodelay;" in conf and "add_header Retry-After" in conf
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf, "the replicas see the client, not a forged header"
    checked = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(deployment.nginx_conf),
                              "-e", str(deployment.logs / "nginx-error.log")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
