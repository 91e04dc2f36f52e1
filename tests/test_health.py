"""GET /webhooks/health/ tells a balancer whether this server can answer people (the faults are in test_faults.py)."""

import pytest
import requests

from channels.health import action_health_url


def test_a_server_with_everything_up_is_ready(assistant):
    reply = requests.get(f"{assistant.url}/webhooks/health/", timeout=10)
    assert reply.status_code == 200
    assert reply.json() == {
        "status": "ok",
        "checks": {"model": "ok", "conversation_store": "ok", "lock_store": "ok", "action_server": "ok"},
    }


@pytest.mark.parametrize("webhook, health", [
    ("http://127.0.0.1:5055/webhook", "http://127.0.0.1:5055/health"),
    ("http://actions:5055/webhook/", "http://actions:5055/health"),
    ("https://clinic.example/assistant/actions/webhook", "https://clinic.example/assistant/actions/health"),
    ("http://actions:5055", "http://actions:5055/health"),
])
def test_the_action_servers_health_is_found_next_to_its_webhook(webhook, health):
    assert action_health_url(webhook) == health
