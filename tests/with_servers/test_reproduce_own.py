"""`selftest reproduce PATH.toml` and `--scenarios DIR`: the user's own scenario files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from selftest.cli import main

#: A scenario of the user's, in the format of scenarios/README.md.
OWN = '''id = "{id}"
documents = "curl:52"
title = "My server closes without a reply"

[server]
fault = "close-without-reply"

[client]
url = "{{url}}/"
timeout_ms = 2000

[expect]
curl_code = [52]
diagnosis = ["curl:52"]
'''


def own(folder: Path, name: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(OWN.format(id=name), encoding="utf-8")
    return path


def results(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [r["scenario"] for r in json.loads(capsys.readouterr().out)["results"]]


def test_a_scenario_file_by_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A PATH.toml argument runs that file, next to a bundled scenario named by id."""
    path = own(tmp_path, "my-close")
    assert main(["reproduce", "--json", str(path), "curl-52"]) == 0
    assert results(capsys) == ["curl-52", "my-close"]


def test_scenarios_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--scenarios DIR runs DIR's files (all, or those named) instead of selftest's."""
    own(tmp_path, "mine-1")
    own(tmp_path, "mine-2")
    assert main(["reproduce", "--json", "--scenarios", str(tmp_path)]) == 0
    assert results(capsys) == ["mine-1", "mine-2"]
    assert main(["reproduce", "--json", "--scenarios", str(tmp_path), "mine-2"]) == 0
    assert results(capsys) == ["mine-2"]


@pytest.mark.parametrize(("argv", "words"), [
    (["reproduce", "/nonexistent/mine.toml"], "no scenario file"),
    (["reproduce", "--scenarios", "/nonexistent/folder"], "is not a folder"),
])
def test_missing_file_or_folder_is_a_usage_error(argv: list[str], words: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A scenario file or folder that is not there: one line, exit 2."""
    assert main(argv) == 2
    assert words in capsys.readouterr().err


def test_empty_folder_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--scenarios on a folder with no .toml file says so (exit 2), instead of passing nothing."""
    assert main(["reproduce", "--scenarios", str(tmp_path)]) == 2
    assert "no *.toml scenario file" in capsys.readouterr().err
