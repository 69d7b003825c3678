"""The lean install: preflight and explain without `servers`; reproduce and serve name it.

A fresh interpreter hides the extra's packages as if they were not installed
(`sys.modules[name] = None` makes their import fail; `importlib.metadata.version` says they
are absent, as dnspython asks it before importing aioquic), then runs the command line.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from selftest.extras import SERVERS

_PROBE = """
import contextlib, importlib.metadata, io, json, sys
hidden = json.loads(sys.argv[2])
for name in hidden:
    sys.modules[name] = None  # as if not installed
_version = importlib.metadata.version
def version(distribution):
    if distribution.lower() in hidden:
        raise importlib.metadata.PackageNotFoundError(distribution)
    return _version(distribution)
importlib.metadata.version = version
from selftest.cli import main
out, err = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    status = main(json.loads(sys.argv[1]))
print(json.dumps({"status": status, "out": out.getvalue(), "err": err.getvalue()}))
"""


def run_without(argv: list[str], hidden: tuple[str, ...] = SERVERS) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(argv), json.dumps(hidden)],
                          capture_output=True, text=True, check=True)
    report: dict[str, object] = json.loads(done.stdout)
    return report


@pytest.mark.parametrize("argv", [["reproduce", "curl-52"], ["serve", "curl-52"],
                                  ["serve", "fakebox"]])
def test_server_commands_name_the_extra(argv: list[str]) -> None:
    """Without the extra: one line on stderr naming `selftest[servers]`, exit 3, no traceback."""
    report = run_without(argv)
    err = str(report["err"])
    assert report["status"] == 3
    assert err.count("\n") == 1 and "pip install 'selftest[servers]'" in err
    assert err.startswith(f"selftest: {argv[0]} needs the fault servers") and "Traceback" not in err


def test_one_missing_package_is_named() -> None:
    """The line names the module that is missing."""
    report = run_without(["reproduce", "curl-52"], hidden=("aioquic",))
    assert "'aioquic'" in str(report["err"]) and "'werkzeug'" not in str(report["err"])


@pytest.mark.parametrize("argv", [["explain", "60"], ["catalog", "--layer", "plugin"],
                                  ["preflight", "--only", "proxy", "--proxy", ""]])
def test_lean_commands_work_without_the_extra(argv: list[str]) -> None:
    """explain, catalog and preflight need nothing of the `servers` extra."""
    report = run_without(argv)
    assert report["status"] == 0, report["err"]
    assert report["out"]


def test_the_extra_and_its_import_names_agree() -> None:
    """pyproject.toml's `servers` extra and selftest.extras.SERVERS name the same packages."""
    import importlib.metadata
    import re
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    extra = {re.split(r"[<>=\[ ]", req)[0].lower()
             for req in project["project"]["optional-dependencies"]["servers"]}
    homes = importlib.metadata.packages_distributions()
    assert {homes[name][0].lower() for name in SERVERS} == extra
