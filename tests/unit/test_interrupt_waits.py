"""A stop signal noted while the main thread is already blocked still stops the preflight.

A `Noter` (tests/noting.py) notes a SIGINT in the instant a blocking wait would miss. Every
exchange is answered by a MockTransport (simulated observations).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from noting import DEADLINE_S, Noter, waiting_in

from selftest import preflight
from selftest.checks import CheckResult
from selftest.checks.probes.context import Context, Options
from selftest.checks.probes.mock import MockTransport
from selftest.interrupts import Interrupted, on_main_thread, signals_raise, wait_interruptibly
from selftest.observe import Observation
from selftest.transport import Request

pytestmark = pytest.mark.skipif(not on_main_thread(), reason="signal handlers need the main thread")


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

