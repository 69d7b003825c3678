"""Benchmark how `selftest preflight` ends under faults (run by `tox -e bench`, not by pytest).

    1. Ctrl-C / SIGTERM: time from the signal to the process's exit, against a TLS tarpit with a
       300 s deadline (target <= 1 s), its exit status, and files left in a private TMPDIR.
    2. One fault, one cause: against a TLS tarpit and a proxy that never answers CONNECT, with
       --timeout 5: the run's wall time (target <= 5 s + 1 s grace), how many checks fail and how
       many distinct diagnoses they give (target: 1 failing check, 1 cause).
    3. A `php` on PATH that hangs (and starts a child): the tls check's wall time with
       --timeout 5 (target <= 5 s) and the children left running (target 0).

    python tests/bench/bench_preflight_faults.py [--runs N] [--write BENCHMARKS.md]

`--write` replaces only the `<!-- section: preflight-faults -->` block of the given file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sections import write_section

from selftest.faults import start_fault


def _preflight(*argv: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "selftest", "preflight", *argv],
                            env={**os.environ, "BOX_ACCESS_TOKEN": "t0ken-bench", **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def interrupt(signum: int, runs: int) -> tuple[list[float], set[int], int]:
    """(seconds from signal to exit per run, exit statuses, files left in TMPDIR)."""
    times, statuses, left = [], set(), 0
    with start_fault("stall", read_request=False) as tarpit:
        base = f"https://127.0.0.1:{tarpit.urls['port']}"
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as tmp:
                process = _preflight("--api-base", base, "--upload-base", base, "--timeout",
                                     "300", env={"TMPDIR": tmp})
                assert process.stdout is not None
                while not (process.stdout.readline() or "PASS  proxy").startswith("PASS  proxy"):
                    pass
                time.sleep(0.2)
                sent = time.monotonic()
                process.send_signal(signum)
                process.communicate(timeout=60)
                times.append(time.monotonic() - sent)
                statuses.add(process.returncode)
                left += len(os.listdir(tmp))
    return times, statuses, left


def one_cause(kind: str) -> tuple[float, float, int, int]:
    """(slowest check s, process wall s, failing checks, distinct diagnoses among them) with
    --timeout 5."""
    fault = ("stall", {"read_request": False}) if kind == "tarpit" else ("stall", {})
    with start_fault(fault[0], **fault[1]) as server:
        if kind == "tarpit":
            base = f"https://127.0.0.1:{server.urls['port']}"
            argv = ["--api-base", base, "--upload-base", base]
        else:
            argv = ["--api-base", "https://api.box.com", "--upload-base",
                    "https://upload.box.com/api", "--resolve", "api.box.com:443:127.0.0.1",
                    "--resolve", "upload.box.com:443:127.0.0.1", "--proxy", server.urls["url"]]
        started = time.monotonic()
        out, _ = _preflight("--json", "--timeout", "5", *argv).communicate(timeout=60)
        wall = time.monotonic() - started
    checks = json.loads(out)["checks"]
    failed = [c for c in checks if c["status"] == "fail"]
    slowest = max(c["duration_ms"] for c in checks) / 1000
    return slowest, wall, len(failed), len({tuple(c["diagnosis"]) for c in failed})


def hanging_php() -> tuple[float, int]:
    """(wall s of `--only tls` with --timeout 5, php children still running after)."""
    with tempfile.TemporaryDirectory() as tmp, start_fault("tls-ok") as server:
        pidfile = Path(tmp) / "pid"
        php = Path(tmp) / "php"
        php.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pidfile}\nsleep 300\n")
        php.chmod(0o755)
        base = f"https://127.0.0.1:{server.urls['port']}"
        started = time.monotonic()
        _preflight("--only", "tls", "--timeout", "5", "--api-base", base, "--upload-base", base,
                   "--cacert", server.urls["ca"],
                   env={"PATH": f"{tmp}:{os.environ['PATH']}"}).communicate(timeout=60)
        wall = time.monotonic() - started
        child = int(pidfile.read_text())
        try:
            state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            state = "gone"
        if state not in ("gone", "Z"):
            os.kill(child, signal.SIGKILL)
        return wall, int(state not in ("gone", "Z"))


def report(runs: int) -> str:
    sigint, sigint_status, sigint_left = interrupt(signal.SIGINT, runs)
    sigterm, sigterm_status, sigterm_left = interrupt(signal.SIGTERM, runs)
    tarpit = one_cause("tarpit")
    stalled = one_cause("proxy")
    php_wall, php_left = hanging_php()
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.platform()}, Python "
        f"{platform.python_version()}; {os.cpu_count()} CPUs (shared: other work was running); "
        f"`python tests/bench/bench_preflight_faults.py --runs {runs}`.",
        "",
        "| figure | target | measured | runs |",
        "|---|---|---|---|",
        f"| Ctrl-C to exit, 300 s deadline, TLS tarpit | <= 1 s | median "
        f"{statistics.median(sigint):.2f} s, worst {max(sigint):.2f} s; exit "
        f"{sorted(sigint_status)}; {sigint_left} files left | {runs} |",
        f"| SIGTERM to exit, same | <= 1 s | median {statistics.median(sigterm):.2f} s, worst "
        f"{max(sigterm):.2f} s; exit {sorted(sigterm_status)}; {sigterm_left} files left | "
        f"{runs} |",
        f"| TLS tarpit, --timeout 5: slowest check (process wall time); failing checks; "
        f"distinct causes | <= 6 s; 1; 1 | {tarpit[0]:.2f} s ({tarpit[1]:.2f} s); {tarpit[2]}; "
        f"{tarpit[3]} | 1 |",
        f"| proxy never answering CONNECT, --timeout 5: same | <= 6 s; 1; 1 | {stalled[0]:.2f} "
        f"s ({stalled[1]:.2f} s); {stalled[2]}; {stalled[3]} | 1 |",
        f"| hanging `php` on PATH, `--only tls --timeout 5`: wall time; children left | <= 6 s; "
        f"0 | {php_wall:.2f} s; {php_left} | 1 |",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", type=Path, help="update the preflight-faults section")
    args = parser.parse_args()
    body = report(args.runs)
    print(body)
    if args.write:
        write_section(args.write, "preflight-faults", "preflight under faults and interrupts", body)


if __name__ == "__main__":
    main()
