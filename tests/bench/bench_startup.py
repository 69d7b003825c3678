"""Benchmark start-up: each command as a fresh process (run by `tox -e bench`, not by pytest).

Wall time of `selftest ARGS` from spawn to exit, the median of N runs with min and max, against
issue 14's targets (`--help` <= 150 ms, `explain` and `catalog` <= 200 ms). Python's own start-up
(`python -c pass`) is the floor.

Runs as on an ordinary host: bytecode writing on (PYTHONDONTWRITEBYTECODE is removed from the
children's environment; some sandboxes set it, which makes every run compile every module and
parse the catalog again), after one unmeasured run that writes the .pyc files and the
catalog's JSON copy (selftest/tomlcache.py), as a host's first run does.

    python tests/bench/bench_startup.py [--runs N] [--write BENCHMARKS.md]

`--write` replaces only the text between `<!-- section: startup -->` and
`<!-- /section: startup -->` in the given file (creating the section if missing).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sections import write_section

#: (what is run, its arguments, target in ms or None).
COMMANDS: list[tuple[str, list[str], float | None]] = [
    ("python -c pass", [sys.executable, "-c", "pass"], None),
    ("selftest --help", ["--help"], 150),
    ("selftest --version", ["--version"], 150),
    ("selftest explain 60", ["explain", "60"], 200),
    ("selftest explain 'cURL error 28: ...'",
     ["explain", "cURL error 28: Operation timed out after 30001 milliseconds"], 200),
    ("selftest explain --json 409 body",
     ["explain", "--json", '{"type":"error","status":409,"code":"item_name_in_use"}'], 200),
    ("selftest catalog", ["catalog"], 200),
    ("selftest catalog --json", ["catalog", "--json"], None),
    ("selftest preflight --help", ["preflight", "--help"], None),
    ("selftest reproduce --help", ["reproduce", "--help"], None),
    ("selftest serve --help", ["serve", "--help"], None),
]


def selftest_command() -> list[str]:
    """The installed `selftest` script next to this Python, else `python -m selftest`."""
    script = Path(sys.executable).with_name("selftest")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "selftest"]


#: The children's environment: bytecode writing on, as on an ordinary host.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: list[str]) -> float:
    """Wall seconds of one run; its output is discarded, a failure stops the benchmark."""
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False,
                          env=_ENV)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv}: exit {done.returncode}: {done.stderr.decode()[-300:]}")
    return took


def report(runs: int) -> str:
    base = selftest_command()
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.platform()}, Python "
        f"{platform.python_version()}; {os.cpu_count()} CPUs (shared: other work was running); "
        f"`python tests/bench/bench_startup.py --runs {runs}`. Each run is a fresh process, "
        "spawn to exit; output discarded; bytecode writing on, after one unmeasured run.",
        "",
        "| command | target | median | min–max | runs | met |",
        "|---|---|---|---|---|---|",
    ]
    for label, args, target in COMMANDS:
        argv = args if label.startswith("python") else [*base, *args]
        timed(argv)  # writes .pyc files and the catalog's copy, warms the page cache; not counted
        ms = [timed(argv) * 1000 for _ in range(runs)]
        median = statistics.median(ms)
        goal = f"<= {target:.0f} ms" if target else "-"
        met = ("yes" if median <= target else "NO") if target else "-"
        lines.append(f"| `{label}` | {goal} | {median:.0f} ms | {min(ms):.0f}–{max(ms):.0f} ms "
                     f"| {runs} | {met} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", type=Path, help="update the start-up section of this file")
    args = parser.parse_args()
    body = report(args.runs)
    print(body)
    if args.write:
        write_section(args.write, "startup", "start-up", body)


if __name__ == "__main__":
    main()
