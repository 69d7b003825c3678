"""Blocking until the person (or a supervisor) says stop: for the `serve` commands."""

from __future__ import annotations

import contextlib
import signal
import threading


def wait_until_stopped(stop: threading.Event | None = None) -> None:
    """Return on Ctrl-C, on SIGTERM (when called on the main thread), or once `stop` is set."""
    stop = stop or threading.Event()
    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if on_main else None
    try:
        with contextlib.suppress(KeyboardInterrupt):
            while not stop.wait(0.2):
                pass
    finally:
        if on_main:
            signal.signal(signal.SIGTERM, previous)
