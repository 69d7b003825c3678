"""libcurl 7.x words some failures differently from 8.x; the classifier names the same cause."""

from __future__ import annotations

from selftest.classify import classify
from selftest.explain import explain
from selftest.observe import Observation


def test_a_56_carrying_response_407_is_the_proxys_407() -> None:
    """libcurl 7's 56 for a refused CONNECT names the proxy's status, as 8's 7 does."""
    obs = Observation(curl_code=56, curl_message="CONNECT tunnel failed, response 407")
    assert classify(obs).ids[:2] == ("curl:56", "http:407")


def test_explain_reads_the_proxy_status_from_a_pasted_line() -> None:
    """The log line PHP prints for libcurl 7's refused tunnel explains to the proxy's 407."""
    found = explain("cURL error 56: CONNECT tunnel failed, response 407")
    assert found.diagnosis.ids[:2] == ("curl:56", "http:407")


def test_the_status_words_only_refine_tunnel_codes() -> None:
    """The same words under an unrelated code add nothing: the code decides, the text refines."""
    obs = Observation(curl_code=52, curl_message="CONNECT tunnel failed, response 407")
    assert "http:407" not in classify(obs).ids


def test_too_large_response_headers_is_named() -> None:
    """libcurl 7's 56 after FTP CCC ('Too large response headers') gets a detail naming it."""
    obs = Observation(curl_code=56, curl_message="Too large response headers: 308983 > 307200")
    assert "300 KiB" in classify(obs).detail
