"""How every script and test starts this project's servers: ports, environment, commands, endpoints and the process itself.

`make run` (scripts/run.sh), the tests, `make bench`, `make replicated` and
the container image (scripts/container.py) all start the same two programs the same way; only the endpoints differ (a local
SQLite store here, PostgreSQL and Redis in endpoints.production.yml).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import requests

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")
# Rasa's command line with the project's tuning applied first (companion/launcher.py)
LAUNCHER = [sys.executable, "-m", "companion.launcher"]
CREDENTIALS = ROOT / "credentials.yml"
HOST = "127.0.0.1"
ACTIONS_HEADER = "X-Actions-Secret"


# Rate limits high enough for the tests, the evaluation and the benchmark, which send many turns from one
# client on purpose (channels/rate_limits.py; the flood test sets its own).
GENEROUS_LIMITS = {"CC_RATE_PER_CLIENT": "100000/minute", "CC_RATE_PER_CONVERSATION": "100000/minute",
                   "CC_NGINX_CLIENT_RATE": "10000r/s", "CC_NGINX_CLIENT_BURST": "10000"}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def rasa_env(base: Optional[Mapping[str, str]] = None, **extra: str) -> Dict[str, str]:
    """The environment for a Rasa or action server started from this project: importable, quiet, no telemetry.

    Both servers get the same shared secret for action calls (a new random one unless CC_ACTIONS_SECRET is set).
    """
    env = dict(os.environ if base is None else base)
    env.setdefault("CC_ACTIONS_SECRET", secrets.token_hex(32))
    env.update(
        PYTHONPATH=str(ROOT),
        # TensorFlow's start-up chatter hides the lines that matter
        TF_CPP_MIN_LOG_LEVEL="3",
        RASA_TELEMETRY_ENABLED="false",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONWARNINGS="ignore",
    )
    env.update(extra)
    return env


def action_server_command(port: int, host: str = HOST) -> List[str]:
    """The action server (on 127.0.0.1 unless told), requiring CC_ACTIONS_SECRET on every call
    (companion/action_server.py)."""
    return [sys.executable, "-m", "companion.action_server", "--port", str(port), "--host", host]


def rasa_server_command(model: Path, endpoints: Path, port: int, *extra: str, interface: str = HOST) -> List[str]:
    return [*LAUNCHER, "run", "--model", str(model), "--endpoints", str(endpoints), "--credentials", str(CREDENTIALS),
            "--port", str(port), "--interface", interface, *extra]


def local_endpoints(actions_port: int, db: Path) -> Dict[str, Any]:
    """endpoints.yml for one server on this machine: its action server and its own SQLite conversation store."""
    return {
        # Rasa fills in the secret from its environment when it reads the file
        "action_endpoint": {"url": f"http://{HOST}:{actions_port}/webhook", "headers": {ACTIONS_HEADER: "${CC_ACTIONS_SECRET}"}},
        "tracker_store": {"type": "companion.tracker_store.PrivateSQLTrackerStore", "dialect": "sqlite", "db": str(db)},
    }


def spawn(command: List[str], env: Mapping[str, str], log: Path, append: bool = False,
          own_session: bool = False) -> subprocess.Popen:
    """Starts a server from the project folder, its output in `log`.

    `own_session`: Ctrl-C in the terminal reaches only the caller, which then
    stops its servers in order.
    """
    return subprocess.Popen(command, cwd=ROOT, env=dict(env), stdout=log.open("a" if append else "w"),
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=own_session)


def http_ok(url: str) -> bool:
    return requests.get(url, timeout=2).status_code == 200


def wait_until(check: Callable[[], Any], what: str, seconds: float,
               *watched: Tuple[subprocess.Popen, Optional[Path]]) -> float:
    """Polls `check` until it returns something true; the seconds waited.

    Fails, never hangs: when a watched (process, log) exits first (with the
    end of its log) or when `seconds` pass (with the last error `check` raised).
    """
    started = time.monotonic()
    last = None
    while time.monotonic() - started < seconds:
        for process, log in watched:
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
                raise RuntimeError(f"{what}: {process.args[:3]} exited with {process.returncode}:\n{tail}")
        try:
            if check():
                return time.monotonic() - started
        except Exception as error:  # not up yet: connection refused and the like
            last = error
        time.sleep(0.25)
    raise RuntimeError(f"{what} was not ready within {seconds:.0f} s (last error: {last})")
