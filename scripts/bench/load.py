"""The load driver: closed-loop conversations over the REST webhook with asyncio and aiohttp.

One coroutine per concurrent conversation; each sends its next message only
after the reply to the previous one (closed loop) and starts a new
conversation (a new sender) when one ends. Each level has a warm-up of a
few turns, excluded from the figures. Every reply is checked: HTTP 200, a
non-empty list, a `custom` object with `answer_id`, and not the channel's
"service trouble" apology; anything else counts as an error.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from typing import Dict, List, Optional

import aiohttp

from bench.conversations import conversation, long_conversation

TURN_TIMEOUT = 30.0


@dataclass
class Turn:
    started: float
    seconds: float
    error: Optional[str]
    answer_id: Optional[str]


def check(status: int, body) -> tuple:
    """(error or None, answer_id or None) for one REST reply."""
    if status != 200:
        return f"http {status}", None
    if not isinstance(body, list) or not body:
        return "empty reply", None
    customs = [m["custom"] for m in body if isinstance(m, dict) and isinstance(m.get("custom"), dict)]
    ids = [c.get("answer_id") for c in customs if c.get("answer_id")]
    if not ids:
        return "no custom.answer_id", None
    if any(c.get("reason") == "service_trouble" for c in customs):
        return "service trouble apology", ids[0]
    if not any(m.get("text") for m in body if isinstance(m, dict)):
        return "no text", ids[0]
    return None, ids[-1]


async def send(session: aiohttp.ClientSession, url: str, sender: str, message: str) -> Turn:
    """One turn, with a fresh message id as the chat page sends (the server looks for a replay of it)."""
    started = time.perf_counter()
    body = {"sender": sender, "message": message, "message_id": uuid.uuid4().hex}
    try:
        async with session.post(f"{url}/webhooks/rest/webhook", json=body) as reply:
            body = await reply.json(content_type=None)
            error, answer_id = check(reply.status, body)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as problem:
        error, answer_id = f"{type(problem).__name__}", None
    return Turn(started, time.perf_counter() - started, error, answer_id)


def percentile(values: List[float], p: float) -> Optional[float]:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


def summarise(turns: List[Turn], window: float) -> Dict:
    ms = [t.seconds * 1000 for t in turns]
    errors: Dict[str, int] = {}
    for t in turns:
        if t.error:
            errors[t.error] = errors.get(t.error, 0) + 1
    return {
        "turns": len(turns),
        "seconds": round(window, 2),
        "throughput_tps": round(len(turns) / window, 2) if window > 0 else None,
        "p50_ms": _r(percentile(ms, 50)),
        "p95_ms": _r(percentile(ms, 95)),
        "p99_ms": _r(percentile(ms, 99)),
        "max_ms": _r(max(ms) if ms else None),
        "errors": sum(errors.values()),
        "error_kinds": errors,
    }


def _r(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value, 1)


async def run_level(url: str, concurrency: int, max_turns: int, max_seconds: float, warmup_turns: int,
                    seed: int, label: str) -> Dict:
    """Closed-loop load at `concurrency` conversations; figures exclude the warm-up turns."""
    state = {"done": 0, "measure_from": None, "issued": 0, "stop": False}
    measured: List[Turn] = []
    answers: Dict[str, int] = {}

    async def person(index: int, session: aiohttp.ClientSession) -> None:
        rng = random.Random(f"{seed}-{label}-{concurrency}-{index}")
        number = 0
        while not state["stop"]:
            number += 1
            sender = f"bench-{label}-c{concurrency}-p{index}-{number}"
            for message in conversation(rng):
                if state["stop"]:
                    return
                measuring = state["measure_from"] is not None
                if measuring:
                    state["issued"] += 1
                    if state["issued"] > max_turns or time.perf_counter() - state["measure_from"] > max_seconds:
                        state["stop"] = True
                        return
                turn = await send(session, url, sender, message)
                state["done"] += 1
                if measuring:
                    measured.append(turn)
                    answers[turn.answer_id or "-"] = answers.get(turn.answer_id or "-", 0) + 1
                elif state["done"] >= warmup_turns and state["measure_from"] is None:
                    state["measure_from"] = time.perf_counter()

    timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(person(i, session) for i in range(concurrency)))
    window = max(t.started + t.seconds for t in measured) - state["measure_from"] if measured else 0.0
    result = summarise(measured, window)
    result.update(concurrency=concurrency, warmup_turns=warmup_turns, answer_ids=dict(sorted(answers.items())))
    return result


async def run_long(url: str, turns: int, seed: int, label: str, early=(5, 15), late=(195, 205)) -> Dict:
    """One conversation of `turns` messages, sent one after another under one sender."""
    messages = long_conversation(random.Random(f"{seed}-{label}-long"), turns)
    sender = f"bench-{label}-long"
    results: List[Turn] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT)) as session:
        for message in messages:
            results.append(await send(session, url, sender, message))
    ms = [t.seconds * 1000 for t in results]

    def median(first: int, last: int) -> Optional[float]:
        return _r(percentile(ms[first - 1:last], 50))  # turn numbers count from 1

    early_ms, late_ms = median(*early), median(*late)
    return {
        "turns": len(results),
        "early_turns": list(early),
        "late_turns": list(late),
        "early_median_ms": early_ms,
        "late_median_ms": late_ms,
        "late_over_early": round(late_ms / early_ms, 2) if early_ms and late_ms else None,
        "errors": sum(1 for t in results if t.error),
        "latency_ms_by_turn": [round(x, 1) for x in ms],
    }
