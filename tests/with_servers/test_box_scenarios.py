"""The fakebox fault, the box-sequence step and the HTTP fault servers behind the Box scenarios."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from selftest import steps
from selftest.errors import ScenarioError
from selftest.faults import start_fault
from selftest.faults.fakebox import FakeBoxFault
from selftest.runner import Runner
from selftest.scenario import Scenario, load
from selftest.steps import Context, box, oauth
from selftest.transport import Request, perform


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    with Runner() as made:
        yield made


def scenario(tmp_path: Path, name: str, body: str) -> Scenario:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'id = "{name}"\ntitle = "t"\n{body}', encoding="utf-8")
    return load(path)


HEAD = """documents = "box:item_name_in_use"
[server]
fault = "fakebox"
[client]
step = "box-sequence"
"""
CREATE = """[[client.requests]]
method = "POST"
path = "/2.0/folders"
json = { name = "same-{unique}", parent = { id = "0" } }
"""


def _sequence(table: dict[str, Any], server: Any) -> Any:
    """Run the box-sequence step on a filled table, handed the started fault server."""
    return steps.get("box-sequence")(table, Context(server=server))


def test_sequence_reports_the_earlier_request_that_went_wrong(runner: Runner,
                                                              tmp_path: Path) -> None:
    """A set-up request answering other than expected fails the scenario, naming that request."""
    body = HEAD + CREATE + "expect_status = 409\n" + CREATE + """
[expect]
curl_code = [0]
http_status = 409
diagnosis = ["http:409", "box:item_name_in_use"]
"""
    result = runner.run(scenario(tmp_path, "earlier-fails", body))
    assert result.verdict == "fail"
    assert "request 1 of 2 (POST /2.0/folders) answered status 201, expected 409" in result.reason


def test_wrong_expectation_fails(runner: Runner, tmp_path: Path) -> None:
    """A real 409 item_name_in_use does not pass a scenario that expects a 410."""
    body = HEAD + CREATE + "expect_status = 201\n" + CREATE + """
[expect]
curl_code = [0]
http_status = 410
diagnosis = ["http:410"]
"""
    result = runner.run(scenario(tmp_path, "wrong-expectation", body))
    assert result.verdict == "fail"
    assert "http_status 409, expected 410" in result.reason


def test_saved_values_reach_later_requests(runner: Runner, tmp_path: Path) -> None:
    """`save` takes a value from one answer and `{name}` puts it in the next request."""
    body = HEAD.replace("box:item_name_in_use", "box:folder_not_empty") + CREATE + """
expect_status = 201
save = { outer = "id" }
[[client.requests]]
method = "POST"
path = "/2.0/folders"
json = { name = "inner", parent = { id = "{outer}" } }
expect_status = 201
[[client.requests]]
method = "DELETE"
path = "/2.0/folders/{outer}"
[expect]
curl_code = [0]
http_status = 400
diagnosis = ["http:400", "box:folder_not_empty"]
"""
    result = runner.run(scenario(tmp_path, "saved", body))
    assert (result.verdict, result.reason) == ("pass", "")


def test_clock_moves_for_the_request_and_comes_back(tmp_path: Path) -> None:
    """advance_clock_s ages the fake for the request; the step puts the clock back afterwards."""
    with start_fault("fakebox") as server:
        assert isinstance(server, FakeBoxFault)
        fake = server.box
        before = fake.state.clock.offset_s
        obs = _sequence({"base": server.urls["url"], "requests": [
            {"path": "/2.0/users/me", "token": server.urls["short_token"],
             "advance_clock_s": 3601}]}, server)
        assert obs.http_status == 401
        assert fake.state.clock.offset_s == before
    assert server.box is None


def test_concurrent_copies_observe_the_refused_one() -> None:
    """Two creates at once of one name: the copy observed is the one Box refused."""
    with start_fault("fakebox", create_processing_ms=300) as server:
        obs = _sequence({"base": server.urls["url"], "token": server.urls["token"],
                         "requests": [{"method": "POST", "path": "/2.0/folders",
                                       "json": {"name": "twin", "parent": {"id": "0"}},
                                       "concurrent": 2}]}, server)
    assert obs.box_error is not None
    assert obs.box_error.code == "name_temporarily_reserved"


def test_account_flag_and_credentials_are_placeholders() -> None:
    """The fault sets the user's account flag and names every credential it made."""
    with start_fault("fakebox", location_blocked=True, max_upload_size=10) as server:
        assert isinstance(server, FakeBoxFault)
        fake = server.box
        assert fake.state.main_user.location_blocked is True
        assert fake.state.main_user.max_upload_size == 10
        names = ("token", "short_token", "readonly_token", "other_token", "refresh_token",
                 "box_config", "unapproved_client_id", "upload_url", "token_url")
        assert all(server.urls[name] for name in names)  # the JWT apps' on first use


def test_unknown_attribute_is_a_start_error() -> None:
    """An attribute the fake does not know stops the fault from starting, saying so."""
    with pytest.raises(OSError, match="no_such_knob"), start_fault("fakebox", no_such_knob=1):
        pass


def test_unknown_variable_is_a_scenario_error() -> None:
    """A `{name}` nothing saved is a mistake in the scenario file, not a finding."""
    with pytest.raises(ScenarioError, match="folder_id"):
        box.substitute({"path": "/2.0/folders/{folder_id}"}, {"unique": "x"})


def test_whole_value_variable_keeps_its_type() -> None:
    """A JSON value that is only "{part}" takes the saved object itself."""
    part = {"part_id": "AB", "offset": 0}
    assert box.substitute({"parts": ["{part}"], "n": "#{part}"}, {"part": part})["parts"] == [
        part]
    assert box.dig({"entries": [{"id": "7"}]}, "entries.0.id") == "7"


def test_jwt_claims_follow_the_spec() -> None:
    """The assertion carries the requested exp, iat and sub, signed with the config's key."""
    with start_fault("fakebox") as server:
        config = oauth.read_config(server.urls["box_config"])
    signed = oauth.assertion(config, oauth.JwtSpec(exp_in_s=45, iat_offset_s=5, sub="42"))
    claims = jwt.decode(signed, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 40
    assert claims["sub"] == "42"
    assert jwt.get_unverified_header(signed)["kid"] == config["boxAppSettings"]["appAuth"][
        "publicKeyID"]


def test_gateway_answers_504_for_a_silent_upstream_and_502_for_a_refusal() -> None:
    """The gateway times out the stalled upstream, and names a refused one as a bad gateway."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        refused_port = closed.getsockname()[1]
    with start_fault("gateway-upstream-stalled", upstream_timeout_ms=200) as gateway:
        stalled = perform(Request(url=gateway.urls["upstream_url"] + "/", proxy=gateway.urls[
            "proxy"], timeout_ms=3000))
        refused = perform(Request(url=f"http://127.0.0.1:{refused_port}/",
                                  proxy=gateway.urls["proxy"], timeout_ms=3000))
    assert (stalled.http_status, refused.http_status) == (504, 502)


def test_picky_origin_serves_what_it_does_not_refuse() -> None:
    """With an acceptable Accept header the picky origin answers 200: the 406 is the rule's."""
    with start_fault("picky-origin", produces="application/json") as origin:
        ok = perform(Request(url=origin.urls["url"] + "/", proxy="",
                             headers={"Accept": "application/*"}))
        refused = perform(Request(url=origin.urls["url"] + "/", proxy="",
                                  headers={"Accept": "text/html"}))
    assert (ok.http_status, refused.http_status) == (200, 406)
