"""Signal handlers take no lock that the thread they interrupt may hold: a handler runs on the
main thread between any two of its bytecodes, inside a `set()` of the very Event it would set.
Each case runs in a subprocess, so that a handler that does wait (forever) fails its test
instead of hanging the suite."""

from __future__ import annotations

import subprocess
import sys

import pytest

#: A hang guard, not a speed limit.
GUARD_S = 30

#: The main thread holds the Stop's lock (as inside the runner's `stop.set()`) when the signal's
#: handler runs: the handler must not wait for that lock.
_STOP_HELD = """
import signal
from selftest.interrupts import signals_stop
with signals_stop() as stop:
    with stop._cond:
        signal.raise_signal(signal.SIGINT)
        print(stop.is_set(), stop.signum)
"""

#: A second SIGTERM lands inside the first one's `set()`, the Event's lock taken (a handler runs
#: between any two of the main thread's bytecodes): the second handler must not wait for it.
_NESTED = """
import signal, threading
from selftest.waiting import sigterm_sets

class SignalledInside(threading.Event):
    def set(self):
        with self._cond:
            signal.raise_signal(signal.SIGTERM)
            self._flag = True
            self._cond.notify_all()

with sigterm_sets(SignalledInside()) as stop:
    signal.raise_signal(signal.SIGTERM)
    print(stop.is_set())
"""


@pytest.mark.parametrize(("script", "printed"), [(_STOP_HELD, "True 2"), (_NESTED, "True")],
                         ids=["stop-lock-held", "nested-sigterm"])
def test_a_signal_handler_never_waits_for_a_lock_its_thread_holds(script: str,
                                                                  printed: str) -> None:
    """The handlers of signals_stop and sigterm_sets note the signal without taking a lock
    that the interrupted main thread may hold."""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=GUARD_S, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, printed), done.stderr
