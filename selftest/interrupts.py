"""Signals as exceptions, and signal handlers nobody else may keep: for commands that clean up.

A command that starts servers and writes temporary files (certificates, a JWT app's private key)
must unwind on SIGINT, SIGTERM and SIGHUP, so that every `with` block and `finally` runs and no
file is left behind. Python turns only SIGINT into an exception (KeyboardInterrupt); SIGTERM and
SIGHUP kill the process outright. `signals_raise()` makes all three raise `Interrupted`, whose
`exit_status` is the shell's 128 + signal number (130, 143, 129)::

    with signals_raise():
        run_everything()          # an Interrupted unwinds it; cli.main() returns 128 + signum

    with signals_stop() as stop:  # the first signal is only noted; the loop stops between steps
        for step in steps:
            stop.check()          # raises Interrupted once a signal arrived
            step()

`keep_signal_handlers()` is for libraries that install process-wide handlers as a side effect
(proxy.py installs SIGINT/SIGTERM/SIGHUP/SIGQUIT handlers that call `sys.exit(0)`): every handler
is put back as it was when the block ends.
"""

from __future__ import annotations

import _thread
import concurrent.futures
import contextlib
import signal
import threading
import time
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")

#: The signals that stop a command and make it clean up (SIGINT: Ctrl-C; SIGTERM: a supervisor,
#: `kill`, a CI job being cancelled; SIGHUP: the terminal went away).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread when a stop signal arrives inside `signals_raise()`.

    A KeyboardInterrupt, so that code written for Ctrl-C (pytest, `except KeyboardInterrupt`)
    treats SIGTERM and SIGHUP the same way.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        """The shell's convention for "ended by signal N": 128 + N."""
        return 128 + self.signum


class Stop(threading.Event):
    """Set when a stop signal arrived; `signum` says which (0 until then).

    The signal handler marks it with `note()`, which takes no lock: a handler runs on the main
    thread between any two of its bytecodes, possibly while that thread holds this Event's lock
    (inside a `set()` of its own, or of the handler that a second signal interrupted), and
    `set()` would then wait for itself forever. `is_set()` sees a note at once, `wait()` does
    not: poll `is_set()`.
    """

    signum: int = 0
    _noted: bool = False

    def note(self, signum: int) -> None:
        """Mark the stop from a signal handler (plain attributes, no lock)."""
        self.signum = signum
        self._noted = True

    def is_set(self) -> bool:
        """Whether a signal was noted or `set()` was called."""
        return self._noted or super().is_set()

    def check(self) -> None:
        """Raise Interrupted if a signal arrived (its exception may have been swallowed)."""
        if self.is_set():
            raise Interrupted(self.signum or signal.SIGINT)


def on_main_thread() -> bool:
    """Only the main thread may install signal handlers."""
    return threading.current_thread() is threading.main_thread()


#: How often a waiting main thread looks again (`wait_interruptibly`): the delay a stop signal
#: may see when it lands as a wait begins, and the delay a result may see.
POLL_S = 0.01


def wait_interruptibly(done: Callable[[], bool], wait: Callable[[float | None], bool],
                       timeout_s: float | None) -> bool:
    """Wait until `done()` (True) or `timeout_s` passed (False): on the main thread by polling
    `done()` between short sleeps, elsewhere by `wait(timeout_s)`, a blocking wait for the same.

    The main thread never blocks in a lock or a `threading.Condition`, for two reasons seen in
    interrupted preflight runs under load. CPython runs a signal's Python handler between the
    main thread's bytecodes, and a blocked wait is cut short only by a signal that lands while
    it blocks: one landing in the instant before (the GIL released, the futex call not yet
    made) waits for the wait to end — a 300 s `Future.result(timeout)` held the run for its
    whole deadline, the signal noted in C (gdb: `is_tripped` 1) and never handled. And the
    exception a handler raises can land inside `Condition.wait`'s Python code, between its
    release of the lock and the `try` that takes it back: the `with` around it then fails
    with "RuntimeError: release unlocked lock", a traceback instead of an interrupted exit.
    `time.sleep` is one C call that a handler's exception leaves cleanly.
    """
    if not on_main_thread():
        return wait(timeout_s)
    end = None if timeout_s is None else time.monotonic() + timeout_s
    while not done():
        left = None if end is None else end - time.monotonic()
        if left is not None and left <= 0:
            return False
        time.sleep(POLL_S if left is None else min(POLL_S, left))
    return True


