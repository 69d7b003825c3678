"""PHP's own cURL replays every scenario that is a plain request, with the expected result.

The customer's stack is PHP's `curl_*` on the distribution's libcurl (Debian 12: 7.88.1), not
pycurl's 8.x. Each replay must give what that libcurl generation returns ([expect] with
[expect.libcurl7] applied) and a message that `explain` diagnoses the same way.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from php_here import needs_php

from selftest import cli
from selftest.clients import php
from selftest.clients.replay import php_replayer
from selftest.runner import Result, Runner
from selftest.scenario import load_all

#: One worker runs this file (pytest-xdist --dist loadgroup), so the replay of every scenario,
#: the file's expensive part, is made once per session, not once per worker.
pytestmark = [needs_php, pytest.mark.xdist_group("php-replay")]


@pytest.fixture(scope="module")
def php_results() -> dict[str, Result]:
    """Every scenario replayed through PHP, side by side as `reproduce --client php` runs them."""
    with Runner() as runner, php_replayer(runner) as replayer:
        return {r.scenario: r for r in runner.run_all(load_all(), run=replayer.run)}


@pytest.mark.slow
def test_every_replayable_scenario_agrees(php_results: dict[str, Result]) -> None:
    """No replay fails: each code and each explained message is the expected one."""
    failed = {k: r.reason for k, r in php_results.items() if r.verdict == "fail"}
    assert failed == {}
    passed = [r for r in php_results.values() if r.verdict == "pass"]
    assert len(passed) >= 70, "too few scenarios were replayed through PHP"


@pytest.mark.slow
def test_every_skip_says_why(php_results: dict[str, Result]) -> None:
    """A scenario PHP cannot express is skipped with the reason, never silently."""
    assert all(r.reason for r in php_results.values() if r.verdict == "skip")
    assert "CURLOPT_POSTFIELDSIZE_LARGE" in php_results["curl-27"].reason


@pytest.mark.slow
def test_libcurl7_differences_are_the_scenarios_own(php_results: dict[str, Result]) -> None:
    """On libcurl 7 the 407 tunnel is a 56 that still explains to the proxy's 407."""
    result = php_results["curl-7-proxy-auth-required"]
    if not result.client["libcurl"].startswith("7."):
        pytest.skip("PHP's libcurl is not 7.x here")
    assert result.observed["curl_code"] == 56
    assert result.observed["explain"][:2] == ["curl:56", "http:407"]
    assert "56" in result.client["differs_because"]


@pytest.mark.slow
def test_names_that_must_fail_are_answered_locally(php_results: dict[str, Result]) -> None:
    """.onion names are asked of the jail's own DNS server, in a network with only loopback."""
    for scenario, name in (("curl-6", "box-api.onion"), ("curl-5", "proxy.onion")):
        answer = php_results[scenario].observed["local_dns_answer"]
        assert answer["asked_locally"] == [name]
        assert answer["interfaces"] == "lo"


def test_json_report_carries_curl_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`reproduce --client php --json` names PHP's libcurl, SSL backend and features."""
    status = cli.main(["reproduce", "--client", "php", "--json", "curl-52"])
    doc = json.loads(capsys.readouterr().out)
    assert status == 0
    assert doc["client"]["libcurl"] and doc["client"]["ssl"] and doc["client"]["features"]
    assert doc["results"][0]["client"]["name"] == "php"


def test_text_report_has_a_client_header() -> None:
    """The text run (a real subprocess) starts with PHP's and libcurl's versions."""
    command = [sys.executable, "-m", "selftest", "reproduce", "--client", "php", "curl-0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("client: php — PHP ")
    assert "libcurl " in done.stdout.splitlines()[0]


def test_the_php_helper_has_php_72_syntax() -> None:
    """The shipped helper passes `php -l` (a syntax check, nothing runs)."""
    done = subprocess.run(["php", "-l", str(php.script_path())], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
