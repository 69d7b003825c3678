"""Client steps, registered by name: what the client side of a scenario does.

Most scenarios use the `perform` step (one `selftest.transport.Request`). A few libcurl codes are
reached only another way — an option refused by setopt(), `curl_easy_recv` on an idle socket, the
multi interface — and each of those is a small step function registered here with
`@step("name")`. A step takes the scenario's `[client]` table (with `{url}`-style placeholders
already filled from the fault server's urls) and returns an Observation. Steps are the only code,
besides `selftest.transport`, allowed to import pycurl.

Modules in this package register their steps when imported; `load_all()` imports every one.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from typing import Any

from selftest.errors import ScenarioError
from selftest.observe import Observation

Step = Callable[[Mapping[str, Any]], Observation]

REGISTRY: dict[str, Step] = {}


def step(name: str) -> Callable[[Step], Step]:
    """Decorator: make a client step available under `name`."""

    def decorate(function: Step) -> Step:
        if name in REGISTRY:
            raise ScenarioError(f"client step {name!r} registered twice")
        REGISTRY[name] = function
        return function

    return decorate


def load_all() -> dict[str, Step]:
    """Import every module of this package so that all steps are registered."""
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return REGISTRY


def get(name: str) -> Step:
    """The step `name`. Raises ScenarioError for an unknown name."""
    load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ScenarioError(f"unknown client step {name!r}; known steps: {known}") from None
