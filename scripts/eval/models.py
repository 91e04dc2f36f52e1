"""Train Rasa NLU models (cached by the hash of everything that shapes them) and parse texts with them.

A model is retrained only when its config, training data, term lists, custom
components, spaCy pipeline or the Rasa version change; each model keeps the
training time measured when it was trained in a JSON file beside the archive.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "build" / "eval" / "models"

# Rasa's training cache stays off (models are cached here, whole) and out of the shared .rasa/.
os.environ.setdefault("RASA_MAX_CACHE_SIZE", "0")
os.environ.setdefault("RASA_CACHE_DIRECTORY", str(ROOT / "build" / "eval" / "rasa-cache"))
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

SHAPING_FILES = [
    "content/terms.yml",
    "content/safety.yml",
    "content/es/safety.yml",
    "companion/terms.py",
    "companion/safety.py",
    "companion/nlu/term_normalizer.py",
    "companion/nlu/logistic_regression.py",
    "companion/nlu/linear_svm.py",
    "companion/nlu/domain_detector.py",
    "companion/nlu/safety_classifier.py",
    "build/spacy-en-callback/meta.json",
    "build/spacy-en-callback/entity_ruler/patterns.jsonl",
]


def fingerprint(config: Path, data: Path) -> str:
    """A hash of what shapes a model: config, data, Rasa version and, if the config uses them, the
    project's spaCy pipeline, term lists and custom components."""
    import rasa

    text = config.read_text()
    shaping = SHAPING_FILES if ("SpacyNLP" in text or "companion." in text) else []
    extra = [ROOT / "scripts" / "eval" / "candidates.py"] if "scripts.eval." in text else []
    digest = hashlib.sha256(rasa.__version__.encode())
    for path in [config, data] + [ROOT / p for p in shaping] + extra:
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()[:12]


@dataclass
class TrainedModel:
    name: str
    path: Path
    train_seconds: float
    cached: bool


def _cached(name: str, key: str) -> Optional[TrainedModel]:
    archive, meta = MODELS / f"{name}-{key}.tar.gz", MODELS / f"{name}-{key}.json"
    if archive.exists() and meta.exists():
        return TrainedModel(name, archive, json.loads(meta.read_text())["train_seconds"], True)
    return None


def _store(name: str, key: str, seconds: float) -> TrainedModel:
    for old in MODELS.glob(f"{name}-*.*"):  # keep one version per name
        if key not in old.name:
            old.unlink()
    (MODELS / f"{name}-{key}.json").write_text(json.dumps({"train_seconds": round(seconds, 1)}))
    return TrainedModel(name, MODELS / f"{name}-{key}.tar.gz", seconds, False)


def safe_name(name: str) -> str:
    """Rasa cuts a model name at its first dot, so none are kept."""
    return name.replace(".", "-")


def train(name: str, config: Path, data: Path, retrain: bool = False) -> TrainedModel:
    """Train an NLU-only model in this process (or reuse the cached one)."""
    name, key = safe_name(name), fingerprint(config, data)
    if not retrain and (model := _cached(name, key)):
        return model
    from rasa.model_training import train_nlu

    MODELS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    result = train_nlu(str(config), str(data), str(MODELS), fixed_model_name=f"{name}-{key}")
    if not result:
        raise RuntimeError(f"training {name} with {config} failed")
    model = _store(name, key, time.monotonic() - started)
    if not model.path.is_file():
        raise RuntimeError(f"training {name} wrote {result}, not {model.path}")
    return model


class BackgroundTraining:
    """`rasa train nlu` in a subprocess, for a slow model trained while other work runs."""

    def __init__(self, name: str, config: Path, data: Path, log: Path, retrain: bool = False) -> None:
        self.name, self.key = safe_name(name), fingerprint(config, data)
        self.model = None if retrain else _cached(name, self.key)
        self.process = None
        if self.model is None:
            MODELS.mkdir(parents=True, exist_ok=True)
            log.parent.mkdir(parents=True, exist_ok=True)
            self.started = time.monotonic()
            command = [
                str(Path(sys.executable).parent / "rasa"), "train", "nlu", "--config", str(config), "--nlu", str(data),
                "--out", str(MODELS), "--fixed-model-name", f"{self.name}-{self.key}", "--quiet",
            ]
            # one TensorFlow thread: the other core stays free for the work done meanwhile
            env = dict(os.environ, TF_INTRA_OP_PARALLELISM_THREADS="1", TF_INTER_OP_PARALLELISM_THREADS="1",
                       PYTHONPATH=str(ROOT))
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
            self.log = log
            self.ended: Optional[float] = None
            threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        self.process.wait()
        self.ended = time.monotonic()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self) -> TrainedModel:
        if self.model is None:
            if self.process.wait() != 0:
                raise RuntimeError(f"training {self.name} failed; see {self.log}")
            while self.ended is None:
                time.sleep(0.05)
            self.model = _store(self.name, self.key, self.ended - self.started)
        return self.model


class Parser:
    """A loaded model: `parse(texts)` gives Rasa's parse results."""

    def __init__(self, model_path: Path) -> None:
        from rasa.core.agent import Agent
        from rasa.utils.log_utils import configure_structlog

        configure_structlog(logging.WARNING)  # no debug line per parsed message
        logging.getLogger("rasa").setLevel(logging.WARNING)
        if not Path(model_path).is_file():  # Rasa would quietly load the newest model in the folder instead
            raise FileNotFoundError(model_path)
        started = time.monotonic()
        self.agent = Agent.load(str(model_path))
        self.load_seconds = time.monotonic() - started

    def parse(self, texts: Sequence[str]) -> List[Dict]:
        async def run() -> List[Dict]:
            return [await self.agent.parse_message(text) for text in texts]

        return asyncio.run(run())
