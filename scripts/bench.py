"""`make bench`: training time, start-up, latency, throughput and memory, ours vs Rasa's default pipeline.

For each configuration (ours: config.yml; Rasa's default: config.default.yml's
pipeline with the policies Rasa 3.6 ships as its default) this trains a model
with `rasa train --force` into build/bench/<name>/ and starts its action
server and Rasa server as `make run` does (one configuration at a time, timed
to ready). With both up, it drives closed-loop conversations over the REST
webhook at 1, 8 and 32 concurrent conversations, alternating configurations
level by level so each ratio compares figures taken under the same machine
load (the idle one uses no CPU), runs one long conversation on each, and
reads the servers' memory. Writes reports/bench.md and
reports/bench.json and prints the ratios.

    .venv/bin/python scripts/bench.py [--configs ours,default] [--skip-train] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Dict

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import load, report, servers  # noqa: E402  (scripts/bench/)

ROOT = servers.ROOT
BUILD = ROOT / "build" / "bench"
REPORT_MD = ROOT / "reports" / "bench.md"
REPORT_JSON = ROOT / "reports" / "bench.json"
RASA_DEFAULT = Path(__import__("rasa").__file__).parent / "engine" / "recipes" / "config_files" / "default_config.yml"

SEED = 20241121
LEVELS = (1, 8, 32)


def default_config(notes: list) -> Path:
    """build/bench/config.default.yml: config.default.yml's pipeline with Rasa 3.6's default policies.

    Rasa's shipped default (the file `rasa init`'s empty config falls back to) has
    MemoizationPolicy, RulePolicy, UnexpecTEDIntentPolicy and TEDPolicy; those run
    our rules and custom actions unchanged.
    """
    shipped = yaml.safe_load(RASA_DEFAULT.read_text())
    ours = ROOT / "config.default.yml"
    config = dict(shipped)
    if ours.exists():
        given = yaml.safe_load(ours.read_text())
        config.update({k: given[k] for k in ("assistant_id", "language", "pipeline") if k in given})
        if given.get("policies") != shipped["policies"]:
            notes.append("config.default.yml's policies differ from Rasa 3.6's shipped default "
                         f"({RASA_DEFAULT.name}); the benchmark uses the shipped ones: "
                         + ", ".join(p["name"] for p in shipped["policies"]) + ".")
        if given.get("pipeline") != shipped["pipeline"]:
            notes.append("config.default.yml's pipeline differs from Rasa's shipped default; the benchmark uses config.default.yml's.")
    else:
        notes.append("config.default.yml not found: used Rasa 3.6's shipped default config.")
    BUILD.mkdir(parents=True, exist_ok=True)
    path = BUILD / "config.default.yml"
    path.write_text("# Written by scripts/bench.py: Rasa 3.6's default pipeline and policies.\n"
                    + yaml.safe_dump(config, sort_keys=False))
    return path


def bench_one(name: str, config: Path, args, settings: Dict) -> Dict:
    workdir = BUILD / name
    run: Dict = {"config": str(config.relative_to(ROOT)), "load_average": {}}
    run["load_average"]["train"] = report.load_average()
    model = servers.model_path(workdir, name)
    if args.skip_train and model.exists():
        run["train_seconds"] = None
        print(f"[{name}] training skipped (--skip-train)", flush=True)
    else:
        print(f"[{name}] training {config.relative_to(ROOT)} ...", flush=True)
        try:
            run["train_seconds"] = round(servers.train(config, workdir, name), 1)
        except Exception as problem:
            run["failure"] = f"training failed: {problem!r}; see {workdir / 'train.log'}"
            print(f"[{name}] {run['failure']}", flush=True)
            return run
        print(f"[{name}] trained in {run['train_seconds']} s", flush=True)
    return run


def start_and_wait(name: str, run: Dict) -> "servers.Servers":
    """Starts one configuration's servers and times them to ready (one at a time: nothing else loads)."""
    workdir = BUILD / name
    run["load_average"]["serve"] = report.load_average()
    running = servers.Servers(workdir, servers.model_path(workdir, name))
    try:
        run["ready_seconds"] = round(running.wait_ready(), 1)
    except Exception:
        running.stop()
        raise
    print(f"[{name}] ready in {run['ready_seconds']} s", flush=True)
    run["memory_at_ready"] = running.memory()
    run["levels"] = {}
    return running


