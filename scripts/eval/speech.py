"""Spoken robustness: synthetic callers' speech, sox to 16 kHz mono 16-bit, PocketSphinx transcripts, word error rate.

The callers are VOICES: espeak-ng's formant voice and Flite's voices built from
recorded speakers (CMU ARCTIC: a US woman, a US man, a Scottish man, and a
diphone US man). Wavs and transcripts are cached under build/eval/speech/, keyed
by a hash of the text (and, for transcripts, of the voice and the recogniser's
language model and dictionary), so reruns only do new work. Decoding runs in a
small pool of worker processes, each with its own Decoder.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import subprocess
import tempfile
import time
import wave
from pathlib import Path
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[2]
SPEECH = ROOT / "build" / "eval" / "speech"
WAVS = SPEECH / "wav"
TO_16K = ("-r", "16000", "-c", "1", "-b", "16")  # sox: what the recogniser's acoustic model expects


@dataclass(frozen=True)
class Voice:
    """A synthetic caller: a command that writes TEXT's speech to the wav file OUT."""

    name: str
    command: Tuple[str, ...]
    description: str

    @property
    def wavs(self) -> Path:
        return WAVS / self.name

    def synthesis(self) -> str:
        return " ".join(self.command).replace("{out}", "x.wav").replace("{text}", "TEXT") + \
            "; sox x.wav " + " ".join(TO_16K) + " y.wav"


def _flite(voice: str, who: str) -> Voice:
    return Voice(f"flite-{voice}", ("flite", "-voice", voice, "-t", "{text}", "-o", "{out}"), f"Flite {voice} ({who})")


VOICES: Tuple[Voice, ...] = (
    Voice("espeak-ng", ("espeak-ng", "-v", "en-us", "-s", "150", "-w", "{out}", "{text}"),
          "espeak-ng en-us (formant synthesis, no recorded speaker)"),
    _flite("slt", "a US woman's recordings"),
    _flite("rms", "a US man's recordings"),
    _flite("awb", "a Scottish man's recordings"),
    _flite("kal16", "a US man's diphones"),
)
ESPEAK = VOICES[0]

_decoder = None


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def synthesize(text: str, voice: Voice = ESPEAK) -> Path:
    """The text as 16 kHz mono 16-bit speech in the voice (cached)."""
    out = voice.wavs / f"{text_key(text)}.wav"
    if not out.exists():
        voice.wavs.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            raw, converted = Path(tmp) / "voice.wav", Path(tmp) / "16k.wav"
            spoken = text if not text.startswith("-") else " " + text
            command = [part.replace("{out}", str(raw)).replace("{text}", spoken) for part in voice.command]
            subprocess.run(command, check=True, capture_output=True)
            subprocess.run(["sox", str(raw), *TO_16K, str(converted)], check=True, capture_output=True)
            converted.replace(out)
    return out


def _init_worker(decoder_config: Dict) -> None:
    global _decoder
    from pocketsphinx import Decoder

    _decoder = Decoder(loglevel="FATAL", **decoder_config)


def _transcribe(job: Tuple[str, Voice]) -> Tuple[str, str]:
    text, voice = job
    with wave.open(str(synthesize(text, voice)), "rb") as audio:
        frames = audio.readframes(audio.getnframes())
    _decoder.start_utt()
    _decoder.process_raw(frames, full_utt=True)
    _decoder.end_utt()
    hypothesis = _decoder.hyp()
    return text, (hypothesis.hypstr if hypothesis else "")


class Recogniser:
    """PocketSphinx with a given language model and dictionary (None: the packaged English ones), hearing one voice."""

    def __init__(self, name: str, lm: Optional[Path] = None, dictionary: Optional[Path] = None,
                 voice: Voice = ESPEAK) -> None:
        self.name, self.voice = name, voice
        self.config: Dict[str, str] = {}
        digest = hashlib.sha1(b"pocketsphinx-5 default")
        digest.update(voice.name.encode())
        for key, path in (("lm", lm), ("dict", dictionary)):
            if path is not None:
                self.config[key] = str(path)
                digest.update(key.encode() + path.read_bytes())
        self.cache_file = SPEECH / f"transcripts-{name}-{voice.name}-{digest.hexdigest()[:10]}.json"

    def transcribe(self, texts: Sequence[str], workers: int = 2) -> Dict[str, str]:
        """Transcripts for the texts; the cached ones are not decoded again."""
        cache: Dict[str, str] = json.loads(self.cache_file.read_text()) if self.cache_file.exists() else {}
        todo = sorted({t for t in texts if text_key(t) not in cache})
        started = time.monotonic()
        if todo:
            context = multiprocessing.get_context("spawn")  # no fork of a process that holds TensorFlow
            SPEECH.mkdir(parents=True, exist_ok=True)
            with context.Pool(workers, initializer=_init_worker, initargs=(self.config,)) as pool:
                for n, (text, transcript) in enumerate(pool.imap_unordered(_transcribe, [(t, self.voice) for t in todo], chunksize=2), 1):
                    cache[text_key(text)] = transcript
                    if n % 50 == 0:  # an interrupted run keeps what it did
                        self._save(cache)
            self._save(cache)
            costs = self.costs()
            costs["utterances"] += len(todo)
            costs["seconds"] = round(costs["seconds"] + time.monotonic() - started, 1)
            self.cache_file.with_suffix(".cost.json").write_text(json.dumps(costs))
        self.decoded = len(todo)
        return {t: cache[text_key(t)] for t in texts}

    def costs(self) -> Dict[str, float]:
        """Wall time spent synthesising and decoding what the cache holds (when it was done)."""
        path = self.cache_file.with_suffix(".cost.json")
        return json.loads(path.read_text()) if path.exists() else {"utterances": 0, "seconds": 0.0}

    def _save(self, cache: Dict[str, str]) -> None:
        partial = self.cache_file.with_suffix(".tmp")
        partial.write_text(json.dumps(cache, indent=0, sort_keys=True))
        partial.replace(self.cache_file)


def word_errors(reference: List[str], hypothesis: List[str]) -> int:
    """Levenshtein distance over words (substitutions + deletions + insertions)."""
    previous = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, 1):
        current = [i]
        for j, h in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def word_error_rate(references: Sequence[List[str]], hypotheses: Sequence[List[str]]) -> float:
    errors = sum(word_errors(r, h) for r, h in zip(references, hypotheses))
    words = sum(len(r) for r in references)
    return round(errors / words, 4) if words else 0.0
