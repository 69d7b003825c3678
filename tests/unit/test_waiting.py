"""`serve`'s wait for a stop: the signal handler that ends it must never wait for a lock."""

from __future__ import annotations

import threading

from selftest import waiting


class LockedWait(threading.Event):
    """An Event whose wait() is refused: wait() holds the Event's lock between wake-ups, and a
    SIGTERM handler calling set() on the same (main) thread would then wait for it forever."""

    def wait(self, timeout: float | None = None) -> bool:
        raise AssertionError("Event.wait() on the thread whose signal handler sets the Event")


def test_the_waiting_thread_never_holds_the_stop_events_lock() -> None:
    """wait_until_stopped looks at the flag without the lock and returns once it is set."""
    stop = LockedWait()
    setter = threading.Timer(0.05, stop.set)
    setter.start()
    try:
        waiting.wait_until_stopped(stop)
    finally:
        setter.cancel()
    assert stop.is_set()


def test_an_already_set_stop_returns_at_once() -> None:
    """A stop that came before the wait (a SIGTERM during start-up) ends it without sleeping."""
    stop = threading.Event()
    stop.set()
    waiting.wait_until_stopped(stop)
    assert stop.is_set()
