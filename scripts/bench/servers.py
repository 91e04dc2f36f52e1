"""Training a model and starting the action server and Rasa server as `make run` does (scripts/run.sh).

Each configuration gets its own folder under build/bench/<name>/: the model,
an endpoints file pointing at a fresh SQLite conversation store and at the
action server's port, the handoff log, and the two servers' logs. Ports are
free ports on 127.0.0.1.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from scripts.processes import (  # noqa: E402
    GENEROUS_LIMITS,
    RASA,
    action_server_command,
    free_port,
    local_endpoints,
    rasa_env,
    rasa_server_command,
    spawn,
    wait_until,
)



def bench_env(workdir: Path) -> Dict[str, str]:
    return rasa_env(
        **GENEROUS_LIMITS,
        # a bench-only secret and handoff log: nothing touches the developer's store or log
        CC_ID_SECRET="bench-id-secret",
        CC_HANDOFF_LOG=str(workdir / "handoffs.jsonl"),
    )


def train(config: Path, workdir: Path, name: str) -> float:
    """Trains with --force (no fingerprint skip, no cache) and returns the wall-clock seconds."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = [
        RASA, "train", "--config", str(config), "--domain", "domain.yml", "--data", "data",
        "--out", str(workdir), "--fixed-model-name", name, "--force", "--quiet",
    ]
    with (workdir / "train.log").open("w") as log:
        started = time.monotonic()
        subprocess.run(command, cwd=ROOT, env=bench_env(workdir), stdout=log, stderr=subprocess.STDOUT, check=True)
        return time.monotonic() - started


def model_path(workdir: Path, name: str) -> Path:
    return workdir / f"{name}.tar.gz"


class Servers:
    """The action server and the Rasa server of one configuration, started together."""

    def __init__(self, workdir: Path, model: Path, extra_rasa_args: Optional[List[str]] = None) -> None:
        self.workdir = workdir
        self.db = workdir / "conversations.db"
        for stale in workdir.glob("conversations.db*"):
            stale.unlink()
        self.port = free_port()
        self.actions_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.endpoints = workdir / "endpoints.yml"
        self.endpoints.write_text(yaml.safe_dump(local_endpoints(self.actions_port, self.db)))
        env = bench_env(workdir)
        self.started = time.monotonic()
        self.actions = spawn(action_server_command(self.actions_port), env, workdir / "actions.log")
        self.rasa = spawn(rasa_server_command(model, self.endpoints, self.port, "--cors", "*", *(extra_rasa_args or [])),
                          env, workdir / "rasa.log")

    def wait_ready(self, seconds: float = 300) -> float:
        """Seconds from process start to the first good REST reply to "hello"."""
        def answers_hello() -> bool:
            reply = requests.post(f"{self.url}/webhooks/rest/webhook",
                                  json={"sender": "bench-ready", "message": "hello"}, timeout=10)
            return reply.status_code == 200 and any(
                isinstance(m.get("custom"), dict) and m["custom"].get("answer_id")
                and m["custom"].get("reason") != "service_trouble"
                for m in reply.json()
            )

        wait_until(answers_hello, "Rasa", seconds - (time.monotonic() - self.started),
                   (self.actions, self.workdir / "actions.log"), (self.rasa, self.workdir / "rasa.log"))
        return time.monotonic() - self.started

    def memory(self) -> Dict[str, Dict[str, float]]:
        return {"rasa": tree_memory(self.rasa.pid), "actions": tree_memory(self.actions.pid)}

    def stop(self) -> None:
        for process in (self.rasa, self.actions):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (self.rasa, self.actions):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _children(pid: int) -> List[int]:
    found: List[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            pass
    return found


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory(pid: int) -> Dict[str, float]:
    """VmRSS (and VmHWM, the peak) of a process and all its descendants, in MiB."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(_children(current))
    return {
        "rss_mib": round(sum(_status_kib(p, "VmRSS") for p in pids) / 1024, 1),
        "peak_rss_mib": round(sum(_status_kib(p, "VmHWM") for p in pids) / 1024, 1),
        "processes": len(pids),
    }
