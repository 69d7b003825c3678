"""`selftest reproduce`: selection, text and JSON output, JUnit XML, exit statuses."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from selftest import scenario
from selftest.cli import main
from selftest.commands.reproduce import select
from selftest.errors import UsageError

RESULT_KEYS = {"scenario", "documents", "reproduction", "observed", "diagnosis", "detail",
               "verdict", "reason", "duration_ms"}

WRONG = """id = "curl-52-wrong"
documents = "curl:52"
title = "An expectation that is wrong on purpose"
[server]
fault = "close-without-reply"
[client]
url = "{url}/"
timeout_ms = 2000
[expect]
curl_code = [56]
"""


@pytest.fixture
def wrong_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scenarios folder holding one scenario whose expectation is wrong."""
    (tmp_path / "README.md").write_text("# Scenario file format\n", encoding="utf-8")
    (tmp_path / "curl-52-wrong.toml").write_text(WRONG, encoding="utf-8")
    monkeypatch.setattr(scenario, "scenarios_dir", lambda: tmp_path)
    return tmp_path


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints {"schema_version", "results": [...]} (docs/contracts.md §6); exit 0."""
    assert main(["reproduce", "curl-52", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"schema_version", "results"}
    assert document["schema_version"] == 1
    (result,) = document["results"]
    assert set(result) == RESULT_KEYS
    assert result["verdict"] == "pass"
    assert result["observed"]["curl_code"] == 52
    assert result["diagnosis"][0] == "curl:52"


def test_text_lines_and_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """Text output: one PASS line per scenario with its timing, then the summary line."""
    assert main(["reproduce", "curl-52"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"PASS curl-52  curl:52 .+  \(\d+ ms\)", out[0])
    assert out[-1] == "1 passed, 0 failed, 0 skipped (1 real, 0 simulated)"


def test_catalog_id_selects_every_variant(capsys: pytest.CaptureFixture[str]) -> None:
    """A catalog id runs every scenario documenting it."""
    assert main(["reproduce", "curl:60", "--json"]) == 0
    ids = [r["scenario"] for r in json.loads(capsys.readouterr().out)["results"]]
    assert ids == ["curl-60", "curl-60-expired", "curl-60-wrong-host"]


def test_impossible_code_is_a_skip_with_reason(capsys: pytest.CaptureFixture[str]) -> None:
    """An obsolete code is reported skipped with the catalog's reason, and exits 0."""
    assert main(["reproduce", "curl-20", "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)["results"]
    assert result["verdict"] == "skip"
    assert result["reproduction"] == "impossible"
    assert result["reason"]


def test_unknown_id_exits_2_with_close_matches(capsys: pytest.CaptureFixture[str]) -> None:
    """An id naming nothing is a usage error listing close matches."""
    assert main(["reproduce", "curl-522"]) == 2
    err = capsys.readouterr().err
    assert "curl-522" in err
    assert "did you mean" in err and "curl-52" in err


def test_failing_scenario_exits_1(wrong_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A scenario whose expectation does not hold makes the run fail (exit 1)."""
    assert main(["reproduce"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL curl-52-wrong")
    assert "why: curl code 52 (Empty reply from server), expected 56" in out
    assert out.splitlines()[-1].startswith("0 passed, 1 failed")


def test_junit_xml(wrong_folder: Path, tmp_path: Path) -> None:
    """--junit-xml writes one testcase per scenario, with the failure's reason."""
    target = tmp_path / "out.xml"
    assert main(["reproduce", "--junit-xml", str(target), "--json"]) == 1
    root = ET.parse(target).getroot()  # noqa: S314 (our own file)
    case = root.find("testcase")
    assert case is not None and case.get("name") == "curl-52-wrong"
    failure = case.find("failure")
    assert failure is not None and "expected 56" in str(failure.get("message"))


def test_verbose_shows_the_wire(capsys: pytest.CaptureFixture[str]) -> None:
    """-v adds libcurl's verbose lines under the scenario."""
    assert main(["reproduce", "curl-52", "-v"]) == 0
    assert "     | > GET / HTTP/1.1" in capsys.readouterr().out


def test_layer_filter() -> None:
    """--layer keeps only scenarios documenting an entry of that layer."""
    chosen = select(scenario.load_all(), [], "curl")
    assert chosen and all(s.documents.startswith("curl:") for s in chosen)


def test_select_unknown_raises_usage_error() -> None:
    """select() names the unknown id."""
    with pytest.raises(UsageError, match="'nothing-like-this'"):
        select(scenario.load_all(), ["nothing-like-this"], None)


def test_subprocess_run() -> None:
    """The installed entry point runs a scenario in a fresh process and exits 0."""
    done = subprocess.run([sys.executable, "-m", "selftest", "reproduce", "curl-7", "curl-20"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "1 passed, 0 failed, 1 skipped (1 real, 0 simulated)" in done.stdout
