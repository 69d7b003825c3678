"""Registry.get imports only the module that registers a name (start-up of `reproduce`)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A throw-away package `lazyreg`: `a` registers "x", `b` registers "y" and "z" (one by a
    computed name), `broken` fails on import: importing it by mistake fails the test."""
    root = tmp_path / "lazyreg"
    root.mkdir()
    (root / "__init__.py").write_text(
        "from selftest.registry import Registry\n"
        "REG = Registry('thing', __name__, __path__)\n", encoding="utf-8")
    (root / "a.py").write_text("from lazyreg import REG\nREG.add('x')(1)\n", encoding="utf-8")
    (root / "b.py").write_text(
        "from lazyreg import REG\nREG.add(\"y\")(2)\nREG.add('z' * 1)(3)\n", encoding="utf-8")
    (root / "broken.py").write_text("raise ImportError('imported by mistake')\n",
                                    encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("lazyreg")
    for name in [m for m in sys.modules if m == "lazyreg" or m.startswith("lazyreg.")]:
        del sys.modules[name]


def test_get_imports_only_the_module_naming_it(package: Any) -> None:
    assert package.REG.get("x") == 1
    assert package.REG.get("y") == 2
    assert {m for m in sys.modules if m.startswith("lazyreg.")} == {"lazyreg.a", "lazyreg.b"}


def test_a_name_no_source_holds_falls_back_to_every_module(package: Any) -> None:
    """A computed name is still found (and an unknown one still lists all): load_all runs."""
    with pytest.raises(ImportError, match="imported by mistake"):
        package.REG.get("nothing-names-this")


def test_every_fault_and_step_is_found_in_its_own_module() -> None:
    """Each registered name is quoted in the module that registers it, so get() never needs
    the import-everything fallback for selftest's own faults and steps."""
    from selftest import faults, steps

    for registry, things in ((faults._FAULTS, faults.load_all()),
                             (steps._STEPS, steps.load_all())):
        sources = registry._module_sources()
        for name, thing in things.items():
            defined = getattr(thing, "module", None) or getattr(thing, "func", thing).__module__
            module = defined.rsplit(".", 1)[-1]
            assert f'"{name}"' in sources[module] or f"'{name}'" in sources[module], name
