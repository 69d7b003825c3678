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

from collections.abc import Callable, Mapping
from typing import Any

from selftest.observe import Observation
from selftest.registry import Registry

Step = Callable[[Mapping[str, Any]], Observation]

_STEPS: Registry[Step] = Registry("client step", __name__, __path__)
REGISTRY = _STEPS.items
#: Decorator: make a client step available under a name.
step = _STEPS.add
#: Import every module of this package so that all steps are registered.
load_all = _STEPS.load_all
#: The step of that name; raises ScenarioError for an unknown name.
get = _STEPS.get
