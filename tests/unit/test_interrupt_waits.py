"""A stop signal noted while the main thread is already blocked still stops the preflight.

CPython runs a signal's Python handler between the main thread's bytecodes; a blocked wait is cut
short only by a signal that lands while it blocks. One that lands in the instant before the
wait blocks is noted, and its handler waits for the wait to end. `_thread.interrupt_main()` notes
a SIGINT in exactly that way (it interrupts no wait), so these tests make that instant last.
Every exchange is answered by a MockTransport (simulated observations).
"""

from __future__ import annotations

import _thread
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest

from selftest import preflight
from selftest.checks import CheckResult
from selftest.checks.probes.context import Context, Options
from selftest.checks.probes.mock import MockTransport
from selftest.interrupts import Interrupted, on_main_thread, signals_raise, wait_interruptibly
from selftest.observe import Observation
from selftest.transport import Request

pytestmark = pytest.mark.skipif(not on_main_thread(), reason="signal handlers need the main thread")

#: A deadline far beyond what the tests take: a wait that lasts until it fails the test.
DEADLINE_S = 60.0
#: A hang guard, not a speed limit: a wait still going on this long after the signal missed it.
GUARD_S = 10.0


def waiting_in(function: str, **local: Any) -> bool:
    """Whether the main thread is waiting (in `wait`, `wait_interruptibly` or `sleep`) inside
    `function`, whose local variables include `local`."""
    frame = sys._current_frames().get(threading.main_thread().ident or 0)
    if frame is None or frame.f_code.co_name not in ("wait", "wait_interruptibly"):
        return False
    while frame is not None and frame.f_code.co_name != function:
        frame = frame.f_back
    return frame is not None and all(frame.f_locals.get(k) == v for k, v in local.items())


class Noter:
    """Once `ready` is set and the main thread waits inside `function` (with `local` among its
    variables), note a SIGINT for it; then say whether `stopped()` came within GUARD_S. If
    not, a real SIGINT (which does interrupt the wait) ends the test instead of the deadline."""

    def __init__(self, ready: threading.Event, stopped: Callable[[], bool], function: str,
                 **local: Any) -> None:
        self.in_time: bool | None = None
        self._ready, self._stopped, self._where = ready, stopped, (function, local)
        self._thread = threading.Thread(target=self._note, daemon=True)
        self._thread.start()

    def _note(self) -> None:
        self._ready.wait(DEADLINE_S)
        function, local = self._where
        poll(lambda: waiting_in(function, **local), DEADLINE_S)
        _thread.interrupt_main(signal.SIGINT)
        self.in_time = poll(self._stopped, GUARD_S)
        if not self.in_time:
            os.kill(os.getpid(), signal.SIGINT)

    def join(self) -> bool | None:
        self._thread.join(DEADLINE_S)
        return self.in_time


def poll(condition: Callable[[], bool], timeout_s: float) -> bool:
    """Whether `condition()` became true within `timeout_s` (looked at every 10 ms)."""
    for _ in range(int(timeout_s * 100)):
        if condition():
            return True
        threading.Event().wait(0.01)
    return condition()


def test_a_long_wait_on_the_main_thread_sees_a_signal_noted_while_it_waits() -> None:
    """An Interrupted is raised from a long wait at once, not after the wait."""
    never = threading.Event()
    ready = threading.Event()
    ready.set()
    noter = Noter(ready, lambda: not waiting_in("wait_interruptibly"), "wait_interruptibly")
    with signals_raise(), pytest.raises(Interrupted):
        wait_interruptibly(never.is_set, never.wait, DEADLINE_S)
    assert noter.join() is True


def test_off_the_main_thread_the_wait_blocks_once() -> None:
    """Elsewhere no handler runs: the blocking wait is called once, with the whole timeout."""
    calls: list[float | None] = []

    def wait(timeout_s: float | None) -> bool:
        calls.append(timeout_s)
        return True

    thread = threading.Thread(target=lambda: wait_interruptibly(lambda: False, wait, 5.0))
    thread.start()
    thread.join(DEADLINE_S)
    assert calls == [5.0]


def test_a_signal_noted_as_the_run_waits_stops_the_checks_under_way() -> None:
    """Ctrl-C noted while the run waits for a hanging check ends the run at once: the check is
    reported interrupted (not late after the deadline) and nothing is reported after it."""
    reported: list[str] = []
    ready = threading.Event()
    ctx: list[Context] = []

    def hang(request: Request) -> Observation:
        ctx[0].cancelled.wait(DEADLINE_S + 5)  # a tarpit, until the run is cancelled
        return Observation(curl_code=28, curl_message="simulated: timed out", phase="tls")

    def on_done(result: CheckResult) -> None:
        reported.append(result.check)
        if result.check == "proxy":
            ready.set()

    options: dict[str, Any] = {"api_base": "https://127.0.0.1:8443", "custom_bases": True,
                               "upload_base": "https://127.0.0.1:8443/api",
                               "token": "t0ken-for-tests", "timeout_s": DEADLINE_S}
    ctx.append(Context(Options(**options), transport=MockTransport(hang)))
    noter = Noter(ready, ctx[0].cancelled.is_set, "_collect", name="tls")
    with signals_raise(), pytest.raises(preflight.RunInterrupted) as stopped:
        preflight.run(ctx[0], on_done=on_done)
    assert noter.join() is True, "the run went on waiting after the signal"
    results = {r.check: r for r in stopped.value.results}
    assert results["tls"].summary == "interrupted before it finished"
    assert sorted(reported) == ["dns", "proxy"]  # dns and proxy finish side by side

