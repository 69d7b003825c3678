"""Benchmark: `selftest reproduce` (all, and per layer), its exit on SIGTERM; into BENCHMARKS.md.

Not collected by pytest (the name does not start with test_). Run it with `tox -e bench` or `python
tests/bench/bench_reproduce.py [--runs N]`. Each run is a fresh process, as a user or CI runs it.
Figures are the median of the runs with min-max; the load average of the machine is printed beside
them (the bench machine is shared). Targets (issue 14): all scenarios ≤ 3 s, the curl layer ≤ 1.5 s
(the test suite's target is bench_suite.py's). `--jobs 1` (one scenario at a time, as before the
parallel runner) is measured for comparison. CPU is the user+system time of the run and its
children (a C compiler, a child Python): with one interpreter lock, a run whose CPU nears its wall
is bound by computing, not by waiting. Groups start longest first by the durations earlier runs
recorded (selftest/durations.py), as for a user who runs it again. Exits 1 when a target is missed
or a scenario fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sections import write_section

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
#: (label, extra arguments, target in s or None)
SELECTIONS: list[tuple[str, list[str], float | None]] = [
    ("all", [], 3.0), ("all, `--jobs 1`", ["--jobs", "1"], None),
    ("`--layer curl`", ["--layer", "curl"], 1.5), ("`--layer http`", ["--layer", "http"], None),
    ("`--layer box`", ["--layer", "box"], None), ("`--layer oauth`", ["--layer", "oauth"], None),
    ("`--layer plugin`", ["--layer", "plugin"], None),
]


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def one_run(extra: list[str]) -> tuple[float, float, dict[str, int]]:
    """(wall s, CPU s, verdict counts) of one fresh `selftest reproduce` process."""
    cpu, started = _children_cpu(), time.monotonic()
    done = subprocess.run([sys.executable, "-m", "selftest", "reproduce", "--json", *extra],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    wall, cpu = time.monotonic() - started, _children_cpu() - cpu
    results = json.loads(done.stdout)["results"]
    return wall, cpu, {v: sum(r["verdict"] == v for r in results)
                       for v in ("pass", "fail", "skip")}


def sigterm_exit() -> tuple[float, int, int]:
    """(seconds from SIGTERM to exit, exit status, entries left) for reproduce --layer box."""
    from signalling import interrupt, selftest_argv

    with tempfile.TemporaryDirectory() as folder:
        done = interrupt(selftest_argv("reproduce", "--layer", "box"), signal.SIGTERM,
                         Path(folder) / "tmp", cwd=ROOT)
    return done.exit_s, done.returncode, len(done.left)


def spread(values: list[float]) -> str:
    return (f"{statistics.median(values):.2f} s | {min(values):.2f}–{max(values):.2f} s "
            f"| {len(values)}")


def row(label: str, walls: list[float], cpus: list[float], target: float | None,
        verdicts: dict[str, int]) -> str:
    met = "-" if target is None else ("yes" if statistics.median(walls) <= target else "no")
    goal = "-" if target is None else f"≤ {target:g} s"
    count = f"{sum(verdicts.values())} ({verdicts['pass']} pass, {verdicts['fail']} fail, " \
            f"{verdicts['skip']} skip)"
    return (f"| {label} | {goal} | {spread(walls)} | {statistics.median(cpus):.2f} s | {met} "
            f"| {count} |")


def section(rows: list[str], exits: list[tuple[float, int, int]],
            load: tuple[float, float]) -> str:
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.platform()}, Python "
        f"{platform.python_version()}; {os.cpu_count()} CPUs, shared (load average "
        f"{load[0]:.1f} before, {load[1]:.1f} after: other work was running); "
        "`python tests/bench/bench_reproduce.py`. Each run is a fresh process; scenarios of "
        "different servers run side by side (`--jobs 4`, the default), the longest groups "
        "first by the durations earlier runs recorded. CPU is user+system time of the run and "
        "its children: near the wall figure, a run is bound by computing (one interpreter "
        "lock), not by waiting.", "",
        "| selection | target | median | min–max | runs | CPU (median) | met | scenarios |",
        "|---|---|---|---|---|---|---|---|", *rows, "",
        "| SIGTERM during `reproduce --layer box` | median | min–max | runs | exit status | "
        "temporary entries left |", "|---|---|---|---|---|---|",
        f"| time from the signal to exit | {spread([e[0] for e in exits])} | "
        f"{', '.join(sorted({str(e[1]) for e in exits}))} | {sum(e[2] for e in exits)} |",
        "", "The signal comes as the first fake Box starts; the scenarios running then finish "
        "first. The longest start first (box-name-temporarily-reserved holds a name for 500 "
        "ms), so what is running then is one of the long ones (0.25 s when groups started "
        "by size, before 2026-12-02).",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rows, ok = [], True
    for label, extra, target in SELECTIONS:
        walls, cpus, verdicts = [], [], {}
        for _ in range(args.runs):
            wall, cpu, verdicts = one_run(extra)
            walls.append(wall)
            cpus.append(cpu)
            ok = ok and not verdicts["fail"]
        rows.append(row(label, walls, cpus, target, verdicts))
        ok = ok and (target is None or statistics.median(walls) <= target)
    exits = [sigterm_exit() for _ in range(args.runs)]
    text = section(rows, exits, (load_before, os.getloadavg()[0]))
    if not args.no_write:
        write_section(ROOT / "BENCHMARKS.md", "reproduce", "reproduce", text)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
