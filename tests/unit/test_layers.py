"""The package's import layers, read from the source (nothing is imported): checks/ holds the six
checks at its top level and their parts in checks/probes/, the parts never import a check, and
no chain of module-level imports runs in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

from selftest.checks import CHECK_NAMES

PACKAGE = Path(__file__).resolve().parents[2] / "selftest"


def module_name(path: Path) -> str:
    """The dotted name of a source file of the package (a package's `__init__` is the package)."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, *, module_level_only: bool) -> set[str]:
    """The selftest modules a file imports (`from a import b` counts as `a.b` too, if a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in MODULES}


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def test_checks_folder_holds_the_six_checks_and_their_parts() -> None:
    """checks/ has the six checks and the result types at its top level, every helper in probes/."""
    top = {p.stem for p in (PACKAGE / "checks").glob("*.py")}
    assert top == {*CHECK_NAMES, "__init__"}
    assert (PACKAGE / "checks" / "probes" / "__init__.py").is_file()


def test_probes_import_no_check() -> None:
    """No module of checks/probes/ imports one of the six checks, even inside a function."""
    checks = {f"selftest.checks.{name}" for name in CHECK_NAMES}
    offenders = {
        name: sorted(imports(path, module_level_only=False) & checks)
        for name, path in MODULES.items() if name.startswith("selftest.checks.probes")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_module_level_imports_are_acyclic() -> None:
    """Module-level imports between selftest's modules form no cycle (lazy ones may go anywhere)."""
    graph = {name: imports(path, module_level_only=True) - {name} for name, path in MODULES.items()}
    done: set[str] = set()
    cycles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycles.append([*trail[trail.index(name):], name])
            return
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert cycles == []
