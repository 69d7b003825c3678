"""Running scenarios: verdicts, honesty labels, shared fault servers (selftest.runner)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from selftest.catalog import Catalog, Entry
from selftest.errors import ScenarioError
from selftest.runner import Runner
from selftest.scenario import Scenario, load

RESULT_KEYS = {"scenario", "documents", "reproduction", "observed", "diagnosis", "detail",
               "verdict", "reason", "duration_ms"}


def entry(entry_id: str, reproduction: str = "real") -> Entry:
    return Entry(id=entry_id, layer=entry_id.split(":")[0], code=entry_id.split(":")[1],
                 name=entry_id, summary="s", remedy="r", retryable="no",
                 reproduction=reproduction,  # type: ignore[arg-type]
                 reason="" if reproduction == "real" else f"{entry_id} cannot happen here")


@pytest.fixture
def runner() -> Runner:
    catalog = Catalog([entry("curl:52"), entry("curl:7"), entry("curl:20", "impossible"),
                       entry("curl:27", "simulated")])
    with Runner(catalog) as made:
        yield made


def scenario_file(tmp_path: Path, name: str, body: str) -> Scenario:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'id = "{name}"\ntitle = "t"\n{body}', encoding="utf-8")
    return load(path)


EMPTY_REPLY = """documents = "curl:52"
[server]
fault = "close-without-reply"
[client]
url = "{url}/"
timeout_ms = 2000
[expect]
"""


def test_matching_expectation_passes(runner: Runner, tmp_path: Path) -> None:
    """The observed code and diagnosis chain make a pass, labelled real."""
    item = scenario_file(tmp_path, "ok", EMPTY_REPLY + 'curl_code = [52]\ndiagnosis = ["curl:52"]')
    result = runner.run(item)
    assert (result.verdict, result.reproduction, result.reason) == ("pass", "real", "")
    assert result.observed["curl_code"] == 52
    assert set(result.to_dict()) == RESULT_KEYS


def test_wrong_expectation_fails(runner: Runner, tmp_path: Path) -> None:
    """A scenario expecting the wrong code fails, saying what was seen and what was wanted."""
    item = scenario_file(tmp_path, "wrong", EMPTY_REPLY + "curl_code = [56, 18]\nhttp_status = 200")
    result = runner.run(item)
    assert result.verdict == "fail"
    assert "curl code 52 (Empty reply from server), expected 56 or 18" in result.reason
    assert "http_status None, expected 200" in result.reason


def test_wrong_diagnosis_fails(runner: Runner, tmp_path: Path) -> None:
    """The right code with the wrong diagnosis chain still fails."""
    item = scenario_file(tmp_path, "chain", EMPTY_REPLY + 'curl_code = 52\ndiagnosis = ["curl:7"]')
    assert "does not start with ['curl:7']" in runner.run(item).reason


def test_impossible_entry_skips_with_catalog_reason(runner: Runner, tmp_path: Path) -> None:
    """An impossible entry's scenario is skipped with the catalog's reason, nothing is run."""
    result = runner.run(scenario_file(tmp_path, "gone", 'documents = "curl:20"\n'))
    assert (result.verdict, result.reason) == ("skip", "curl:20 cannot happen here")
    assert result.reproduction == "impossible"


def test_missing_prerequisite_skips(runner: Runner, tmp_path: Path) -> None:
    """A protocol this libcurl lacks makes the scenario skip, naming it."""
    body = EMPTY_REPLY.replace("[expect]", '[requires]\nprotocols = ["gopher9"]\n[expect]')
    result = runner.run(scenario_file(tmp_path, "req", body + "curl_code = 52"))
    assert result.verdict == "skip"
    assert result.reason == "this libcurl build lacks the gopher9 protocol"


INJECT = """documents = "{entry}"
[client]
step = "inject"
[client.observation]
curl_code = 27
curl_message = "Out of memory"
[expect]
curl_code = 27
"""


def test_injected_simulated_entry_passes_labelled_simulated(runner: Runner,
                                                            tmp_path: Path) -> None:
    """An injected observation for a simulated entry passes, but is labelled simulated."""
    result = runner.run(scenario_file(tmp_path, "sim", INJECT.format(entry="curl:27")))
    assert (result.verdict, result.reproduction) == ("pass", "simulated")
    assert result.to_dict()["reproduction"] == "simulated"
    assert result.observed["simulated"] is True


def test_injecting_a_real_entry_fails(runner: Runner, tmp_path: Path) -> None:
    """Injecting a code the catalog calls real is dishonest: the scenario fails."""
    result = runner.run(scenario_file(tmp_path, "fake", INJECT.format(entry="curl:52")
                                      .replace("27", "52")))
    assert result.verdict == "fail"
    assert "must be reproduced for real" in result.reason


def test_unknown_entry_is_a_scenario_error(runner: Runner, tmp_path: Path) -> None:
    """A scenario documenting an id the catalog lacks is a harness fault naming the file."""
    with pytest.raises(ScenarioError, match=r"x\.toml: documents 'curl:999'"):
        runner.run(scenario_file(tmp_path, "x", 'documents = "curl:999"\n'))


def test_servers_are_shared_and_stopped(tmp_path: Path) -> None:
    """Scenarios with the same fault share one server; close() stops it."""
    catalog = Catalog([entry("curl:52")])
    runner = Runner(catalog)
    first = scenario_file(tmp_path, "a", EMPTY_REPLY + "curl_code = 52")
    second = scenario_file(tmp_path, "b", EMPTY_REPLY + "curl_code = 52")
    assert runner.server(first) is runner.server(second)
    port = int(runner.server(first).urls["port"])
    runner.close()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_verbose_runner_keeps_the_wire(tmp_path: Path) -> None:
    """With verbose on, the result carries libcurl's verbose lines."""
    with Runner(Catalog([entry("curl:52")]), verbose=True) as runner:
        result = runner.run(scenario_file(tmp_path, "v", EMPTY_REPLY + "curl_code = 52"))
    assert any(line.startswith("> GET / HTTP/1.1") for line in result.wire)
    assert "wire" in result.to_dict(wire=True)
