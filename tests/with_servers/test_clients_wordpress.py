"""WordPress's HTTP API replays every scenario it can express, and its proxy constants work.

WordPress is Debian's `wordpress` package unpacked (no database, no web server): `.ci/run` puts
it in ~/.cache/selftest/wordpress; SELFTEST_WP_PATH names another install. With php on PATH a
missing WordPress is a failure that says how to get it, not a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from php_here import needs_php

from selftest.clients import php, wordpress
from selftest.clients.replay import wordpress_replayer
from selftest.explain import explain
from selftest.faults import start_fault
from selftest.runner import Result, Runner
from selftest.scenario import load_all

_DEFAULT = Path.home() / ".cache/selftest/wordpress/usr/share/wordpress"


#: One worker runs this file (pytest-xdist --dist loadgroup), so the replay of every scenario,
#: the file's expensive part, is made once per session, not once per worker.
pytestmark = [needs_php, pytest.mark.xdist_group("wordpress-replay")]


@pytest.fixture(scope="module")
def wp_path() -> str:
    path = os.environ.get("SELFTEST_WP_PATH") or str(_DEFAULT)
    assert Path(path, "wp-includes", "class-wp-http.php").is_file(), (
        f"no WordPress at {path}: `apt-get download wordpress && dpkg-deb -x wordpress_*.deb "
        "~/.cache/selftest/wordpress` (what .ci/run does), or set SELFTEST_WP_PATH")
    return path


@pytest.fixture(scope="module")
def wp_results(wp_path: str) -> dict[str, Result]:
    """Every scenario replayed through WordPress, side by side as `reproduce --client wordpress`
    runs them."""
    with Runner() as runner, wordpress_replayer(runner, wp_path) as replayer:
        return {r.scenario: r for r in runner.run_all(load_all(), run=replayer.run)}


@pytest.mark.slow
def test_every_replayable_scenario_agrees(wp_results: dict[str, Result]) -> None:
    """No replay fails: each code or status and each explained message is the expected one."""
    failed = {k: r.reason for k, r in wp_results.items() if r.verdict == "fail"}
    assert failed == {}
    assert sum(r.verdict == "pass" for r in wp_results.values()) >= 30


@pytest.mark.slow
def test_wordpress_own_words_are_explained(wp_results: dict[str, Result]) -> None:
    """WordPress's redirect and URL errors carry no cURL code, and still explain right."""
    assert wp_results["curl-47"].observed["message"].startswith("Too many redirects")
    assert wp_results["curl-47"].observed["explain"] == ["curl:47"]
    assert wp_results["curl-3"].observed["message"] == "A valid URL was not provided."
    assert wp_results["curl-3"].observed["explain"] == ["curl:3"]


@pytest.mark.slow
def test_what_wordpress_cannot_say_is_skipped_with_why(wp_results: dict[str, Result]) -> None:
    """FTP, HTTP/1.0 and libcurl-only options are skips that name what WordPress lacks."""
    assert "only http:// and https://" in wp_results["curl-9"].reason
    assert "always speaks HTTP/1.1" in wp_results["http-505"].reason
    assert "CURLOPT_PINNEDPUBLICKEY" in wp_results["curl-90"].reason


# --- WP_PROXY_* against served proxies ------------------------------------------------------

def _wp(wp_path: str, url: str, constants: dict[str, str]) -> tuple[str, list[str]]:
    """(the message WordPress gives, explain's diagnosis of it) for one wp_remote_request."""
    build = php.describe()
    request = {"url": url, "args": {"timeout": 3, "redirection": 0}, "constants": constants}
    _obs, message = wordpress.run(build, wp_path, request, 3000)
    return message, list(explain(message).diagnosis.ids)


@pytest.fixture
def auth_proxy() -> Iterator[Any]:
    with start_fault("proxy-auth-required") as server:
        yield server


@pytest.fixture
def dead_port() -> Iterator[int]:
    with start_fault("refuse") as server:
        yield int(server.urls["port"])


