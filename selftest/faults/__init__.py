"""Fault servers, registered by name: each a small peer that misbehaves in one way.

A fault is data — a name and attributes whose names carry their units (`delay_ms`,
`after_bytes`) — and code: a class registered here with `@register("name")`. Every server listens
on 127.0.0.1 (or ::1) port 0, is started by `start()`, and always stops on `stop()`::

    with start_fault("reset-after-headers", after_bytes=10) as server:
        server.urls["url"]      # e.g. "http://127.0.0.1:40123/"

Modules in this package register their faults when imported; `load_all()` imports every one.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from selftest.errors import ScenarioError


class FaultServer(Protocol):
    """A running (or ready to run) fault server."""

    #: Named URLs a client points at, e.g. {"url": "http://127.0.0.1:40123/"}; filled by start().
    urls: dict[str, str]

    def start(self) -> None: ...

    def stop(self) -> None: ...


FaultFactory = Callable[..., FaultServer]

REGISTRY: dict[str, FaultFactory] = {}


def register(name: str) -> Callable[[FaultFactory], FaultFactory]:
    """Class decorator: make a fault server available under `name`."""

    def decorate(factory: FaultFactory) -> FaultFactory:
        if name in REGISTRY:
            raise ScenarioError(f"fault {name!r} registered twice")
        REGISTRY[name] = factory
        return factory

    return decorate


def load_all() -> dict[str, FaultFactory]:
    """Import every module of this package so that all faults are registered."""
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return REGISTRY


def create(name: str, **attributes: Any) -> FaultServer:
    """Build (not start) the fault server `name`. Raises ScenarioError for an unknown name."""
    load_all()
    try:
        factory = REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ScenarioError(f"unknown fault {name!r}; known faults: {known}") from None
    try:
        return factory(**attributes)
    except TypeError as exc:
        raise ScenarioError(f"fault {name!r}: bad attributes {attributes!r}: {exc}") from None


@contextmanager
def start_fault(name: str, **attributes: Any) -> Iterator[FaultServer]:
    """Start the fault server `name` and stop it on exit, whatever happens."""
    server = create(name, **attributes)
    server.start()
    try:
        yield server
    finally:
        server.stop()
