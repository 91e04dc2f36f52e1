"""Where a turn's time goes in the Rasa server: phase timers and cProfile under closed-loop load.

    .venv/bin/python scripts/bench/profile_turns.py [--model build/bench/ours/ours.tar.gz]
        [--levels 1,8] [--turns 300] [--long 210] [--out build/bench/profile]

Starts the action server, and the Rasa server through this script (`--serve`),
which wraps the methods a turn passes through (NLU, policies, tracker store
retrieve/save on SQLite, tracker copies, the action server call and the
tracker JSON it sends) with wall-clock timers, then runs `rasa run`
unchanged. SIGUSR1 resets the timers and starts cProfile; SIGUSR2 stops and
writes them. The driver runs each load level between the two signals, reads
both servers' CPU time from /proc, and prints ms per turn for each phase.
Not part of `make bench`: a tool for deciding what to change.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import inspect
import json
import os
import signal
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

TIMERS: Dict[str, List[float]] = defaultdict(lambda: [0, 0.0, 0.0])  # calls, wall seconds, max
PAYLOAD: List[int] = []


def _record(label: str, seconds: float) -> None:
    t = TIMERS[label]
    t[0] += 1
    t[1] += seconds
    t[2] = max(t[2], seconds)


def wrap(owner, name: str, label: str, after=None) -> None:
    """Times `owner.name` (function, coroutine function, classmethod or staticmethod) under `label`."""
    raw = owner.__dict__.get(name)
    if raw is None:  # inherited: wrap the one the class would use
        raw = getattr(owner, name)
    kind = type(raw)
    fn = raw.__func__ if isinstance(raw, (classmethod, staticmethod)) else raw

    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                result = await fn(*args, **kwargs)
            finally:
                _record(label, time.perf_counter() - started)
            if after:
                after(result)
            return result
    else:
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                result = fn(*args, **kwargs)
            finally:
                _record(label, time.perf_counter() - started)
            if after:
                after(result)
            return result

    setattr(owner, name, kind(timed) if kind in (classmethod, staticmethod) else timed)


def _payload_size(body) -> None:
    if len(PAYLOAD) % 5 == 0:  # sampled: the size, not the cost, is what matters here
        PAYLOAD.append(len(json.dumps(body)))
    else:
        PAYLOAD.append(-1)


def instrument() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    import channels.common as channel_common
    import companion.tracker_store as store

    wrap(channel_common, "run_turn", "channel turn (replay lookup + the turn + checks)")
    wrap(Agent, "handle_message", "turn (Agent.handle_message, incl. lock)")
    wrap(MessageProcessor, "handle_message", "turn inside the lock (processor.handle_message)")
    wrap(MessageProcessor, "fetch_tracker_and_update_session", "fetch tracker + session check")
    wrap(SQLTrackerStore, "_retrieve", "store: retrieve (SQL + json + replay)")
    wrap(DialogueStateTracker, "from_dict", "store: retrieve, tracker replay (from_dict)")
    wrap(store.PrivateSQLTrackerStore, "save", "store: save (redact + insert + commit)")
    wrap(SQLTrackerStore, "_additional_events", "store: save, count query (a tracker the store did not read)")
    wrap(store.PrivateSQLTrackerStore, "replies_to", "channel: replay lookup (store.replies_to)")
    wrap(store.PrivateSQLTrackerStore, "may_be_paused", "channel: paused? (store.may_be_paused)")
    wrap(store, "redact_event", "store: save, redact_event")
    wrap(MessageProcessor, "parse_message", "NLU: parse_message")
    wrap(MessageProcessor, "_run_prediction_loop", "prediction loop (policies and actions)")
    wrap(MessageProcessor, "run_action_extract_slots", "action_extract_slots")
    wrap(MessageProcessor, "_predict_next_with_tracker", "policies: predict (all policies)")
    wrap(MessageProcessor, "_run_action", "actions: _run_action (all, incl. listen)")
    wrap(RemoteAction, "_action_call_format", "action call: tracker JSON (current_state ALL)", _payload_size)
    wrap(EndpointConfig, "request", "action call: HTTP to action server (new session each)")
    wrap(DialogueStateTracker, "copy", "tracker.copy (replays all events)")
    wrap(DialogueStateTracker, "past_states", "tracker.past_states (featurising history)")
    wrap(MessageProcessor, "run_anonymization_pipeline", "anonymization pipeline")
    custom = os.environ.get("BENCH_STORE", "")
    if custom and custom != "companion.tracker_store.PrivateSQLTrackerStore":
        import importlib

        module, name = custom.rsplit(".", 1)
        cls = getattr(importlib.import_module(module), name)
        if "_retrieve" in cls.__dict__:
            wrap(cls, "_retrieve", "store: retrieve (SQL + json + replay)")
        if "save" in cls.__dict__:
            wrap(cls, "save", "store: save (redact + insert + commit)")


def serve(rasa_args: List[str], out: Path) -> None:
    import cProfile

    instrument()
    state = {"profiler": None, "label": "", "started": 0.0}

    def start(signum, frame):
        TIMERS.clear()
        PAYLOAD.clear()
        state["label"] = (out / "label").read_text().strip() if (out / "label").exists() else "run"
        if os.environ.get("BENCH_CPROFILE") == "1":
            state["profiler"] = cProfile.Profile()
            state["profiler"].enable()
        state["started"] = time.perf_counter()

    def stop(signum, frame):
        profiler = state["profiler"]
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(out / f"{state['label']}.prof"))
        sizes = [p for p in PAYLOAD if p >= 0]
        (out / f"{state['label']}.timers.json").write_text(json.dumps({
            "seconds": time.perf_counter() - state["started"],
            "timers": {k: {"calls": v[0], "seconds": v[1], "max": v[2]} for k, v in TIMERS.items()},
            "action_payload_bytes": {"mean": sum(sizes) / len(sizes) if sizes else None,
                                     "max": max(sizes) if sizes else None},
        }, indent=1))
        state["profiler"] = None

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    if os.environ.get("BENCH_PATCH"):  # a prototype change, from a copy under build/
        import runpy

        runpy.run_path(os.environ["BENCH_PATCH"], run_name="bench_patch")
    from companion import launcher

    launcher.main(["run", *rasa_args])  # with the tuning and redaction every server of the project runs with


def signal_and_wait(process, signum: int, url: str, done: Path = None) -> None:
    """Sends a signal and pokes the server until it has run the handler.

    uvloop runs Python signal handlers only when the loop wakes up, so an
    idle server needs a request to notice.
    """
    import requests

    if done is not None and done.exists():
        done.unlink()
    process.send_signal(signum)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=5)
        except requests.RequestException:
            pass
        if done is None or done.exists():
            return
        time.sleep(0.2)
    raise RuntimeError(f"the server did not write {done}")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its children so far (seconds)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drive(args) -> None:
    import subprocess

    import yaml

    from bench import load, servers

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    env = servers.bench_env(out)
    env["PYTHONPATH"] = ":".join(filter(None, [str(servers.ROOT), str(HERE.parent), args.pythonpath]))
    env["BENCH_CPROFILE"] = "1" if args.cprofile else "0"
    env["BENCH_STORE"] = args.store
    if args.patch:
        env["BENCH_PATCH"] = str(Path(args.patch).resolve())
    for stale in out.glob("conversations.db*"):
        stale.unlink()
    port, actions_port = servers.free_port(), servers.free_port()
    endpoints = out / "endpoints.yml"
    settings = servers.local_endpoints(actions_port, out / "conversations.db")
    settings["tracker_store"]["type"] = args.store
    endpoints.write_text(yaml.safe_dump(settings))
    actions = servers.spawn(servers.action_server_command(actions_port), env, out / "actions.log")
    # the Rasa server runs through this script (--serve), which instruments it and then runs `rasa run`
    serve_command = servers.rasa_server_command(Path(args.model), endpoints, port, *args.rasa_args)
    rasa_args = serve_command[serve_command.index("run") + 1:]
    rasa = servers.spawn([sys.executable, __file__, "--serve", "--out", str(out), "--", *rasa_args],
                         env, out / "rasa.log")
    url = f"http://127.0.0.1:{port}"

    class Handle:  # enough of servers.Servers for wait_ready
        pass

    handle = Handle()
    handle.__dict__.update(started=time.monotonic(), actions=actions, rasa=rasa, url=url, workdir=out)
    summary = {}
    try:
        print(f"ready in {servers.Servers.wait_ready(handle):.1f} s", flush=True)
        asyncio.run(load.run_level(url, 4, 40, 10, 0, 7, "warm"))  # warm caches before measuring
        phases = [(f"c{c}", c) for c in args.levels] + ([("long", 0)] if args.long else [])
        for label, concurrency in phases:
            (out / "label").write_text(label)
            cpu_before = (cpu_seconds(rasa.pid), cpu_seconds(actions.pid))
            if concurrency:
                signal_and_wait(rasa, signal.SIGUSR1, url)
                result = asyncio.run(load.run_level(url, concurrency, args.turns, 60, 0, 11, f"prof{label}"))
                turns = result["turns"]
            else:
                # a long conversation; timers cover its last 20 turns (turns 191-210)
                result = asyncio.run(_long(url, args.long, rasa, actions))
                cpu_before = result["cpu_before"]
                turns = 20
            signal_and_wait(rasa, signal.SIGUSR2, url, out / f"{label}.timers.json")
            cpu_after = (cpu_seconds(rasa.pid), cpu_seconds(actions.pid))
            timers = json.loads((out / f"{label}.timers.json").read_text())
            summary[label] = {
                "turns": turns,
                "client": {k: result.get(k) for k in ("throughput_tps", "p50_ms", "p95_ms", "errors", "early_p50_ms") if k in result},
                "rasa_cpu_ms_per_turn": round((cpu_after[0] - cpu_before[0]) * 1000 / turns, 1),
                "actions_cpu_ms_per_turn": round((cpu_after[1] - cpu_before[1]) * 1000 / turns, 1),
                "action_payload_bytes": timers["action_payload_bytes"],
                "ms_per_turn": {k: round(v["seconds"] * 1000 / turns, 2) for k, v in
                                sorted(timers["timers"].items(), key=lambda kv: -kv[1]["seconds"])},
                "calls_per_turn": {k: round(v["calls"] / turns, 2) for k, v in timers["timers"].items()},
            }
            print_phase(label, summary[label])
    finally:
        for process in (rasa, actions):
            process.send_signal(signal.SIGTERM)
        for process in (rasa, actions):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(f"\nwrote {out}/summary.json and {out}/<phase>.prof (python -m pstats)")
    if args.report:
        Path(args.report).write_text(markdown(summary, args))
        print(f"wrote {args.report}")


def markdown(summary: Dict, args) -> str:
    """The phase timings as a report: client figures, CPU per turn, and ms per turn in each phase."""
    import platform

    lines = [
        "# Where a turn's time goes in the Rasa server",
        "",
        f"Generated by `.venv/bin/python scripts/bench/profile_turns.py --report ...` on "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"model {args.model}, store {args.store}{', with cProfile' if args.cprofile else ''}.",
        "Closed-loop REST conversations as in `make bench`. Phases nest (a turn contains its NLU, policies, "
        "store and action call), so the column does not add up. CPU time is read from /proc for each process.",
        "",
    ]
    for label, s in summary.items():
        client = s["client"]
        lines += [
            f"## {label}: {s['turns']} turns",
            "",
            f"- client: {client.get('throughput_tps')} turns/s, p50 {client.get('p50_ms')} ms, "
            f"p95 {client.get('p95_ms')} ms, errors {client.get('errors')}",
            f"- CPU per turn: Rasa server {s['rasa_cpu_ms_per_turn']} ms, action server {s['actions_cpu_ms_per_turn']} ms",
            "",
            "| phase | ms per turn | calls per turn |",
            "|---|---:|---:|",
        ]
        lines += [f"| {name} | {ms} | {s['calls_per_turn'][name]} |" for name, ms in s["ms_per_turn"].items()]
        lines.append("")
    return "\n".join(lines)


async def _long(url: str, turns: int, rasa, actions) -> Dict:
    import random

    import aiohttp

    from bench import load
    from bench.conversations import long_conversation

    messages = long_conversation(random.Random("profile-long"), turns)
    ms = []
    async with aiohttp.ClientSession() as session:
        for number, message in enumerate(messages, start=1):
            if number == turns - 19:
                cpu_before = (cpu_seconds(rasa.pid), cpu_seconds(actions.pid))
                rasa.send_signal(signal.SIGUSR1)
                await session.get(url)  # wakes the loop so the handler runs before the turn
            turn = await load.send(session, url, "profile-long", message)
            ms.append(turn.seconds * 1000)
    return {"cpu_before": cpu_before, "p50_ms": round(load.percentile(ms[-20:], 50), 1), "errors": 0, "throughput_tps": None,
            "p95_ms": round(load.percentile(ms[-20:], 95), 1), "early_p50_ms": round(load.percentile(ms[4:15], 50), 1)}


def print_phase(label: str, s: Dict) -> None:
    print(f"\n== {label}: {s['turns']} turns, client {s['client']}")
    print(f"   CPU per turn: rasa {s['rasa_cpu_ms_per_turn']} ms, action server {s['actions_cpu_ms_per_turn']} ms; "
          f"action payload {s['action_payload_bytes']}")
    for name, ms in s["ms_per_turn"].items():
        print(f"   {ms:9.2f} ms/turn  {s['calls_per_turn'][name]:5.2f} calls/turn  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", default="build/bench/ours/ours.tar.gz")
    parser.add_argument("--levels", default="1,8", type=lambda s: [int(x) for x in s.split(",") if x])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--long", type=int, default=210, help="turns of the long conversation (0: none)")
    parser.add_argument("--cprofile", action="store_true", help="also run cProfile (slows the turn ~2x)")
    parser.add_argument("--patch", help="a Python file run in the server before start: a prototype change")
    parser.add_argument("--store", default="companion.tracker_store.PrivateSQLTrackerStore",
                        help="tracker store class (a prototype under build/ with --pythonpath)")
    parser.add_argument("--pythonpath", default="", help="extra PYTHONPATH entry for prototypes")
    parser.add_argument("--out", default=str(HERE.parents[1] / "build" / "bench" / "profile"))
    parser.add_argument("--report", help="also write the figures as markdown here (e.g. reports/profile.md)")
    parser.add_argument("rasa_args", nargs="*", help="after --: extra `rasa run` arguments")
    args = parser.parse_args()
    if args.serve:
        serve(args.rasa_args, Path(args.out))
    else:
        drive(args)


if __name__ == "__main__":
    main()
