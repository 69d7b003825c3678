"""`selftest explain`: pasted text in, diagnosis out, through the same classifier."""

from __future__ import annotations

import json

import pytest

from selftest.cli import main
from selftest.explain import explain


def test_php_log_line_60_mentions_ca_bundle_and_interception() -> None:
    """The issue's example names curl:60 and tells the admin about CA bundles and proxies."""
    result = explain("cURL error 60: SSL certificate problem: unable to get local issuer "
                     "certificate")
    assert result.diagnosis.ids[0] == "curl:60"
    text = (result.to_dict()["remedy"] or "").lower() + result.diagnosis.detail.lower()
    assert "ca" in text and "proxy" in text


@pytest.mark.parametrize(("text", "first"), [
    ("60", "curl:60"),
    ("429", "http:429"),
    ("item_name_in_use", "box:item_name_in_use"),
    ("cyclical_folders_structure", "box:cyclical_folder_structure"),
    ("CURLE_OPERATION_TIMEDOUT", "curl:28"),
    ("curl: (52) Empty reply from server", "curl:52"),
    ("HTTP/1.1 503 Service Unavailable", "http:503"),
    ("Invalid Credentials", "plugin:invalid-credentials"),
    ("User Rate Limit Exceeded", "plugin:user-rate-limit-exceeded"),
])
def test_accepted_forms(text: str, first: str) -> None:
    """Bare codes, names, log lines, status lines and messages are all recognised."""
    assert explain(text).diagnosis.ids[0] == first


def test_www_authenticate_header() -> None:
    """A pasted 401 challenge is an invalid token."""
    ids = explain('WWW-Authenticate: Bearer realm="Service", error="invalid_token", '
                  'error_description="The access token provided is invalid."').diagnosis.ids
    assert "oauth:invalid_token" in ids


def test_oauth_body_exp_is_clock_skew() -> None:
    """An OAuth body naming the exp claim is diagnosed as clock skew."""
    result = explain('{"error":"invalid_grant","error_description":"Current date/time MUST be '
                     "before the expiration date/time listed in the 'exp' claim\"}")
    assert "oauth:invalid_grant:exp" in result.diagnosis.ids
    assert "clock" in (result.to_dict()["remedy"] or "").lower() or "ntp" in (
        result.to_dict()["remedy"] or "").lower()


def test_timeout_phase_is_read_from_the_log_line() -> None:
    """A pasted 'Connection timed out' 28 is refined to the connect phase."""
    result = explain("cURL error 28: Connection timed out after 10001 milliseconds")
    assert "connecting" in result.diagnosis.detail


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints input, diagnosis, summary, remedy and scenario."""
    assert main(["explain", "--json", "cURL error 28: Operation timed out after 5000 "
                 "milliseconds with 0 bytes received"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"input", "diagnosis", "summary", "remedy", "scenario"} <= doc.keys()
    assert doc["diagnosis"][0] == "curl:28"


def test_unknown_input_is_a_helpful_failure(capsys: pytest.CaptureFixture[str]) -> None:
    """Unrecognised text exits 1 with advice on stderr, never a traceback."""
    assert main(["explain", "the moon is made of cheese"]) == 1
    err = capsys.readouterr().err
    assert "does not recognise" in err and "Traceback" not in err


def test_text_output_names_remedy(capsys: pytest.CaptureFixture[str]) -> None:
    """The text form shows the chain and what to do."""
    assert main(["explain", "413"]) == 0
    out = capsys.readouterr().out
    assert "http:413" in out and "What to do" in out
