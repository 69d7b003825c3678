"""Blocking until the person (or a supervisor) says stop: for the `serve` commands."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType


@contextlib.contextmanager
def sigterm_sets(stop: threading.Event) -> Iterator[threading.Event]:
    """While the block runs, SIGTERM (and SIGHUP) set `stop` instead of killing the process.

    Only the main thread can install a signal handler; elsewhere this does nothing. A `serve`
    command enters it before it starts anything: a supervisor (or a test) may send SIGTERM as soon
    as the URL line is out, and the default action would skip every server's stop(), leaving its
    temporary certificate folders behind and exiting -15 instead of 0.
    """
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    noted: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        # Once only: a second signal can land inside the first one's set(), after it took the
        # Event's lock (not reentrant) and before the flag is up; a second set() there would
        # wait for its own thread forever.
        if not noted:
            noted.append(signum)
            stop.set()

    # SIGHUP too: a closed terminal (or `ssh` dropping) must clean up as SIGTERM does.
    previous = {signum: signal.signal(signum, handler)
                for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield stop
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


#: How often the waiting main thread looks at `stop` (the delay a stop signal may see).
POLL_S = 0.05


def wait_until_stopped(stop: threading.Event | None = None) -> None:
    """Return on Ctrl-C, on SIGTERM/SIGHUP (on the main thread), or once `stop` is set.

    It polls `is_set()` and sleeps instead of calling `stop.wait()`: the SIGTERM/SIGHUP handler
    runs on this same thread and calls `stop.set()`, and `wait()` holds the Event's lock (not
    reentrant) for a few bytecodes on every wake-up. A signal landing there made `set()` wait for
    a lock its own thread held, and `serve` hung for good (seen once in a suite run under load).
    """
    stop = stop or threading.Event()
    with sigterm_sets(stop), contextlib.suppress(KeyboardInterrupt):
        while not stop.is_set():
            time.sleep(POLL_S)
