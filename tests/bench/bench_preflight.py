"""Benchmark `selftest preflight` against the fake Box (run by `tox -e bench`, not by pytest).

Two figures, each against its target:

1. Concurrency: with 200 ms injected latency per request on the fake, the whole preflight's wall
   time divided by its slowest single check (target <= 1.3: the checks overlap, they do not add).
2. Clock precision: the clock check's error against a fake whose clock is offset by a known,
   fractional amount, on loopback (target <= 25 ms, using <= 8 requests).

    python tests/bench/bench_preflight.py [--runs N] [--write BENCHMARKS.md]

`--write` replaces only the text between `<!-- section: preflight -->` and
`<!-- /section: preflight -->` in the given file (creating the section if missing).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from pathlib import Path

from sections import write_section

from selftest import preflight
from selftest.checks.probes.context import Context, Options
from selftest.fakebox.server import RunningBox, running
from selftest.transport import libcurl_version

LATENCY_MS = 200


def options(box: RunningBox) -> Options:
    return Options(api_base=box.url, upload_base=box.upload_url, custom_bases=True,
                   cacert=box.ca, token=box.token, backup_size=100 * 1024**2, timeout_s=30)


def concurrency(runs: int, only: tuple[str, ...] = ()) -> list[tuple[float, float, str]]:
    """(wall s, slowest check s, its name) per run, with LATENCY_MS on every fake request."""
    out = []
    with running(tls=True, latency_ms=LATENCY_MS) as box:
        for _ in range(runs):
            started = time.monotonic()
            results = preflight.run(Context(options(box)), only=only)
            wall = time.monotonic() - started
            slowest = max(results, key=lambda r: r.duration_ms)
            bad = [r.check for r in results if r.status != "pass"]
            if bad:
                raise SystemExit(f"benchmark run not clean: {bad}")
            out.append((wall, slowest.duration_ms / 1000, slowest.check))
    return out


def clock_precision(runs: int) -> list[tuple[float, float, int]]:
    """(|error| s, reported error_s, requests) per run against a fractional clock offset."""
    out = []
    rng = random.Random(20240601)  # noqa: S311 (offsets for a benchmark, not secrets)
    for _ in range(runs):
        offset = rng.uniform(-3, 3)
        with running(tls=True, clock_offset_s=offset) as box:
            result = preflight.run(Context(options(box)), only=["clock"])[0]
        evidence = result.evidence
        out.append((abs(evidence["skew_s"] + offset), evidence["error_s"], evidence["requests"]))
    return out


def report(runs: int) -> str:
    conc = concurrency(runs)
    # Without clock (the slowest by far), token and quota (which share users/me) dominate.
    rest = concurrency(runs, ("dns", "proxy", "tls", "token", "quota"))
    clock = clock_precision(runs)
    ratios = [wall / slowest for wall, slowest, _ in conc]
    rest_ratios = [wall / slowest for wall, slowest, _ in rest]
    errors_ms = [e * 1000 for e, _, _ in clock]
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.platform()}, Python "
        f"{platform.python_version()}, {libcurl_version()}; {os.cpu_count()} CPUs; "
        f"`python tests/bench/bench_preflight.py --runs {runs}`.",
        "",
        "| figure | target | median | worst | runs |",
        "|---|---|---|---|---|",
        f"| wall time / slowest check, {LATENCY_MS} ms latency per request | <= 1.3x | "
        f"{statistics.median(ratios):.2f}x | {max(ratios):.2f}x | {runs} |",
        f"| wall time, {LATENCY_MS} ms latency per request | - | "
        f"{statistics.median(w for w, _, _ in conc):.2f} s | {max(w for w, _, _ in conc):.2f} s "
        f"| {runs} |",
        f"| slowest check | - | {conc[0][2]} | - | - |",
        f"| same without clock (slowest: {rest[0][2]}) | <= 1.3x | "
        f"{statistics.median(rest_ratios):.2f}x | {max(rest_ratios):.2f}x | {runs} |",
        f"| clock skew error on loopback | <= 25 ms | {statistics.median(errors_ms):.1f} ms | "
        f"{max(errors_ms):.1f} ms | {runs} |",
        f"| clock: reported uncertainty (error_s) | - | "
        f"{statistics.median(e for _, e, _ in clock) * 1000:.1f} ms | "
        f"{max(e for _, e, _ in clock) * 1000:.1f} ms | {runs} |",
        f"| clock: requests used | <= 8 | {statistics.median(n for _, _, n in clock):.0f} | "
        f"{max(n for _, _, n in clock)} | {runs} |",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", type=Path, help="update the preflight section of this file")
    args = parser.parse_args()
    body = report(args.runs)
    print(body)
    if args.write:
        write_section(args.write, "preflight", "preflight", body)


if __name__ == "__main__":
    main()
