"""Noting a SIGINT for the main thread while it waits: the instant a blocking wait can miss.

CPython runs a signal's Python handler between the main thread's bytecodes; a blocked wait is cut
short only by a signal that lands while it blocks. One that lands in the instant before the wait
blocks is noted, and its handler waits for the wait to end. `_thread.interrupt_main()` notes a
SIGINT in exactly that way (it interrupts no wait), so a `Noter` makes that instant last.
"""

from __future__ import annotations

import _thread
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

#: A deadline far beyond what the tests take: a wait that lasts until it fails the test.
DEADLINE_S = 60.0
#: A hang guard, not a speed limit: a wait still going on this long after the signal missed it.
GUARD_S = 10.0

#: The innermost Python functions of a waiting main thread (time.sleep, a lock's acquire: C).
WAITS = ("wait", "wait_interruptibly", "join", "_wait_for_tstate_lock")


def waiting_in(function: str, **local: Any) -> bool:
    """Whether the main thread is waiting (in a `wait`, a thread's `join`, or the sleep of
    `wait_interruptibly`) inside `function`, whose local variables include `local`."""
    frame = sys._current_frames().get(threading.main_thread().ident or 0)
    if frame is None or frame.f_code.co_name not in WAITS:
        return False
    while frame is not None and frame.f_code.co_name != function:
        frame = frame.f_back
    return frame is not None and all(frame.f_locals.get(k) == v for k, v in local.items())


class Noter:
    """Once `ready` is set and the main thread waits inside `function` (with `local` among its
    variables), note a SIGINT for it; then say whether `stopped()` came within `guard_s`. If
    not, a real SIGINT (which does interrupt the wait) ends the test instead of the deadline."""

    def __init__(self, ready: threading.Event, stopped: Callable[[], bool], function: str, *,
                 guard_s: float = GUARD_S, **local: Any) -> None:
        self.in_time: bool | None = None
        self._ready, self._stopped, self._where = ready, stopped, (function, local)
        self._guard_s = guard_s
        self._thread = threading.Thread(target=self._note, daemon=True)
        self._thread.start()

    def _note(self) -> None:
        self._ready.wait(DEADLINE_S)
        function, local = self._where
        poll(lambda: waiting_in(function, **local), DEADLINE_S)
        _thread.interrupt_main(signal.SIGINT)
        self.in_time = poll(self._stopped, self._guard_s)
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

