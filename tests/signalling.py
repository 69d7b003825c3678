"""Run a command in a subprocess with a private TMPDIR, signal it once it is busy, see what is left.

Shared by the interrupt tests: a command is started with TMPDIR pointing at an empty folder of its
own, so that every temporary file it makes lands there; `interrupt()` waits until the command is
in the middle of its work (a line on stdout, or a first entry in that folder), sends the signal,
and returns the exit status, how long the exit took and what is still in the folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: How selftest's temporary entries are named (tempfile prefixes in selftest/).
OWN_PREFIXES = ("selftest-", "fakebox-")
#: A hang guard, not a speed limit: the measured times go to BENCHMARKS.md.
EXIT_GUARD_S = 30.0
READY_GUARD_S = 60.0


@dataclass(frozen=True)
class Interrupted:
    """What a signalled command did: its exit status, its exit time, its output, its leftovers."""

    returncode: int
    exit_s: float
    stdout: str
    stderr: str
    left: list[str]


def selftest_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "selftest", *args]


def interrupt(argv: Sequence[str], signum: int, tmpdir: Path, *, ready_line: str | None = None,
              cwd: Path | None = None, repeat_s: float | None = None) -> Interrupted:
    """Start `argv` with TMPDIR=`tmpdir`, signal it once busy, wait for it, list `tmpdir`.

    Busy means: `ready_line` was printed on stdout, or (without one) one of selftest's own
    temporary entries appeared in `tmpdir`: the command has files that it must now remove.
    With `repeat_s`, the signal comes again every `repeat_s` seconds until the command has
    ended (a person pressing Ctrl-C over and over).
    """
    tmpdir.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONUNBUFFERED": "1",
           "PYTHONFAULTHANDLER": "1"}
    process = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env, cwd=cwd)
    try:
        _wait_until_busy(process, tmpdir, ready_line)
        sent = time.monotonic()
        process.send_signal(signum)
        if repeat_s is not None:
            threading.Thread(target=_repeat, args=(process, signum, repeat_s),
                             daemon=True).start()
        stdout, stderr = communicate_or_dump(process, EXIT_GUARD_S)
        exit_s = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    left = sorted(str(p.relative_to(tmpdir)) for p in tmpdir.rglob("*"))
    return Interrupted(process.returncode, exit_s, stdout, stderr, left)


def _repeat(process: subprocess.Popen[str], signum: int, every_s: float) -> None:
    """Send `signum` to `process` every `every_s` seconds while it runs."""
    while process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signum)
        time.sleep(every_s)


def communicate_or_dump(process: subprocess.Popen[str], timeout_s: float) -> tuple[str, str]:
    """`process.communicate()` within `timeout_s`; a process still running then is a hang: it
    gets SIGABRT, so that Python's faulthandler (PYTHONFAULTHANDLER=1 in its environment) prints
    every thread's stack, and the test fails with those stacks instead of a bare timeout."""
    try:
        return process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        try:
            _, stderr = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
        raise AssertionError(f"{process.args!r} still ran {timeout_s:g} s after the signal; "
                             f"its threads then:\n{stderr[-6000:]}") from None


def _wait_until_busy(process: subprocess.Popen[str], tmpdir: Path,
                     ready_line: str | None) -> None:
    deadline = time.monotonic() + READY_GUARD_S
    if ready_line is not None:
        assert process.stdout is not None
        while (line := process.stdout.readline()) and line.rstrip("\n") != ready_line:
            assert time.monotonic() < deadline, f"no {ready_line!r} line in time"
        assert line, f"ended before {ready_line!r}: {process.communicate()[1][-2000:]}"
        return
    while not any(p.name.startswith(OWN_PREFIXES) for p in tmpdir.iterdir()):
        assert process.poll() is None, f"ended before it was busy: {process.communicate()}"
        assert time.monotonic() < deadline, "no temporary file appeared in time"
        time.sleep(0.01)


#: Exit statuses by the shell's convention (128 + signal number).
EXPECTED_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
