"""Benchmark: `selftest reproduce --layer curl`, run N times; results into BENCHMARKS.md.

Not collected by pytest (the name does not start with test_). Run it with `tox -e bench` or
`python tests/bench/bench_reproduce.py [--runs N] [--target-s S]`. Each run is a fresh process,
as a user or CI runs it; per-scenario figures are the medians of the runner's own durations.
Exits 1 when the median wall-clock time exceeds the target (10 s for the whole curl layer).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- section: reproduce -->", "<!-- /section: reproduce -->"


def one_run() -> tuple[float, dict[str, float], dict[str, int]]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "selftest", "reproduce", "--layer", "curl",
                           "--json"], capture_output=True, text=True, check=False, cwd=ROOT)
    wall = time.monotonic() - started
    results = json.loads(done.stdout)["results"]
    verdicts = {v: sum(r["verdict"] == v for r in results) for v in ("pass", "fail", "skip")}
    return wall, {r["scenario"]: r["duration_ms"] for r in results}, verdicts


def section(walls: list[float], per: dict[str, list[float]], verdicts: dict[str, int],
            target_s: float) -> str:
    medians = sorted(((statistics.median(v), k) for k, v in per.items()), reverse=True)
    ran = [m for m, _ in medians if m > 0]
    lines = [
        BEGIN, "## reproduce --layer curl", "",
        f"`python tests/bench/bench_reproduce.py` ({len(walls)} runs, one fresh process each; "
        f"Python {platform.python_version()}, {platform.machine()}).", "",
        "| figure | value |", "|---|---|",
        f"| wall clock, median of runs | {statistics.median(walls):.2f} s "
        f"(target ≤ {target_s:g} s) |",
        f"| wall clock, each run | {', '.join(f'{w:.2f} s' for w in walls)} |",
        f"| scenarios | {sum(verdicts.values())} ({verdicts['pass']} pass, "
        f"{verdicts['fail']} fail, {verdicts['skip']} skip) |",
        f"| per-scenario duration, median over scenarios that ran | "
        f"{statistics.median(ran):.1f} ms |",
        f"| sum of per-scenario medians | {sum(m for m, _ in medians) / 1000:.2f} s |", "",
        "Slowest scenarios (median ms): " +
        ", ".join(f"`{k}` {m:.0f}" for m, k in medians[:6]) + ".", END,
    ]
    return "\n".join(lines)


def write(text: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if pattern.search(current):
        updated = pattern.sub(lambda _: text, current)
    else:
        updated = current.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(updated, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--target-s", type=float, default=10.0)
    args = parser.parse_args()
    walls: list[float] = []
    per: dict[str, list[float]] = {}
    verdicts: dict[str, int] = {}
    for _ in range(args.runs):
        wall, durations, verdicts = one_run()
        walls.append(wall)
        for name, ms in durations.items():
            per.setdefault(name, []).append(ms)
    text = section(walls, per, verdicts, args.target_s)
    write(text)
    print(text)
    return 0 if statistics.median(walls) <= args.target_s and not verdicts["fail"] else 1


if __name__ == "__main__":
    sys.exit(main())
