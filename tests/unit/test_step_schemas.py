"""Client steps declare their [client] keys; tables are checked when a scenario file loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from scenario_files import BOX, MISSPELT, write

from selftest import faults, steps
from selftest.errors import ScenarioError
from selftest.scenario import load
from selftest.sent import Recorder, SentExpect, SentRequest
from selftest.steps import Context, SetupFailed, box
from selftest.steps.schema import parse


def test_a_misspelt_client_key_is_one_line_naming_file_key_and_allowed(tmp_path: Path) -> None:
    """`timout_ms` fails the load with one line naming the file, the key and the allowed keys."""
    path = write(tmp_path, "typo", MISSPELT)
    with pytest.raises(ScenarioError) as caught:
        load(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message and "'timout_ms'" in message
    assert "allowed:" in message and "'timeout_ms'" in message


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


def test_the_step_gets_its_server_not_a_registry() -> None:
    """The clock moves only through the fault server handed to the step in its Context."""
    table = {"base": "http://127.0.0.1:9", "token": "", "requests": [
        {"path": "/2.0/users/me", "advance_clock_s": 10}]}
    with pytest.raises(ScenarioError, match="fakebox"):
        steps.get("box-sequence")(table, Context())
    assert not hasattr(faults.fakebox, "running_fake")  # type: ignore[attr-defined]


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


def test_sent_request_parses_a_head_and_matches_an_expectation() -> None:
    """A raw head becomes a SentRequest; header names match in any case, "*" is a prefix."""
    head = b"POST /a?b=1 HTTP/1.1\r\nHost: x\r\nauthorization: Bearer t0k\r\n\r\nbody"
    request = SentRequest.from_head(head)
    assert request is not None and (request.method, request.path) == ("POST", "/a")
    assert SentExpect(method="post", path="/a", headers={"Authorization": "Bearer *"}).matches(
        request)
    assert not SentExpect(path="/a?b=2").matches(request)
    assert SentRequest.from_head(b"\x16\x03\x01 not http") is None


def test_recorder_gives_what_came_after_a_mark() -> None:
    """since(mark) is what was recorded after the mark, even past MAX_KEPT."""
    recorder = Recorder()
    recorder.add(SentRequest("GET", "/1"))
    mark = recorder.mark()
    for i in range(2, 300):
        recorder.add(SentRequest("GET", f"/{i}"))
    later = recorder.since(mark)
    assert len(later) == 200 and later[-1].target == "/299"
    assert recorder.since(recorder.mark()) == []


def test_expect_sent_keys_are_checked(tmp_path: Path) -> None:
    """A misspelt key of [expect.sent] is a load error naming the allowed ones."""
    path = write(tmp_path, "x", '[client]\nurl = "x"\n[expect]\ncurl_code = [0]\n'
                 '[expect.sent]\nmethd = "GET"\n')
    with pytest.raises(ScenarioError, match="methd"):
        load(path)
