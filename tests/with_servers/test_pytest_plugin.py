"""The pytest plugin: scenario files collected as items, failures explained, fixtures."""

from __future__ import annotations

import socket

import pytest

from selftest import faults, steps
from selftest.faults._certs import pki

pytest_plugins = ["pytester"]

#: The inner runs load selftest's plugin through its entry point, as a user's pytest does, but not
#: the plugins scenario items never use: schemathesis' and anyio's (pyproject.toml's addopts say
#: so too) and hypothesis' (its summary imports hypothesis). pytester forgets the modules an inner
#: run imported, so each run imported them again: ~1 s of CPU per run.
UNUSED_PLUGINS = ("-p", "no:schemathesis", "-p", "no:anyio", "-p", "no:hypothesispytest")


@pytest.fixture(autouse=True, scope="module")
def _registries_complete() -> None:
    """pytester runs pytest in this process and forgets the modules the inner run imported; the
    fault and step registries would then see their modules register twice. So all are imported
    before the first inner run (here, not at collection: every xdist worker collects this file)."""
    faults.load_all()
    steps.load_all()

README = "# Scenario file format\n"
PASSING = """id = "curl-52-here"
documents = "curl:52"
title = "empty reply"
[server]
fault = "close-without-reply"
[client]
url = "{url}/"
timeout_ms = 2000
[expect]
curl_code = [52]
"""


@pytest.fixture
def folder(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with a scenario folder (recognised by its README's first line)."""
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "README.md").write_text(README, encoding="utf-8")
    return pytester


def write(pytester: pytest.Pytester, name: str, text: str) -> None:
    (pytester.path / "scenarios" / f"{name}.toml").write_text(text, encoding="utf-8")


def test_scenarios_are_collected_by_id(folder: pytest.Pytester) -> None:
    """Each scenario file is one item named by its id."""
    write(folder, "curl-52-here", PASSING)
    result = folder.runpytest(*UNUSED_PLUGINS, "--collect-only", "-q", "scenarios")
    result.stdout.fnmatch_lines(["scenarios/curl-52-here.toml::curl-52-here"])


def test_passing_failing_and_skipped(folder: pytest.Pytester) -> None:
    """A matching scenario passes, a wrong one fails with observed vs expected, impossible skips."""
    write(folder, "curl-52-here", PASSING)
    write(folder, "curl-52-wrong", PASSING.replace("curl-52-here", "curl-52-wrong")
          .replace("[52]", "[18]"))
    write(folder, "curl-20", 'id = "curl-20"\ndocuments = "curl:20"\ntitle = "obsolete"\n')
    result = folder.runpytest(*UNUSED_PLUGINS, "-rs", "scenarios")
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    result.stdout.fnmatch_lines([
        "*why:      curl code 52 (Empty reply from server), expected 18*",
        "*expected: {'curl_code': [[]18[]]}*",
        "*observed: {'curl_code': 52*",
        "*SKIPPED*curl:20: *",
    ])


def test_toml_outside_scenario_folders_is_ignored(pytester: pytest.Pytester) -> None:
    """Other TOML files (pyproject.toml, config) are never collected."""
    pytester.makefile(".toml", other='id = "x"\n')
    result = pytester.runpytest(*UNUSED_PLUGINS, "--collect-only", "-q")
    assert "other.toml" not in result.stdout.str()


def test_malformed_file_is_a_collection_error(folder: pytest.Pytester) -> None:
    """A malformed scenario file fails collection, naming the file and the problem."""
    write(folder, "broken", 'id = "not-broken"\ndocuments = "curl:52"\n')
    result = folder.runpytest(*UNUSED_PLUGINS, "scenarios")
    result.stdout.fnmatch_lines(["*broken.toml*must equal the file name*"])
    assert result.ret != 0


def test_fault_server_fixture_starts_and_stops(fault_server: object) -> None:
    """fault_server("refuse") gives a started server with urls; nothing listens there."""
    server = fault_server("refuse")  # type: ignore[operator]
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", int(server.urls["port"]))) != 0


def test_selftest_ca_is_the_placeholder_ca(selftest_ca: object) -> None:
    """selftest_ca is the CA whose PEM file the {ca} placeholder names."""
    assert selftest_ca is pki().ca


def test_run_scenario_fixture(run_scenario: object) -> None:
    """run_scenario("curl-7") runs a repository scenario and returns its Result."""
    result = run_scenario("curl-7")  # type: ignore[operator]
    assert result.verdict == "pass"
