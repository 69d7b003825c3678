"""A name -> implementation table filled by decorators, for fault servers and client steps.

Modules of a package register what they offer when imported (`@REGISTRY.add("name")`);
`load_all()` imports every module of that package, so data files can name anything it holds.
`get(name)` imports only the module(s) whose source holds the quoted name (a decorator's
argument) and everything else only when that finds nothing: a run that needs a TCP reset need not
import the TLS, HTTP/2 and HTTP/3 servers (trustme, h2, asyncio: ~0.2 s of start-up), and
scenarios on threads stop waiting for one another's imports.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
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
        self._sources: dict[str, str] | None = None
        self._lock = threading.Lock()

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
        if name not in self.items:
            self._load_for(name)
        if name not in self.items:
            self.load_all()  # registered under a computed name, or unknown: the error lists all
        try:
            return self.items[name]
        except KeyError:
            known = ", ".join(sorted(self.items))
            raise ScenarioError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def _load_for(self, name: str) -> None:
        """Import the modules whose source holds `name` in quotes, until one registered it."""
        quoted = (f'"{name}"', f"'{name}'")
        for module, source in self._module_sources().items():
            if any(q in source for q in quoted):
                importlib.import_module(f"{self._package}.{module}")
                if name in self.items:
                    return

    def _module_sources(self) -> dict[str, str]:
        """{module name: its source text} of the package's public modules (read once)."""
        with self._lock:
            if self._sources is None:
                sources: dict[str, str] = {}
                for module in pkgutil.iter_modules(self._path):
                    if module.name.startswith("_"):
                        continue
                    folder = Path(getattr(module.module_finder, "path", ""))
                    file = folder / module.name / "__init__.py" if module.ispkg else \
                        folder / f"{module.name}.py"
                    try:
                        sources[module.name] = file.read_text(encoding="utf-8")
                    except (OSError, UnicodeDecodeError):
                        sources[module.name] = ""  # not plain source (a zip): load_all finds it
                self._sources = sources
            return self._sources
