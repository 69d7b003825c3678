"""Fault servers, registered by name: each a small peer that misbehaves in one way.

A fault is data — a name and attributes whose names carry their units (`delay_ms`,
`after_bytes`) — and code: a class registered here with `@register("name")`. Every server listens
on 127.0.0.1 (or ::1) port 0, is started by `start()`, and always stops on `stop()`::

    with start_fault("reset-after-headers", after_bytes=10) as server:
        server.urls["url"]      # e.g. "http://127.0.0.1:40123/"
    # leaving the block re-raises what a connection handler raised (FaultHandlerError)

Modules in this package register their faults when imported; `load_all()` imports every one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from selftest.errors import ScenarioError
from selftest.registry import Registry


class FaultServer(Protocol):
    """A running (or ready to run) fault server."""

    #: Named URLs a client points at, e.g. {"url": "http://127.0.0.1:40123/"}; filled by start().
    urls: dict[str, str]

    def start(self) -> None: ...

    def stop(self) -> None: ...


FaultFactory = Callable[..., FaultServer]

_FAULTS: Registry[FaultFactory] = Registry("fault", __name__, __path__)
REGISTRY = _FAULTS.items
#: Class decorator: make a fault server available under a name.
register = _FAULTS.add
#: Import every module of this package so that all faults are registered.
load_all = _FAULTS.load_all


def create(name: str, **attributes: Any) -> FaultServer:
    """Build (not start) the fault server `name`. Raises ScenarioError for an unknown name."""
    factory = _FAULTS.get(name)
    try:
        return factory(**attributes)
    except TypeError as exc:
        raise ScenarioError(f"fault {name!r}: bad attributes {attributes!r}: {exc}") from None


@contextmanager
def start_fault(name: str, **attributes: Any) -> Iterator[FaultServer]:
    """Start the fault server `name` and stop it on exit, whatever happens."""
    server = create(name, **attributes)
    start_or_stop(server)
    try:
        yield server
    finally:
        server.stop()
    check_handler_errors(server)  # only when the block itself did not raise


def check_handler_errors(server: FaultServer) -> None:
    """Re-raise (as FaultHandlerError) what `server`'s connection handlers raised, if anything.

    Servers that keep no handler errors (proxy.py, werkzeug's fake Box) have nothing to check.
    """
    check = getattr(server, "check_errors", None)
    if check is not None:
        check()


def start_or_stop(server: FaultServer) -> None:
    """Start `server`; whatever interrupts start() (an error, a signal) stops it again.

    A server left half-started (a fake Box whose thread runs but whose clean-up nobody holds)
    would keep its temporary files and hang the interpreter's exit.
    """
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