def load_phases(running: Dict[str, "servers.Servers"], runs: Dict[str, Dict], settings: Dict) -> None:
    """Each load level for each configuration in turn, so a ratio compares figures taken minutes apart at most."""
    for concurrency in settings["levels"]:
        for name, server in running.items():
            result = asyncio.run(load.run_level(
                server.url, concurrency, settings["max_turns"], settings["max_seconds"],
                max(settings["warmup_turns"], 2 * concurrency), settings["seed"], name))
            result["load_average"] = report.load_average()
            runs[name]["levels"][str(concurrency)] = result
            print(f"[{name}] {concurrency:>2} conv.: {result['throughput_tps']} turns/s, p50 {result['p50_ms']} ms, "
                  f"p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, {result['turns']} turns, "
                  f"{result['errors']} errors", flush=True)
    for name, server in running.items():
        run = runs[name]
        run["long"] = asyncio.run(load.run_long(server.url, settings["long_turns"], settings["seed"], name))
        print(f"[{name}] long conversation: turns 5-15 {run['long']['early_median_ms']} ms, turns 195-205 "
              f"{run['long']['late_median_ms']} ms ({run['long']['late_over_early']}x), {run['long']['errors']} errors",
              flush=True)
    for name, server in running.items():
        runs[name]["memory"] = server.memory()
        print(f"[{name}] memory: rasa {runs[name]['memory']['rasa']['rss_mib']} MiB, "
              f"actions {runs[name]['memory']['actions']['rss_mib']} MiB", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="ours,default", help="comma-separated: ours, default")
    parser.add_argument("--skip-train", action="store_true", help="reuse models already in build/bench/")
    parser.add_argument("--quick", action="store_true", help="a short smoke run (not for the report)")
    args = parser.parse_args()

    notes: list = []
    configs = {"ours": ROOT / "config.yml", "default": default_config(notes)}
    names = [n.strip() for n in args.configs.split(",") if n.strip()]
    settings = {
        "seed": SEED, "levels": list(LEVELS), "warmup_turns": 10,
        "max_turns": 60 if args.quick else 400, "max_seconds": 10.0 if args.quick else 30.0,
        "long_turns": 210, "configs": {k: str(v.relative_to(ROOT)) for k, v in configs.items()},
    }
    started = time.monotonic()
    data: Dict = {"machine": report.machine(), "settings": settings, "runs": {}, "notes": notes}
    for name in names:  # train everything first, then serve one configuration at a time
        data["runs"][name] = bench_one(name, configs[name], args, settings)
    running: Dict[str, servers.Servers] = {}
    try:
        for name in names:
            if data["runs"][name].get("failure"):
                notes.append(f"{name}: {data['runs'][name]['failure']}")
                continue
            try:
                running[name] = start_and_wait(name, data["runs"][name])
            except Exception as problem:  # keep the other configuration's figures
                data["runs"][name]["failure"] = repr(problem)
                notes.append(f"{name}: the servers did not start: {problem!r}")
                print(f"[{name}] FAILED: {problem!r}", flush=True)
        if running:
            try:
                load_phases(running, data["runs"], settings)
            except Exception as problem:
                notes.append(f"the load phases stopped: {problem!r}")
                print(f"FAILED: {problem!r}", flush=True)
                for name in running:
                    data["runs"][name].setdefault("failure", repr(problem))
    finally:
        for server in running.values():
            server.stop()
    if "ours" in data["runs"] and "default" in data["runs"]:
        data["ratios"] = report.ratios(data["runs"]["ours"], data["runs"]["default"])
        data["targets"] = report.targets(data["runs"]["ours"], data["runs"]["default"])
    data["bench_seconds"] = round(time.monotonic() - started, 1)
    if args.quick:
        notes.append("--quick smoke run: too few turns for the figures to mean much.")
    if args.skip_train:
        notes.append("--skip-train: training times not measured in this run.")

    REPORT_JSON.parent.mkdir(parents=True, exist_ok=True)
    REPORT_JSON.write_text(json.dumps(data, indent=2) + "\n")
    REPORT_MD.write_text(report.markdown(data))
    print(f"\nwrote {REPORT_MD.relative_to(ROOT)} and {REPORT_JSON.relative_to(ROOT)} "
          f"({data['bench_seconds']:.0f} s)")
    for key, value in (data.get("ratios") or {}).items():
        print(f"ratio ours/default {key}: {value}")
    for t in data.get("targets", []):
        print(f"target {t['target']}: {t['value']} ({t['limit']}) -> {'n/a' if t['met'] is None else 'met' if t['met'] else 'NOT met'}")
    return 1 if any(run.get("failure") for run in data["runs"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
