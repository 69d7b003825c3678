"""What the runner asks of this machine before a scenario runs: its requirements, and the
pycurl constants a scenario's options name.

`selftest.scenario` only reads and checks scenario files; whether this machine can run one
(`[requires]`: a libcurl protocol or feature, a Python package, a program, an environment
variable) and what "@NAME" option values stand for in this pycurl are questions for the run,
answered here.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from selftest.errors import ScenarioError
from selftest.scenario import Requires


def missing_requirement(requires: Requires) -> str | None:
    """Why this machine cannot run a scenario needing `requires`, or None when it can."""
    missing = _first_missing(requires)
    if missing and requires.reason:
        return f"{missing}: {requires.reason}"
    return missing


def _first_missing(requires: Requires) -> str | None:
    """The first requirement this machine lacks, in the order of [requires]."""
    info = _curl_info() if requires.protocols or requires.features else {}
    for protocol in requires.protocols:
        if protocol.lower() not in info["protocols"]:
            return f"this libcurl build lacks the {protocol} protocol"
    for feature in requires.features:
        if feature.upper() not in info["features"]:
            return f"this libcurl build lacks the {feature} feature"
    for module in requires.python:
        if importlib.util.find_spec(module) is None:
            return f"the Python package {module!r} is not installed"
    for program in requires.programs:
        if shutil.which(program) is None:
            return f"the program {program!r} is not on PATH"
    for variable in requires.env:
        if not os.environ.get(variable):
            return f"the environment variable {variable} is not set"
    return None


@cache
def _curl_info() -> dict[str, frozenset[str]]:
    """This libcurl's protocols and features, read once."""
    from selftest.transport import curl_build

    return curl_build()


def resolve_options(options: Mapping[str, Any], source: Path) -> dict[str, Any]:
    """Turn "@NAME" (or "@A|@B") option values into this pycurl's constants.

    Raises ScenarioError naming `source` and the option for a name pycurl lacks.
    """
    from selftest.transport import constant

    resolved: dict[str, Any] = {}
    for key, value in options.items():
        if isinstance(value, str) and value.startswith("@"):
            try:
                value = or_constants(value, constant)
            except KeyError as exc:
                raise ScenarioError(f"{source}: option {key}: {exc.args[0]}") from None
        resolved[key] = value
    return resolved


def or_constants(value: str, constant: Callable[[str], int]) -> int:
    """The value of an "@A|@B" option: the named constants OR-ed together (`constant` raises
    KeyError for a name it lacks; so does this)."""
    result = 0
    for part in value.split("|"):
        result |= int(constant(part.strip().removeprefix("@")))
    return result
