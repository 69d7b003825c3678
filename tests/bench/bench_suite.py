"""Benchmark: the test suite's wall clock and CPU, whole and as the quick loop; into BENCHMARKS.md.

    python tests/bench/bench_suite.py [--runs N] [--busy-cores N] [--write BENCHMARKS.md]

Each run is a fresh `python -m pytest -q -p no:cacheprovider` in the repository, as README's test
command (the one CI runs) starts it: `-n auto` from pyproject's addopts. Three selections: the
whole suite, the quick loop (`-m "not slow and not live"`), and the whole suite again while
`--busy-cores` processes spin (the flakiness check issue 14 asks for: any failed run is
listed). Figures are the median of the runs with min-max, wall clock and CPU (user + system of
pytest and everything it started); the CPU divided by the CPUs is the wall clock's floor. The
machine is shared: its load average is printed beside the figures. Exits 1 when a run fails.
Target (issue 14): the suite ≤ 45 s on 2 CPUs.
"""

from __future__ import annotations

import argparse
import multiprocessing
import multiprocessing.synchronize
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sections import write_section

ROOT = Path(__file__).resolve().parents[2]
TARGET_S = 45.0
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
#: The machine's 1-minute load average as each run started (the machine is shared).
LOADS: list[float] = []
#: The quick loop README documents.
QUICK = ["-m", "not slow and not live"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(extra: list[str]) -> tuple[float, float, str, int]:
    """(wall s, CPU s, pytest's closing line, exit status) of one fresh pytest run."""
    cpu, started = _children_cpu(), time.monotonic()
    # Wide lines: pytest cuts a failure's summary line at the terminal width (80 in a pipe).
    done = subprocess.run([*PYTEST, *extra], capture_output=True, text=True, check=False,
                          cwd=ROOT, env={**os.environ, "COLUMNS": "400"})
    wall = time.monotonic() - started
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    closing = (re.sub(r"=+", "", lines[-1]).strip() if lines
               else f"no output (exit {done.returncode})")
    failed = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
    if failed:
        closing += " — " + "; ".join(line[:300] for line in failed[:5])
    return wall, _children_cpu() - cpu, closing, done.returncode


def _spin(stop: multiprocessing.synchronize.Event) -> None:  # a busy core
    while not stop.is_set():
        sum(range(10_000))


def measure(extra: list[str], runs: int, busy: int) -> tuple[list[float], list[float], list[str]]:
    """Walls, CPUs and the closing line of every failed run, over `runs` runs."""
    stop = multiprocessing.Event()
    spinners = [multiprocessing.Process(target=_spin, args=(stop,), daemon=True)
                for _ in range(busy)]
    for spinner in spinners:
        spinner.start()
    walls, cpus, failures = [], [], []
    try:
        for index in range(runs):
            LOADS.append(os.getloadavg()[0])
            wall, cpu, closing, status = one_run(extra)
            print(f"  run {index + 1}: {wall:.1f} s wall, {cpu:.1f} s CPU, load average "
                  f"{LOADS[-1]:.1f} before: {closing}", flush=True)
            walls.append(wall)
            cpus.append(cpu)
            if status != 0:
                failures.append(f"run {index + 1}: {closing}")
    finally:
        stop.set()
        for spinner in spinners:
            spinner.join()
    return walls, cpus, failures


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} s | {min(values):.1f}–{max(values):.1f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--busy-cores", type=int, default=1,
                        help="busy processes during the third selection (0: skip it)")
    parser.add_argument("--write", type=Path, help="update this Markdown file's section")
    args = parser.parse_args()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    selections = [("whole suite", [], 0), ("quick loop, `-m \"not slow and not live\"`", QUICK, 0)]
    if args.busy_cores:
        selections.append((f"whole suite, {args.busy_cores} busy core(s) beside it", [],
                           args.busy_cores))
    load_before = os.getloadavg()[0]
    rows, failures = [], []
    for label, extra, busy in selections:
        print(label, flush=True)
        walls, cpu, failed = measure(extra, args.runs, busy)
        met = "-" if extra else ("yes" if statistics.median(walls) <= TARGET_S else "no")
        floor = statistics.median(cpu) / (cpus or 1)
        rows.append(f"| {label} | {spread(walls)} | {spread(cpu)} | {floor:.1f} s | "
                    f"{len(walls)} | {len(failed)} | {met} |")
        failures += [f"{label}, {line}" for line in failed]
    wordpress = "set" if os.environ.get("SELFTEST_WP_PATH") else "unset (the default path)"
    body = "\n".join([
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.platform()}, Python "
        f"{platform.python_version()}; {cpus} CPUs, shared (load average {load_before:.1f} "
        f"before, {min(LOADS):.1f}–{max(LOADS):.1f} as the runs started, "
        f"{os.getloadavg()[0]:.1f} after: other work was running); `python "
        f"tests/bench/bench_suite.py --runs {args.runs} --busy-cores {args.busy_cores}`. Each run "
        "is a fresh `python -m pytest -q -p no:cacheprovider` (`-n auto`: 3 workers per CPU, "
        f"tests/conftest.py); SELFTEST_WP_PATH: {wordpress}. CPU is user + system of pytest and "
        "all it started; CPU / CPUs is the floor no scheduling can go below.", "",
        f"| selection | median wall | min–max | median CPU | min–max | CPU / {cpus} CPUs | runs | "
        f"failed runs | ≤ {TARGET_S:g} s |",
        "|---|---|---|---|---|---|---|---|---|", *rows, "",
        "Failed runs: " + ("; ".join(failures) if failures else "none."),
    ])
    if args.write:
        write_section(args.write, "suite", "test suite", body)
    print(body)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
