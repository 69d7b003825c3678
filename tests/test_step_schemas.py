"""Client steps declare their [client] keys; tables are checked when a scenario file loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from selftest import faults, steps
from selftest.cli import main
from selftest.errors import ScenarioError
from selftest.runner import Runner
from selftest.scenario import load
from selftest.steps import Context, SetupFailed, box
from selftest.steps.schema import parse

HEAD = 'id = "{name}"\ndocuments = "{documents}"\ntitle = "t"\n'


def write(folder: Path, name: str, body: str, documents: str = "curl:52") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(HEAD.format(name=name, documents=documents) + body, encoding="utf-8")
    return path


PERFORM = """[server]
fault = "close-without-reply"
[client]
url = "{url}/"
timout_ms = 300
[expect]
curl_code = [52]
"""


def test_a_misspelt_client_key_is_one_line_naming_file_key_and_allowed(tmp_path: Path) -> None:
    """`timout_ms` fails the load with one line naming the file, the key and the allowed keys."""
    path = write(tmp_path, "typo", PERFORM)
    with pytest.raises(ScenarioError) as caught:
        load(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message and "'timout_ms'" in message
    assert "allowed:" in message and "'timeout_ms'" in message


def test_reproduce_refuses_a_misspelt_key_before_any_server_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`reproduce --scenarios DIR` stops at load time: no fault server is ever created."""
    write(tmp_path, "typo", PERFORM)
    created: list[str] = []
    real_create = faults.create
    monkeypatch.setattr(faults, "create", lambda name, **kw: created.append(name)
                        or real_create(name, **kw))
    assert main(["reproduce", "--scenarios", str(tmp_path)]) != 0
    assert "timout_ms" in capsys.readouterr().err
    assert created == []


@pytest.mark.parametrize(("client", "key"), [
    ('step = "inject"\nurl = "x"\nobservaton = {}\n', "observaton"),
    ('step = "inject"\n[client.observation]\ncurl_cod = 7\n', "curl_cod"),
    ('step = "box-sequence"\n[[client.requests]]\npth = "/2.0/users/me"\n', "pth"),
    ('step = "box-sequence"\n[[client.requests]]\njwt = { exp_in = 30 }\n', "exp_in"),
    ('step = "send-after-reset"\nurl = "x"\nwait = 3\n', "wait"),
    ('step = "perform-with-ctypes-options"\nurl = "x"\nctypes_options = { FTP_ACCT = "a" }\n',
     "FTP_ACCT"),
])
def test_every_step_checks_its_keys_at_load(tmp_path: Path, client: str, key: str) -> None:
    """inject, box-sequence (and its nested tables) and the other steps reject unknown keys."""
    path = write(tmp_path, "x", "[client]\n" + client)
    with pytest.raises(ScenarioError, match=f"'{key}'"):
        load(path)


def test_types_are_checked_too(tmp_path: Path) -> None:
    """A string where the step wants an integer is refused at load, naming the key."""
    path = write(tmp_path, "x", '[client]\nurl = "x"\ntimeout_ms = "300"\n')
    with pytest.raises(ScenarioError, match="timeout_ms must be integer"):
        load(path)


def test_the_table_has_no_run_options_mixed_in() -> None:
    """The runner passes verbose beside the table: a step's schema has no `verbose` key."""
    for made in steps.load_all().values():
        with pytest.raises(ScenarioError, match="unknown key"):
            parse(made.schema, {"verbose": True}, "[client]")


BOX = """[server]
fault = "fakebox"
[client]
step = "box-sequence"
"""


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
    assert shown["verdict"] == "fail"
    assert shown["reason"].startswith("set-up failed: request 1 of 2 (GET /2.0/folders/")
    assert shown["setup_failed"]["what"].startswith("request 1 of 2")
    assert "status 404" in shown["setup_failed"]["reason"]
    assert shown["observed"] == {}


def test_the_step_gets_its_server_not_a_registry() -> None:
    """The clock moves only through the fault server handed to the step in its Context."""
    table = {"base": "http://127.0.0.1:9", "token": "", "requests": [
        {"path": "/2.0/users/me", "advance_clock_s": 10}]}
    with pytest.raises(ScenarioError, match="fakebox"):
        steps.get("box-sequence")(table, Context())
    assert not hasattr(faults.fakebox, "running_fake")  # type: ignore[attr-defined]


INCLUDE = """about = "a folder"
[[requests]]
method = "POST"
path = "/2.0/folders"
json = { name = "inc-{unique}", parent = { id = "0" } }
expect_status = 201
save = { folder_id = "id" }
"""


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


def test_selftests_own_includes_are_found_from_any_folder(tmp_path: Path) -> None:
    """A user's scenario may include the shipped scenarios/setup/ files."""
    path = write(tmp_path, "own", BOX + '[[client.requests]]\ninclude = "setup/folder.toml"\n'
                 '[expect]\ncurl_code = [0]\n', documents="box:not_found")
    assert load(path).client["requests"][0]["path"] == "/2.0/folders"


def test_a_missing_include_is_a_scenario_error(tmp_path: Path) -> None:
    """An include that is nowhere names the file and where it was looked for."""
    path = write(tmp_path, "gone", BOX + '[[client.requests]]\ninclude = "setup/nope.toml"\n')
    with pytest.raises(ScenarioError, match=r"nope\.toml"):
        load(path)


def test_setup_failed_reads_as_one_line() -> None:
    """The reason of a failed set-up says what and why on one line."""
    failed = SetupFailed("building the test OpenSSL engine", "failed: no C compiler")
    assert failed.message() == ("set-up failed: building the test OpenSSL engine failed: "
                                "no C compiler")
    assert {"unique", "fresh_refresh_token"} == box.BUILT_IN_NAMES
