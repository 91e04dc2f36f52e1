"""Two commits' `make bench` figures, each from several runs taken in turn: is the difference bigger than the noise?

    .venv/bin/python scripts/bench/compare_runs.py --before b1.json b2.json ... --after a1.json a2.json ...

Each file is a `reports/bench.json` written by `scripts/bench.py --configs ours` (add `--skip-train` to
serve a model already built). Run the two commits alternately, with the order flipped every other pair,
because this kind of machine is up to 30% faster at one hour than another. Prints a markdown table: the
mean and spread of each figure for each commit, the ratio of the means, and a 95% interval for that
ratio from Welch's t-test. A figure is "within noise" when that interval contains 1.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from scipy import stats

Figure = Callable[[Dict], Optional[float]]


def _level(concurrency: str, key: str) -> Figure:
    return lambda run: run["levels"].get(concurrency, {}).get(key)


FIGURES: List[Tuple[str, Figure]] = [
    ("ready after start (s)", lambda run: run.get("ready_seconds")),
    *[(f"{c} conv.: {label}", _level(c, key))
      for c in ("1", "8", "32")
      for label, key in (("throughput (turns/s)", "throughput_tps"), ("p50 (ms)", "p50_ms"), ("p95 (ms)", "p95_ms"))],
    ("long conversation: turns 195-205 median (ms)", lambda run: run["long"].get("late_median_ms")),
    ("rasa server RSS (MiB)", lambda run: run["memory"]["rasa"]["rss_mib"]),
]


def ours(path: Path) -> Dict:
    return json.loads(path.read_text())["runs"]["ours"]


def ratio_interval(before: List[float], after: List[float]) -> Tuple[float, float, float]:
    """The ratio of the means, and a 95% interval for it (Welch's interval for the difference, over the before mean)."""
    mean_before = statistics.mean(before)
    ratio = statistics.mean(after) / mean_before
    if len(before) < 2 or len(after) < 2:
        return ratio, float("nan"), float("nan")
    var_a, var_b = statistics.variance(after) / len(after), statistics.variance(before) / len(before)
    spread = (var_a + var_b) ** 0.5
    if spread == 0:
        return ratio, ratio, ratio
    freedom = (var_a + var_b) ** 2 / (var_a ** 2 / (len(after) - 1) + var_b ** 2 / (len(before) - 1))
    half = stats.t.ppf(0.975, freedom) * spread
    difference = statistics.mean(after) - mean_before
    return ratio, 1 + (difference - half) / mean_before, 1 + (difference + half) / mean_before


def table(before: List[Dict], after: List[Dict]) -> str:
    lines = [
        f"| | before ({len(before)} runs): mean (min-max) | after ({len(after)} runs): mean (min-max) "
        "| after / before | 95% interval | within noise |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for label, figure in FIGURES:
        b = [v for v in map(figure, before) if v is not None]
        a = [v for v in map(figure, after) if v is not None]
        if not a or not b:
            continue
        ratio, low, high = ratio_interval(b, a)
        within = "?" if math.isnan(low) else "yes" if low <= 1 <= high else "no"
        lines.append(
            f"| {label} | {statistics.mean(b):.1f} ({min(b):.1f}-{max(b):.1f}) "
            f"| {statistics.mean(a):.1f} ({min(a):.1f}-{max(a):.1f}) | {ratio:.2f} | {low:.2f}-{high:.2f} | {within} |")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", nargs="+", type=Path, required=True)
    parser.add_argument("--after", nargs="+", type=Path, required=True)
    args = parser.parse_args(argv)
    print(table([ours(p) for p in args.before], [ours(p) for p in args.after]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
