"""Test harness: trains the model once per run and starts the real action server and Rasa server for the suite.

Tests talk to the assistant as a person's channel would: over HTTP. Each
server gets a free port, its own SQLite conversation store and handoff log
under a temporary folder, and test-only channel secrets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.processes import (  # noqa: E402
    GENEROUS_LIMITS,
    action_server_command,
    free_port,
    http_ok,
    local_endpoints,
    rasa_env,
    rasa_server_command,
    spawn,
    wait_until,
)

VENV_BIN = Path(sys.executable).parent
MODEL_DIR = ROOT / "build" / "test-model"
MODEL = MODEL_DIR / "callback-companion.tar.gz"
ARTIFACTS = ROOT / "test-artifacts"

# Secrets the channels verify requests with, for the test servers only.
TEST_SECRETS = {
    "CC_ID_SECRET": "test-id-secret",
    "CC_ACTIONS_SECRET": "test-actions-secret",
    "TWILIO_AUTH_TOKEN": "test-twilio-auth-token",
    "ALEXA_SKILL_ID": "amzn1.ask.skill.test-callback-companion",
}
# the tests compute conversation keys with the same secret as the servers
os.environ.update(TEST_SECRETS)
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")


def rest_conversation(sender: str) -> str:
    """The conversation id the REST channel gives Rasa for a client's "sender"."""
    from companion.privacy import conversation_key

    return conversation_key("rest", sender)


def stored_key(conversation_id: str) -> str:
    """The key the tracker store files a conversation under (and handoff records name)."""
    from companion.privacy import conversation_key

    return conversation_key(conversation_id)


# the suite talks to its servers from one address, far faster than people type


def base_env(**extra: str) -> Dict[str, str]:
    return rasa_env(**{**TEST_SECRETS, **GENEROUS_LIMITS, **extra})


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model, trained once per run (Rasa skips training when nothing changed)."""
    subprocess.run(
        [str(VENV_BIN / "rasa"), "train", "--fixed-model-name", "callback-companion", "--out", str(MODEL_DIR), "--quiet"],
        cwd=ROOT, env=base_env(), check=True, stdout=subprocess.DEVNULL,
    )
    assert MODEL.exists()
    return MODEL


class Assistant:
    """A running action server and Rasa server."""

    def __init__(self, workdir: Path, model: Path, extra_env: Optional[Dict[str, str]] = None,
                 extra_endpoints: Optional[Dict] = None) -> None:
        self.workdir = workdir
        self.db = workdir / "conversations.db"
        self.handoff_log = workdir / "handoffs.jsonl"
        self.port = free_port()
        self.actions_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs: List[Path] = []
        self.endpoints_file = workdir / "endpoints.yml"
        self.endpoints_file.write_text(yaml.safe_dump({**local_endpoints(self.actions_port, self.db), **(extra_endpoints or {})}))
        self.env = base_env(CC_HANDOFF_LOG=str(self.handoff_log), **(extra_env or {}))
        self.actions = self._start("actions", action_server_command(self.actions_port))
        self.rasa = self._start("rasa", rasa_server_command(model, self.endpoints_file, self.port))
        wait_until(lambda: http_ok(f"http://127.0.0.1:{self.actions_port}/health"), "the action server", 120,
                   (self.actions, self.workdir / "actions.log"))
        wait_until(lambda: http_ok(f"{self.url}/"), "Rasa", 120, (self.rasa, self.workdir / "rasa.log"))
        self._wait_until_model_loaded()

    def _start(self, name: str, command: List[str]) -> subprocess.Popen:
        log = self.workdir / f"{name}.log"
        self.logs.append(log)
        return spawn(command, self.env, log)

    def _wait_until_model_loaded(self) -> None:
        # the server answers only once the model is loaded; one real turn proves the whole path works
        replies = requests.post(f"{self.url}/webhooks/rest/webhook", json={"sender": "warm-up", "message": "hello"}, timeout=60)
        replies.raise_for_status()

    def rest(self, sender: str, message: str, **extra) -> List[Dict]:
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook", json={"sender": sender, "message": message, **extra}, timeout=30
        )
        response.raise_for_status()
        return response.json()

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def stop(self) -> None:
        for process in (self.rasa, self.actions):
            process.terminate()
        for process in (self.rasa, self.actions):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def assistant(trained_model, tmp_path_factory):
    running = Assistant(tmp_path_factory.mktemp("assistant"), trained_model)
    yield running
    running.stop()


class Replies:
    """What the assistant said in one turn, as the REST channel returns it."""

    def __init__(self, messages: List[Dict]) -> None:
        self.messages = messages
        self.texts = [m["text"] for m in messages if m.get("text")]
        self.customs = [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]
        self.buttons = [b for m in messages for b in m.get("buttons", [])]

    @property
    def custom(self) -> Dict:
        assert len(self.customs) == 1, f"expected one reply-contract object, got {self.customs}"
        return self.customs[0]

    @property
    def answer_id(self) -> str:
        return self.custom["answer_id"]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    def __repr__(self) -> str:
        return f"Replies({json.dumps(self.messages)[:600]})"


class Conversation:
    """One person talking to the assistant over REST: `say` a message, get the replies."""

    def __init__(self, assistant: Assistant, sender: Optional[str] = None) -> None:
        self.assistant = assistant
        self.sender = sender or f"test-{uuid.uuid4().hex[:12]}"

    def say(self, message: str) -> Replies:
        return Replies(self.assistant.rest(self.sender, message))


@pytest.fixture
def chat(assistant) -> Conversation:
    return Conversation(assistant)


@pytest.fixture
def new_chat(assistant):
    """A factory for further conversations in the same test."""
    return lambda sender=None: Conversation(assistant, sender)
