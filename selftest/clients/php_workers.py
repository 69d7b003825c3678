"""Long-lived `php SCRIPT serve` workers for the replays: one php start per worker, not per request.

A php process costs ~15 ms of CPU to start and WordPress ~35 ms more to load its HTTP API, which
was most of a replay's cost. A worker reads one JSON request per line and writes one JSON result
per line (the helper scripts' `serve` mode) until its standard input ends, so one whose parent
dies exits by itself. `Workers` keeps idle workers by key (the command: script, and for
WordPress its path and WP_PROXY_* constants, which PHP can define only once); the runner replays
from several threads, so several workers may share a key, each used by one request at a time.

Each worker runs in its own process group, killed whole on a timeout, on any exception while it
answers (Ctrl-C, SIGTERM's exception) and at `close()`; a worker that timed out or died is
dropped and the next request starts a fresh one. Its stderr is drained by a thread (PHP's
warnings cannot fill the pipe), the tail kept for the error message.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Hashable, Sequence
from typing import Any

from selftest.errors import SelftestError

#: How much of a worker's stderr is kept for an error message (the tail since its last request).
STDERR_TAIL_BYTES = 8192


class Worker:
    """One `php ... serve` process; `ask` sends a request and reads its one-line answer."""

    def __init__(self, command: Sequence[str]) -> None:
        self.process = subprocess.Popen(list(command), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        start_new_session=True)
        self._pending = b""
        self._stderr = bytearray()
        self._stderr_lock = threading.Lock()
        assert self.process.stderr is not None
        self._drain = threading.Thread(target=self._drain_stderr,
                                       args=(self.process.stderr.fileno(),),
                                       name=f"php-{self.process.pid}-stderr", daemon=True)
        self._drain.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(self, request: bytes, timeout_s: float) -> dict[str, Any]:
        """The worker's JSON answer to `request` (one JSON document, which never holds a raw
        newline). Raises SelftestError when it gives none in `timeout_s` (the worker is then
        killed) or dies first; kills it on any exception."""
        with self._stderr_lock:
            self._stderr.clear()
        try:
            line = self._exchange(request.strip() + b"\n", timeout_s)
        except BaseException:
            self.kill()
            raise
        if line is None:
            self.kill()
            raise SelftestError(f"php did not finish within {timeout_s:.1f} s") from None
        try:
            doc = json.loads(line.decode("utf-8", "replace"))
        except ValueError:
            doc = None
        if line == b"" or doc is None:
            self.kill()
            raise SelftestError(f"php printed no JSON (exit {self.process.returncode}): "
                                f"{self.stderr_tail()[:300]}") from None
        if not isinstance(doc, dict):
            self.kill()
            raise SelftestError("php printed JSON that is not an object")
        return doc

    def _exchange(self, payload: bytes, timeout_s: float) -> bytes | None:
        """Write `payload`, read one line: the line, b"" when the worker ended first, None when
        the time ran out."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None
        assert stdout is not None
        try:
            stdin.write(payload)
            stdin.flush()
        except (BrokenPipeError, ConnectionResetError):
            return self._ended()
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([stdout], [], [], left)
            if not ready:
                continue
            chunk = os.read(stdout.fileno(), 65536)
            if not chunk:
                return self._ended()
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line.strip()

    def _ended(self) -> bytes:
        """The worker ended without an answer: reap it, let the drain read its last words."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self._drain.join(timeout=5)
        return b""

    def _drain_stderr(self, fd: int) -> None:
        for chunk in iter(lambda: os.read(fd, 65536), b""):
            with self._stderr_lock:
                self._stderr += chunk
                del self._stderr[:-STDERR_TAIL_BYTES]

    def stderr_tail(self) -> str:
        with self._stderr_lock:
            return self._stderr.decode("utf-8", "replace").strip()

    def stop(self) -> None:
        """Kill the worker's whole process group and reap it; its pipes stay open (a thread
        reading them sees their end)."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def kill(self) -> None:
        """`stop`, then close its pipes (idempotent; only from the thread that asks)."""
        self.stop()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._drain.join(timeout=5)
        if self.process.stderr is not None:
            with contextlib.suppress(OSError):
                self.process.stderr.close()


class Workers:
    """Idle workers by key, checked out for one request at a time; `close()` ends them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[Hashable, list[Worker]] = {}
        self._busy: set[Worker] = set()
        self._closed = False

    def ask(self, key: Hashable, command: Sequence[str], request: bytes,
            timeout_s: float) -> dict[str, Any]:
        """`request` answered by an idle worker of `key` (a new one, running `command`, when
        none is idle). Raises SelftestError as `Worker.ask` does; that worker is dropped."""
        worker = self._checkout(key, command)
        try:
            doc = worker.ask(request, timeout_s)
        except BaseException:
            self._drop(worker)
            raise
        with self._lock:
            self._busy.discard(worker)
            if not self._closed:
                self._idle.setdefault(key, []).append(worker)
                return doc
        worker.kill()  # the pool closed while it answered
        return doc

    def _checkout(self, key: Hashable, command: Sequence[str]) -> Worker:
        while True:
            with self._lock:
                if self._closed:
                    raise SelftestError("the php workers were closed")
                idle = self._idle.get(key, [])
                worker = idle.pop() if idle else None
                if worker is not None:
                    self._busy.add(worker)
            if worker is None:
                break
            if worker.alive():
                return worker
            self._drop(worker)  # it died while idle: reap it, take or start another
        worker = Worker(command)
        with self._lock:
            closed = self._closed
            if not closed:
                self._busy.add(worker)
        if closed:
            worker.kill()
            raise SelftestError("the php workers were closed")
        return worker

    def _drop(self, worker: Worker) -> None:
        worker.kill()
        with self._lock:
            self._busy.discard(worker)

    def pids(self) -> list[int]:
        """The pids of every worker now (idle or answering)."""
        with self._lock:
            workers = [w for idle in self._idle.values() for w in idle] + list(self._busy)
        return sorted(w.pid for w in workers)

    def close(self) -> None:
        """Kill every worker; no new one starts afterwards. An answering one is only killed
        here (its thread gets "no JSON" and closes its pipes)."""
        with self._lock:
            self._closed = True
            idle = [w for workers in self._idle.values() for w in workers]
            busy, self._idle = list(self._busy), {}
        for worker in idle:
            worker.kill()
        for worker in busy:
            worker.stop()