def test_proxy_407_without_credentials(wp_path: str, auth_proxy: Any) -> None:
    """No WP_PROXY_USERNAME: the proxy's 407 is the response WordPress returns."""
    message, diagnosis = _wp(wp_path, "http://127.0.0.1:9/", {
        "WP_PROXY_HOST": "127.0.0.1", "WP_PROXY_PORT": auth_proxy.urls["port"]})
    assert message.startswith("HTTP/1.1 407")
    assert diagnosis[0] == "http:407"


def test_proxy_407_with_wrong_credentials(wp_path: str, auth_proxy: Any) -> None:
    """A wrong WP_PROXY_PASSWORD gets the same 407, explained as the proxy's."""
    message, diagnosis = _wp(wp_path, "http://127.0.0.1:9/", {
        "WP_PROXY_HOST": "127.0.0.1", "WP_PROXY_PORT": auth_proxy.urls["port"],
        "WP_PROXY_USERNAME": "user", "WP_PROXY_PASSWORD": "wrong"})
    assert message.startswith("HTTP/1.1 407")
    assert diagnosis[0] == "http:407"


def test_proxy_407_on_an_https_tunnel(wp_path: str, auth_proxy: Any) -> None:
    """For https:// the refused CONNECT is a cURL error whose words carry the proxy's 407."""
    message, diagnosis = _wp(wp_path, "https://127.0.0.1:9/", {
        "WP_PROXY_HOST": "127.0.0.1", "WP_PROXY_PORT": auth_proxy.urls["port"]})
    assert "CONNECT tunnel failed, response 407" in message
    assert "http:407" in diagnosis


def test_proxy_502_when_the_upstream_refuses(wp_path: str, auth_proxy: Any,
                                             dead_port: int) -> None:
    """Right credentials, dead upstream: the proxy's 502 is what WordPress returns."""
    message, diagnosis = _wp(wp_path, f"http://127.0.0.1:{dead_port}/", {
        "WP_PROXY_HOST": "127.0.0.1", "WP_PROXY_PORT": auth_proxy.urls["port"],
        "WP_PROXY_USERNAME": "user", "WP_PROXY_PASSWORD": "secret"})
    assert message.startswith("HTTP/1.1 502")
    assert diagnosis[0] == "http:502"


def test_dead_proxy_port(wp_path: str, dead_port: int) -> None:
    """Nothing listening at WP_PROXY_PORT: cURL error 7, explained as a refused connection."""
    message, diagnosis = _wp(wp_path, "http://127.0.0.1:9/", {
        "WP_PROXY_HOST": "127.0.0.1", "WP_PROXY_PORT": str(dead_port)})
    assert message.startswith(f"cURL error 7: Failed to connect to 127.0.0.1 port {dead_port}")
    assert diagnosis == ["curl:7"]


def test_localhost_bypasses_the_proxy(wp_path: str, dead_port: int) -> None:
    """WordPress never sends `localhost` through WP_PROXY_HOST; 127.0.0.1 it does send."""
    reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    constants = {"WP_PROXY_HOST": "127.0.0.1", "WP_PROXY_PORT": str(dead_port)}
    with start_fault("raw-reply", reply=reply) as origin:
        port = origin.urls["port"]
        bypassed, _ = _wp(wp_path, f"http://localhost:{port}/", constants)
        proxied, diagnosis = _wp(wp_path, f"http://127.0.0.1:{port}/", constants)
    assert bypassed == ""  # a 200: nothing for the admin to read
    assert proxied.startswith(f"cURL error 7: Failed to connect to 127.0.0.1 port {dead_port}")
    assert diagnosis == ["curl:7"]


def test_socks5_proxy_host(wp_path: str) -> None:
    """`socks5://` in WP_PROXY_HOST is honoured: the SOCKS5 failure is cURL error 97."""
    with start_fault("socks5-failure") as proxy:
        message, diagnosis = _wp(wp_path, "http://127.0.0.1:9/", {
            "WP_PROXY_HOST": "socks5://127.0.0.1", "WP_PROXY_PORT": proxy.urls["port"]})
    assert message.startswith("cURL error 97: ")
    assert diagnosis == ["curl:97"]
