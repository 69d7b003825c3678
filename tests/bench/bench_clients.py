"""Benchmark the customer's-stack clients: a whole `reproduce` through pycurl, PHP and WordPress
(run by `tox -e bench`, not by pytest).

For each client: wall time of replaying every scenario in one process (the median of N runs,
with min and max), how many were replayed and how many agree, and the time per replayed
scenario. PHP and WordPress start one `php` process per request, which dominates their figures.

    python tests/bench/bench_clients.py [--runs N] [--wp-path DIR] [--write BENCHMARKS.md]

`--write` replaces only the `<!-- section: clients -->` block of the given file.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sections import write_section

from selftest.clients import php
from selftest.clients.replay import php_replayer, wordpress_replayer
from selftest.runner import Result, Runner
from selftest.scenario import load_all

DEFAULT_WP = Path.home() / ".cache/selftest/wordpress/usr/share/wordpress"


Make = Callable[[Runner], Callable[[Any], Result]] | None


def _php_start_ms(executable: str, runs: int = 15) -> float:
    """Median wall time of `php -r ''`: the floor under every PHP replay."""
    times = []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run([executable, "-r", ""], check=True)
        times.append((time.monotonic() - started) * 1000)
    return statistics.median(times)


def _run(make: Make) -> tuple[float, list[Result]]:
    started = time.monotonic()
    with Runner() as runner:
        replay = runner.run if make is None else make(runner)
        results = [replay(item) for item in load_all()]
    return time.monotonic() - started, results


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
    clients: list[tuple[str, Make]] = [
        ("pycurl", None),
        ("PHP curl_*", lambda r: php_replayer(r).run),
        ("WordPress wp_remote_request", lambda r: wordpress_replayer(r, args.wp_path).run),
    ]
    rows = ["| client | replayed | agree | median s | min s | max s | ms per replayed |",
            "|---|---|---|---|---|---|---|"]
    for name, make in clients:
        times, results = [], []
        for _ in range(args.runs):
            elapsed, results = _run(make)
            times.append(elapsed)
        replayed = [r for r in results if r.verdict != "skip"]
        agree = sum(r.verdict == "pass" for r in replayed)
        median = statistics.median(times)
        rows.append(f"| {name} | {len(replayed)} | {agree} | {median:.1f} | {min(times):.1f} | "
                    f"{max(times):.1f} | {median * 1000 / max(1, len(replayed)):.0f} |")
        print(rows[-1])
    start_ms = _php_start_ms(build.php)
    body = (f"Every scenario replayed in one process, {args.runs} runs each; PHP "
            f"{build.php_version}, libcurl {build.libcurl} ({build.ssl}) for PHP and WordPress. "
            f"One `php` process per request: `php -r ''` alone takes {start_ms:.0f} ms here "
            "(median of 15), and WordPress loads its HTTP API files in each; Box sequences "
            "send several requests per scenario.\n\n" + "\n".join(rows) + "\n")
    if args.write:
        write_section(args.write, "clients", "Replaying through PHP and WordPress", body)


if __name__ == "__main__":
    main()
