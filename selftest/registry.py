"""A name -> implementation table filled by decorators, for fault servers and client steps.

Modules of a package register what they offer when imported (`@REGISTRY.add("name")`);
`load_all()` imports every module of that package, so data files can name anything it holds.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from selftest.errors import ScenarioError

T = TypeVar("T")


class Registry(Generic[T]):
    """Implementations of one `kind` ("fault", "client step") found in `package`."""

    def __init__(self, kind: str, package: str, path: Iterable[str]) -> None:
        self.kind = kind
        self._package = package
        self._path = list(path)
        self.items: dict[str, T] = {}

    def add(self, name: str) -> Callable[[T], T]:
        """Decorator: make `thing` available under `name`."""

        def decorate(thing: T) -> T:
            if name in self.items:
                raise ScenarioError(f"{self.kind} {name!r} registered twice")
            self.items[name] = thing
            return thing

        return decorate

    def load_all(self) -> dict[str, T]:
        """Import every module of the package (not `_private` ones) so that all register."""
        for module in pkgutil.iter_modules(self._path):
            if not module.name.startswith("_"):
                importlib.import_module(f"{self._package}.{module.name}")
        return self.items

    def get(self, name: str) -> T:
        """The implementation `name`. Raises ScenarioError naming the known ones."""
        self.load_all()
        try:
            return self.items[name]
        except KeyError:
            known = ", ".join(sorted(self.items))
            raise ScenarioError(f"unknown {self.kind} {name!r}; known: {known}") from None
