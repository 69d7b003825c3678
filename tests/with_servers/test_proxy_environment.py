"""The proxy a preflight reports is the one its transfers take, through real libcurl: both come
from the command's Environment, never from this process's own proxy variables.

A proxy.py proxy that demands credentials (the `proxy-auth-required` fault) answers 407 to any
CONNECT that reaches it, so a 407 proves the transfer went through it; everything is on loopback.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from php_here import needs_php
from preflight_servers import healthy_box

from selftest import transport
from selftest.cli import main
from selftest.clients import php
from selftest.environment import Environment
from selftest.fakebox.server import RunningBox
from selftest.faults import FaultServer, start_fault


@pytest.fixture(scope="module")
def box() -> Iterator[RunningBox]:
    with healthy_box() as fake:
        yield fake


@pytest.fixture
def proxy() -> Iterator[FaultServer]:
    with start_fault("proxy-auth-required", user="user", password="right-one") as server:
        yield server


def test_noproxy_given_wins_over_the_process(box: RunningBox, proxy: FaultServer,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A Request's noproxy ("" here) is libcurl's NO_PROXY: the process's NO_PROXY, which
    would exempt 127.0.0.1, is not read, and the transfer goes through the proxy (407)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    request = transport.Request(url=box.url, proxy=proxy.urls["proxy"], noproxy="",
                                verify=False, timeout_ms=10_000,
                                options={"CONNECT_ONLY": 1, "HTTPPROXYTUNNEL": 1})
    obs = transport.perform(request)
    assert obs.connect_status == 407, obs
    assert transport.proxy_in_use(box.url, proxy.urls["proxy"], "") == proxy.urls["proxy"]


@needs_php
def test_php_is_handed_the_same_noproxy(box: RunningBox, proxy: FaultServer,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """PHP's cURL, the second opinion, gets the Request's noproxy as CURLOPT_NOPROXY: the
    NO_PROXY its process inherits is not read either."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    request = transport.Request(url=box.url, proxy=proxy.urls["proxy"], noproxy="",
                                verify=False, timeout_ms=10_000,
                                options={"CONNECT_ONLY": 1, "HTTPPROXYTUNNEL": 1})
    build, table = php.describe(), php.request_table(request)
    calls, why = php.php_options(table, build)
    assert why is None
    assert ["CURLOPT_NOPROXY", ""] in [[name, value] for _, value, name in calls]
    assert php.run(build, table, calls).connect_status == 407


def test_preflight_goes_through_the_environments_proxy(box: RunningBox,
                                                       proxy: FaultServer) -> None:
    """With the proxy named only in the command's Environment (os.environ names none), the proxy
    check reports it and the run's own path probe is refused by it: tls is skipped, pointing at
    the proxy check."""
    out, err = io.StringIO(), io.StringIO()
    environ = {"HTTPS_PROXY": proxy.urls["proxy"], "BOX_ACCESS_TOKEN": box.token}
    status = main(["preflight", "--json", "--client", "pycurl", "--api-base", box.url,
                   "--upload-base", box.upload_url, "--cacert", box.ca or "", "--timeout", "20",
                   "--only", "proxy", "--only", "tls"],
                  Environment(io.StringIO(), out, err, environ=environ))
    checks = {c["check"]: c for c in json.loads(out.getvalue())["checks"]}
    assert status == 1, err.getvalue()
    assert checks["proxy"]["evidence"]["libcurl"]["proxy"] == proxy.urls["proxy"]
    assert "http:407" in checks["proxy"]["diagnosis"]
    assert checks["tls"]["status"] == "skip" and "proxy check" in checks["tls"]["summary"]
