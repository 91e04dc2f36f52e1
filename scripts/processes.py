"""What every script and test that starts Rasa processes shares: a free loopback port and the processes' environment."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Dict, Mapping, Optional

ROOT = Path(__file__).resolve().parent.parent


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def rasa_env(base: Optional[Mapping[str, str]] = None, **extra: str) -> Dict[str, str]:
    """The environment for a Rasa or action server started from this project: importable, quiet, no telemetry."""
    env = dict(os.environ if base is None else base)
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
