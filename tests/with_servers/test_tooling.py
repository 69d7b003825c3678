"""The tooling issue 13 asks for: CI runs lint and types, the package is typed, no side docs."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ci_runs_ruff_and_mypy_strict() -> None:
    """.ci/run runs ruff on the package and tests, and mypy (strict in pyproject) on the package."""
    script = (ROOT / ".ci" / "run").read_text()
    assert ".venv/bin/ruff check selftest tests" in script
    assert ".venv/bin/mypy selftest" in script
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert mypy["strict"] is True


def test_package_is_typed_and_imports_are_checked() -> None:
    """py.typed ships; mypy does not ignore missing imports (every dependency has types)."""
    assert (ROOT / "selftest" / "py.typed").is_file()
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert "ignore_missing_imports" not in mypy



def test_no_file_points_outside_the_repository() -> None:
    """Comments cite docs/ in the repository, not the ../shared folder a user does not have."""
    found = subprocess.run(["git", "grep", "-n", "-I", "shared/", "--", "selftest", "tests",
                            "scenarios", "pyproject.toml", "tox.ini", "README.md", "docs",
                            ":!tests/with_servers/test_tooling.py"],
                           cwd=ROOT, capture_output=True, text=True, check=False).stdout
    outside = [line for line in found.splitlines()
               if "../shared" in line or "/work/shared" in line or "shared/DESIGN" in line
               or "shared/reference" in line]
    assert outside == []