def wait_futures(futures: Collection[Future[Any]], timeout_s: float | None) -> bool:
    """Whether every one of `futures` is done within `timeout_s` (see wait_interruptibly)."""
    def wait(left_s: float | None) -> bool:
        return not concurrent.futures.wait(futures, left_s).not_done

    return wait_interruptibly(lambda: all(f.done() for f in futures), wait, timeout_s)


def acquire(lock: threading.Lock, timeout_s: float | None) -> bool:
    """Acquire `lock` within `timeout_s` (True) or not (False): see wait_interruptibly."""
    def wait(left_s: float | None) -> bool:
        return lock.acquire(timeout=-1 if left_s is None else left_s)

    return wait_interruptibly(lambda: lock.acquire(blocking=False), wait, timeout_s)


def spawn(work: Callable[..., T], *args: Any,
          then: Callable[[Future[T]], None] | None = None) -> Future[T]:
    """Run `work(*args)` on a new thread (never joined at exit, unlike a pool's workers),
    then `then(future)` on the same thread: never on the main thread, as a done callback added
    to a future already done would be (it may wait for PHP's result, and the main thread must
    stay free to see a stop signal). Wait for it with `wait_futures`."""
    future: Future[T] = Future()
    if then is not None:
        future.add_done_callback(then)  # not done yet: it runs where the result is set

    def body() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(work(*args))
        except BaseException as exc:  # handed to the waiting thread, which re-raises it
            future.set_exception(exc)

    # Not threading.Thread(...).start(): it waits for the new thread in Condition.wait, and the
    # exception of a signal landing there breaks its lock (see wait_interruptibly). A thread of
    # _thread's is never waited for (at exit neither: a daemon thread).
    _thread.start_new_thread(body, ())  # unnamed: naming it would keep a _DummyThread
    return future


@contextlib.contextmanager
def signals_raise(signals: tuple[int, ...] = STOP_SIGNALS) -> Iterator[Stop]:
    """While the block runs, each of `signals` raises Interrupted in the main thread (once).

    Yields a Stop that is set when the first signal arrives: a loop whose exception could have
    been swallowed (raised inside a pycurl callback, which prints and drops it) calls its
    `check()` between steps. Later signals are ignored, so that the clean-up the first one
    started is not itself interrupted. Off the main thread this installs nothing.
    """
    with _handled(signals, deferred=False) as stop:
        yield stop


@contextlib.contextmanager
def signals_stop(signals: tuple[int, ...] = STOP_SIGNALS) -> Iterator[Stop]:
    """While the block runs, the first of `signals` only sets the yielded Stop; a second raises.

    For loops of short steps that start and stop servers: an exception raised at an arbitrary
    point (between a `mkdtemp` and the `try` that removes it, between entering a context manager
    and registering its exit) can leak a file or a running server, so the loop calls
    `stop.check()` between steps and unwinds from there. A person who signals again does not
    wait for the step to end.
    """
    with _handled(signals, deferred=True) as stop:
        yield stop


@contextlib.contextmanager
def _handled(signals: tuple[int, ...], *, deferred: bool) -> Iterator[Stop]:
    stop = Stop()
    if not on_main_thread():
        yield stop
        return
    raised: list[int] = []  # a plain list: a handler takes no lock (see Stop)

    def handler(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            stop.note(signum)
            if deferred:
                return
        elif not deferred or raised:
            return  # clean-up has begun: let it finish
        raised.append(signum)
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, handler) for signum in signals}
    try:
        yield stop
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old if old is not None else signal.SIG_DFL)


def _catchable() -> list[int]:
    return [s for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)]


@contextlib.contextmanager
def keep_signal_handlers() -> Iterator[None]:
    """Put back, when the block ends, every signal handler that code inside it replaced."""
    if not on_main_thread():  # nothing off the main thread can replace a handler
        yield
        return
    before = {signum: signal.getsignal(signum) for signum in _catchable()}
    try:
        yield
    finally:
        for signum, old in before.items():
            if old is not None and signal.getsignal(signum) is not old:
                signal.signal(signum, old)
