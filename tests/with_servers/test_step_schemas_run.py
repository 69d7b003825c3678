"""What the declared step schemas change in a run: defaults, one placeholder syntax, includes,
set-up failures, and the load-time check that stops `reproduce` before any server starts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scenario_files import BOX, INCLUDE, MISSPELT, write

from selftest import faults
from selftest.cli import main
from selftest.errors import ScenarioError
from selftest.pytest_plugin import failure_text
from selftest.runner import Runner
from selftest.scenario import load


def test_reproduce_refuses_a_misspelt_key_before_any_server_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`reproduce --scenarios DIR` stops at load time: no fault server is ever created."""
    write(tmp_path, "typo", MISSPELT)
    created: list[str] = []
    real_create = faults.create
    monkeypatch.setattr(faults, "create", lambda name, **kw: created.append(name)
                        or real_create(name, **kw))
    assert main(["reproduce", "--scenarios", str(tmp_path)]) != 0
    assert "timout_ms" in capsys.readouterr().err
    assert created == []


def test_box_sequence_defaults_base_and_token(tmp_path: Path) -> None:
    """With neither written, base is the fake's {url} and the bearer is its {token}."""
    path = write(tmp_path, "me", BOX + '[[client.requests]]\npath = "/2.0/users/me"\n'
                 '[expect]\ncurl_code = [0]\nhttp_status = 200\n', documents="box:not_found")
    loaded = load(path)
    assert (loaded.client["base"], loaded.client["token"]) == ("{url}", "{token}")
    with Runner() as runner:
        result = runner.run(loaded)
    assert (result.verdict, result.reason) == ("pass", "")  # 200, not 401: the bearer was sent


def test_one_placeholder_syntax_fills_saved_values_and_unique(tmp_path: Path) -> None:
    """`{unique}` and a saved `{folder_id}` are filled by the step, `{url}` by the runner."""
    path = write(tmp_path, "saved", BOX + """[[client.requests]]
method = "POST"
path = "/2.0/folders"
json = { name = "f-{unique}", parent = { id = "0" } }
save = { folder_id = "id" }
[[client.requests]]
path = "{url}/2.0/folders/{folder_id}"
[expect]
curl_code = [0]
http_status = 200
""", documents="box:not_found")
    with Runner() as runner:
        result = runner.run(load(path))
    assert result.observed["http_status"] == 200, result.reason


def test_a_saved_name_may_not_shadow_a_server_placeholder(tmp_path: Path) -> None:
    """Saving under a name the fault server gives ({token}) is refused, naming it."""
    path = write(tmp_path, "shadow", BOX + """[[client.requests]]
path = "/2.0/users/me"
save = { token = "id" }
[expect]
curl_code = [0]
""", documents="box:not_found")
    with Runner() as runner, pytest.raises(ScenarioError, match="token"):
        runner.run(load(path))


def test_a_failed_set_up_is_its_own_outcome(tmp_path: Path) -> None:
    """A set-up request answering otherwise is `setup_failed` in the JSON, not curl code -1."""
    path = write(tmp_path, "setup", BOX + """[[client.requests]]
path = "/2.0/folders/999999999"
[[client.requests]]
path = "/2.0/users/me"
[expect]
curl_code = [0]
""", documents="box:not_found")
    with Runner() as runner:
        result = runner.run(load(path))
    shown = json.loads(json.dumps(result.to_dict()))
    assert "  set-up:   GET /2.0/folders/999999999" in failure_text(load(path), result)
    assert shown["verdict"] == "fail"
    assert shown["reason"].startswith("set-up failed: request 1 of 2 (GET /2.0/folders/")
    assert shown["setup_failed"]["what"].startswith("request 1 of 2")
    assert "status 404" in shown["setup_failed"]["reason"]
    assert shown["observed"] == {}


def test_an_include_stands_for_its_requests(tmp_path: Path) -> None:
    """`include = "FILE"` in [[client.requests]] is replaced by FILE's [[requests]] at load."""
    (tmp_path / "setup").mkdir()
    (tmp_path / "setup" / "folder.toml").write_text(INCLUDE, encoding="utf-8")
    path = write(tmp_path, "inc", BOX + """[[client.requests]]
include = "setup/folder.toml"
[[client.requests]]
path = "/2.0/folders/{folder_id}"
[expect]
curl_code = [0]
http_status = 200
""", documents="box:not_found")
    loaded = load(path)
    assert [r.get("path") for r in loaded.client["requests"]] == [
        "/2.0/folders", "/2.0/folders/{folder_id}"]
    with Runner() as runner:
        assert runner.run(loaded).observed["http_status"] == 200

