"""Blocking until the person (or a supervisor) says stop: for the `serve` commands."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


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
    # SIGHUP too: a closed terminal (or `ssh` dropping) must clean up as SIGTERM does.
    previous = {signum: signal.signal(signum, lambda *_: stop.set())
                for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def wait_until_stopped(stop: threading.Event | None = None) -> None:
    """Return on Ctrl-C, on SIGTERM/SIGHUP (on the main thread), or once `stop` is set."""
    stop = stop or threading.Event()
    with sigterm_sets(stop), contextlib.suppress(KeyboardInterrupt):
        while not stop.wait(0.2):
            pass
