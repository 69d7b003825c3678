"""Context.cancel() ends what is under way: a libcurl transfer inside a TLS handshake with a tarpit
(libcurl calls no progress callback there) is aborted, a child process is killed, and cancel()
returns once their threads have left them — or, bounded, when one never does."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from selftest.checks.probes.context import Context, Options
from selftest.observe import Observation
from selftest.transport import Request

#: A deadline far beyond the hang guard: a transfer or a child that waits for it fails the test.
DEADLINE_S = 300
#: A hang guard, not a speed limit: what waited for its deadline is still running after this.
GUARD_S = 30


class Tarpit:
    """Accepts, reads the first byte of the client's TLS ClientHello, never answers."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self.listener.getsockname()[1]}/"
        #: Set once a client's handshake has begun (its first byte arrived).
        self.handshaking = threading.Event()
        self._held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:  # closed
                return
            self._held.append(conn)
            if conn.recv(1):
                self.handshaking.set()

    def close(self) -> None:
        self.listener.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def tarpit() -> Iterator[Tarpit]:
    pit = Tarpit()
    try:
        yield pit
    finally:
        pit.close()


def in_thread(work: Any) -> tuple[threading.Thread, list[Any]]:
    """Run `work()` on a daemon thread; its result lands in the returned list."""
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(work()), daemon=True)
    thread.start()
    return thread, box


def options(base: str) -> Options:
    return Options(api_base=base, upload_base=base + "api", custom_bases=True,
                   timeout_s=DEADLINE_S)


def test_cancel_aborts_a_handshake_under_way(tarpit: Tarpit) -> None:
    """A request stuck in a TLS handshake is aborted by cancel() (code 42), not left to wait
    for its 300 s timeout, and cancel() reports that nothing is left under way."""
    ctx = Context(options(tarpit.url))
    thread, box = in_thread(lambda: ctx.perform(ctx.request(tarpit.url)))
    assert tarpit.handshaking.wait(GUARD_S), "the request never reached the tarpit"
    assert ctx.cancel() is True
    thread.join(GUARD_S)
    assert not thread.is_alive(), "the transfer was not aborted"
    assert box[0].curl_code == 42


def test_cancel_kills_a_child_and_waits_for_it(tmp_path: Any) -> None:
    """A child process under way is killed by cancel(), which returns once it is reaped."""
    ctx = Context(options("https://127.0.0.1:9/"))
    thread, box = in_thread(lambda: ctx.run_child(["sleep", str(DEADLINE_S)], DEADLINE_S))
    while not ctx._children and thread.is_alive():  # started (or already failed)
        thread.join(0.01)
    assert ctx.cancel() is True
    thread.join(GUARD_S)
    assert box == ["the run was interrupted"]


def test_cancel_gives_up_on_what_never_ends() -> None:
    """A transport that ignores the cancel holds cancel() only for its settle time: False."""
    release = threading.Event()
    entered = threading.Event()

    def deaf(request: Request) -> Observation:
        entered.set()
        release.wait(GUARD_S)
        return Observation(curl_code=28, curl_message="simulated: never answered")

    ctx = Context(options("https://127.0.0.1:9/"), transport=deaf)
    thread, _ = in_thread(lambda: ctx.perform(ctx.request("https://127.0.0.1:9/")))
    assert entered.wait(GUARD_S)
    try:
        assert ctx.cancel(settle_s=0.1) is False
    finally:
        release.set()
        thread.join(GUARD_S)
    assert ctx.cancel(settle_s=GUARD_S) is True


def test_requests_after_cancel_are_not_sent(tarpit: Tarpit) -> None:
    """Once cancelled, a request is answered at once with code 42 and no traffic."""
    ctx = Context(options(tarpit.url))
    assert ctx.cancel() is True
    assert ctx.perform(ctx.request(tarpit.url)).curl_code == 42
    assert not tarpit.handshaking.is_set()
