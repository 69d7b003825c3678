"""Client steps, registered by name: what the client side of a scenario does.

Most scenarios use the `perform` step (one `selftest.transport.Request`). A few libcurl codes are
reached only another way — an option refused by setopt(), `curl_easy_recv` on an idle socket, the
multi interface — and each of those is a small step function registered here with
`@step("name", Schema)`. `Schema` is a frozen dataclass of the step's [client] keys
(`selftest.steps.schema`): the scenario loader checks every file's [client] table against it,
so a misspelt key is an error before any server starts. A step receives its parsed attributes
(placeholders filled) and a `Context` — the fault server the runner started for the scenario,
and the run's options — and returns an Observation, or `SetupFailed` when what the scenario
needs could not be set up (the observed request never ran). Steps are the only code, besides
`selftest.transport`, allowed to import pycurl.

Modules in this package register their steps when imported; `load_all()` imports every one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from selftest.errors import ScenarioError
from selftest.faults import FaultServer
from selftest.observe import Observation
from selftest.registry import Registry
from selftest.steps.schema import STEP_KEY, parse, placeholder_defaults

A = TypeVar("A")


@dataclass(frozen=True)
class Context:
    """What the runner hands a step besides its attributes."""

    #: The fault server the runner started for this scenario; None when it names no fault.
    server: FaultServer | None = None
    #: Collect libcurl's verbose lines (`reproduce -v`); never part of the scenario file.
    verbose: bool = False


@dataclass(frozen=True)
class SetupFailed:
    """The scenario's set-up did not work, so the request it observes never ran.

    Not a finding about the network: the result says the set-up failed and which part.
    """

    #: Which part: "request 1 of 3 (POST /2.0/folders)", "building the test engine".
    what: str
    #: What went wrong, worded to follow `what`: "answered status 409, expected 201; ...".
    reason: str
    #: The requests sent so far (box-sequence), for the report.
    sequence: tuple[str, ...] = ()

    def message(self) -> str:
        """One line for the result's reason."""
        return f"set-up failed: {self.what} {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """The `setup_failed` object of `reproduce --json`."""
        return {"what": self.what, "reason": self.reason, "sequence": list(self.sequence)}


#: What a step returns.
Outcome = Observation | SetupFailed


@dataclass(frozen=True)
class Step(Generic[A]):
    """A registered step: its name, its attributes' schema and the function that runs it."""

    name: str
    schema: type[A]
    run: Callable[[A, Context], Outcome]
    #: Load-time rewrite of the [client] table before it is checked (box-sequence's includes).
    prepare: Callable[[dict[str, Any], Path], dict[str, Any]] | None = None
    #: The `{name}` placeholders the step fills itself as it runs (box-sequence's saved values);
    #: the runner leaves them alone.
    own_names: Callable[[Mapping[str, Any]], frozenset[str]] = field(
        default=lambda _table: frozenset())

    @property
    def doc(self) -> str:
        """The step function's docstring (the docs table's text)."""
        return self.run.__doc__ or ""

    @property
    def module(self) -> str:
        """The module that defines the step."""
        return self.run.__module__

    def check(self, table: Mapping[str, Any], source: Path) -> dict[str, Any]:
        """The [client] table with includes expanded and placeholder defaults added, checked
        against the schema. Raises ScenarioError naming `source`, the key and the allowed ones."""
        prepared = {**placeholder_defaults(self.schema), **table}
        if self.prepare is not None:
            prepared = self.prepare(prepared, source)
        self.parse(prepared, source)
        return prepared

    def parse(self, table: Mapping[str, Any], source: Path) -> A:
        """The typed attributes of a (filled) [client] table."""
        plain = {k: v for k, v in table.items() if k != STEP_KEY}
        try:
            return parse(self.schema, plain, f"[client] of step {self.name!r}")
        except ScenarioError as exc:
            raise ScenarioError(f"{source}: {exc}") from None

    def __call__(self, table: Mapping[str, Any], context: Context | None = None) -> Outcome:
        """Parse `table` (already filled) and run the step: for tests and other clients."""
        return self.run(self.parse(table, Path("<table>")), context or Context())


_STEPS: Registry[Step[Any]] = Registry("client step", __name__, __path__)
REGISTRY = _STEPS.items
#: Import every module of this package so that all steps are registered.
load_all = _STEPS.load_all
#: The step of that name; raises ScenarioError for an unknown name.
get = _STEPS.get


def step(name: str, schema: type[A], *,
         prepare: Callable[[dict[str, Any], Path], dict[str, Any]] | None = None,
         own_names: Callable[[Mapping[str, Any]], frozenset[str]] | None = None,
         ) -> Callable[[Callable[[A, Context], Outcome]], Callable[[A, Context], Outcome]]:
    """Decorator: make a step function available under `name`, its [client] keys `schema`."""

    def register(run: Callable[[A, Context], Outcome]) -> Callable[[A, Context], Outcome]:
        """Register `run` under `name` and hand it back unchanged."""
        made = Step(name, schema, run, prepare) if own_names is None else Step(
            name, schema, run, prepare, own_names)
        _STEPS.add(name)(made)
        return run

    return register
