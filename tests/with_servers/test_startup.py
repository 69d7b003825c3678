"""Start-up: a command imports only what it uses (issue 14; the timings are in tests/bench/).

Checked structurally, in a fresh interpreter: after `main([...])` the modules of the fault
servers, the fake Box and their libraries are not in sys.modules.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys

import pytest

#: Loaded only by `reproduce`, `serve` and the tests.
SERVER_MODULES = ("selftest.faults", "selftest.fakebox.app", "selftest.fakebox.server",
                  "selftest.runner", "selftest.steps", "werkzeug", "jwt", "cryptography",
                  "pytest_httpserver", "proxy", "aioquic", "dnslib", "h2",
                  # only `fakebox ctl` talks HTTP through urllib (~35 ms with http.client)
                  "urllib.request")

_PROBE = """
import contextlib, io, json, sys
from selftest.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        status = main(json.loads(sys.argv[1]))
    except SystemExit as exc:  # --help
        status = exc.code
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def modules_after(argv: list[str]) -> tuple[int, list[str]]:
    """(exit status, the modules imported) after `selftest ARGV` in a new interpreter."""
    return _modules_after(tuple(argv))


@functools.cache  # `--help` is looked at by two tests: one interpreter answers both
def _modules_after(argv: tuple[str, ...]) -> tuple[int, list[str]]:
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(argv)],
                          capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    return report["status"], report["modules"]


@pytest.mark.parametrize("argv", [["explain", "60"], ["explain", "HTTP/1.1 409 Conflict"],
                                  ["catalog"], ["--help"], ["serve", "--help"]])
def test_command_does_not_import_the_servers(argv: list[str]) -> None:
    """explain, catalog and --help never load a fault server, the fake Box or their libraries."""
    status, modules = modules_after(argv)
    assert status == 0
    loaded = [m for m in modules if m.startswith(SERVER_MODULES)]
    assert loaded == [], f"selftest {' '.join(argv)} imported {loaded}"


def test_help_configures_no_subcommand() -> None:
    """`selftest --help` reads each command's HELP and imports no check, scenario or catalog."""
    _, modules = modules_after(["--help"])
    assert not [m for m in modules if m.startswith(("selftest.checks", "selftest.scenario",
                                                    "selftest.catalog", "selftest.classify"))]


_COUNT_LOADS = """
import contextlib, io, json, sys
import selftest.scenario as scenario
loaded = []
_load = scenario.load
def counting(path, **options):
    loaded.append(path.name)
    return _load(path, **options)
scenario.load = counting
from selftest.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    status = main(json.loads(sys.argv[1]))
print(json.dumps({"status": status, "loaded": loaded}))
"""


@pytest.mark.parametrize("argv", [["explain", "60"], ["explain", "cURL error 28: timed out"],
                                  ["explain", '{"type":"error","status":409,'
                                              '"code":"item_name_in_use"}']])
def test_explain_reads_only_the_scenario_it_names(argv: list[str]) -> None:
    """explain parses the one scenario file it points at, not all of them (each costs ~0.4 ms)."""
    done = subprocess.run([sys.executable, "-c", _COUNT_LOADS, json.dumps(argv)],
                          capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    assert report["status"] == 0
    assert len(report["loaded"]) <= 2, report["loaded"]
