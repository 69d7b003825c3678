"""Benchmark the customer's-stack clients: a whole `reproduce` through pycurl, PHP and WordPress
(run by `tox -e bench`, not by pytest).

For each client: wall time and CPU of replaying every scenario in one process as `reproduce
--client NAME` does (side by side on the runner's default jobs; PHP and WordPress through their
long-lived php workers), the median of N runs with min and max, how many were replayed and how
many agree.

    python tests/bench/bench_clients.py [--runs N] [--wp-path DIR] [--write BENCHMARKS.md]

`--write` replaces only the `<!-- section: clients -->` block of the given file.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import subprocess
import time
from pathlib import Path

from sections import write_section

from selftest.clients import php
from selftest.clients.replay import replayer_for
from selftest.runner import Result, Runner
from selftest.scenario import load_all

DEFAULT_WP = Path.home() / ".cache/selftest/wordpress/usr/share/wordpress"


def _php_start_ms(executable: str, runs: int = 15) -> float:
    """Median wall time of `php -r ''`: what each request cost when it had a php of its own."""
    times = []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run([executable, "-r", ""], check=True)
        times.append((time.monotonic() - started) * 1000)
    return statistics.median(times)


def _cpu_s() -> float:
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                          resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _run(client: str, wp_path: str) -> tuple[float, float, list[Result]]:
    """(wall s, CPU s, results) of every scenario through `client`, as `reproduce` runs them."""
    started, cpu = time.monotonic(), _cpu_s()
    with Runner() as runner, contextlib.ExitStack() as stack:
        replay = runner.run if client == "pycurl" else stack.enter_context(
            replayer_for(client, runner, wp_path if client == "wordpress" else None)).run
        results = list(runner.run_all(load_all(), run=replay))
    return time.monotonic() - started, _cpu_s() - cpu, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--wp-path", default=str(DEFAULT_WP))
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    try:
        build = php.describe()
    except php.ClientMissing as exc:
        print(f"bench_clients: skipped, {exc}")
        return
    clients = [("pycurl", "pycurl"), ("PHP curl_*", "php"),
               ("WordPress wp_remote_request", "wordpress")]
    rows = ["| client | replayed | agree | median wall s | min–max s | median CPU s |",
            "|---|---|---|---|---|---|"]
    for name, client in clients:
        walls, cpus, results = [], [], []
        for _ in range(args.runs):
            wall, cpu, results = _run(client, args.wp_path)
            walls.append(wall)
            cpus.append(cpu)
        replayed = [r for r in results if r.verdict != "skip"]
        agree = sum(r.verdict == "pass" for r in replayed)
        rows.append(f"| {name} | {len(replayed)} | {agree} | {statistics.median(walls):.1f} | "
                    f"{min(walls):.1f}–{max(walls):.1f} | {statistics.median(cpus):.1f} |")
        print(rows[-1])
    start_ms = _php_start_ms(build.php)
    load = os.getloadavg()[0]
    body = (f"Every scenario replayed in one process as `reproduce --client NAME` runs them, "
            f"{args.runs} runs each (load average {load:.1f} after); PHP {build.php_version}, "
            f"libcurl {build.libcurl} ({build.ssl}) for PHP and WordPress. Long-lived php "
            f"workers answer the requests (`php -r ''` alone takes {start_ms:.0f} ms here, "
            "median of 15: what each request cost when it started a php of its own); CPU is "
            "user + system of the process and its children.\n\n" + "\n".join(rows) + "\n")
    if args.write:
        write_section(args.write, "clients", "Replaying through PHP and WordPress", body)


if __name__ == "__main__":
    main()
