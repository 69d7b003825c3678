"""A proxy that takes the connection and never answers CONNECT (the `stall` fault server as the
proxy, real libcurl and PHP's cURL on loopback): the exchange ends in the proxy phase, and the
classifier, explain and reproduce word it as the proxy, never as the TLS handshake."""

from __future__ import annotations

import json

import pytest

from selftest.classify import classify
from selftest.cli import main
from selftest.faults import start_fault
from selftest.transport import Request, perform

PROXY_WORDS = "timed out waiting for the proxy's answer to CONNECT"


def test_stalling_proxy_is_the_proxy_phase_through_pycurl() -> None:
    """libcurl's 28 ("Connection timed out", as for a TCP connect) through a silent proxy is
    observed in the proxy phase and explained as the proxy's silence."""
    with start_fault("stall") as server:
        obs = perform(Request(url="https://127.0.0.1:9/", proxy=server.urls["url"],
                              timeout_ms=300))
    assert (obs.curl_code, obs.connect_status, obs.phase) == (28, 0, "proxy")
    detail = classify(obs).detail
    assert PROXY_WORDS in detail and "TLS" not in detail and "while connecting" not in detail


def test_a_silent_server_behind_no_proxy_is_still_the_handshake() -> None:
    """Without a proxy, the same silence after the TCP connect stays the TLS phase."""
    with start_fault("stall", read_request=False) as server:
        obs = perform(Request(url=f"https://127.0.0.1:{server.urls['port']}/", proxy="",
                              timeout_ms=300))
    assert (obs.curl_code, obs.phase) == (28, "tls")
    assert "proxy" not in classify(obs).detail


@pytest.mark.parametrize("client", ["pycurl", "php"])
def test_reproduce_words_the_stalling_proxy(client: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`reproduce curl-28-proxy` passes through both clients (PHP's libcurl 7 too), its result
    in the proxy phase with the proxy's words."""
    if client == "php":
        from selftest.clients import opinions

        if opinions.second_opinion() is None:
            pytest.skip("no php with the curl extension on PATH (apt-get install php-curl)")
    status = main(["reproduce", "curl-28-proxy", "--json", "--client", client])
    result = json.loads(capsys.readouterr().out)["results"][0]
    assert status == 0, result
    assert result["verdict"] == "pass" and result["observed"]["phase"] == "proxy", result


def test_explain_names_the_proxy_and_its_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    """libcurl 7's wording for it reads as the proxy phase and points at curl-28-proxy."""
    assert main(["explain", "--json", "cURL error 28: Proxy CONNECT aborted due to timeout"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["scenario"] == "curl-28-proxy"
    assert PROXY_WORDS in doc["findings"][0]["detail"]
