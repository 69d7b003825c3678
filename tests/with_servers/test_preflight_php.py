"""`selftest preflight` through PHP's own cURL: `--client php`, and PHP as the second opinion.

Against the fake Box over HTTPS (its test CA): PHP's view must agree with pycurl's on every case
where the two stacks do not really differ, and where they do (a CA file only one of them trusts),
the difference is reported plainly, PHP's view deciding.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from php_here import needs_php
from preflight_servers import full_box, healthy_box
from preflight_servers import preflight_json as preflight

from selftest.cli import main
from selftest.clients import opinions, php
from selftest.environment import Environment
from selftest.fakebox.server import RunningBox, running
from selftest.faults import start_fault
from selftest.faults._certs import pki

pytestmark = needs_php


def both(box: RunningBox, capsys: pytest.CaptureFixture[str], *extra: str,
         token: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same run through pycurl only and through PHP only, side by side: each spends seconds
    waiting on the fake's clock ticks (the clock check), and neither needs the other. The PHP
    run is `main` on a thread of its own with its own streams (an Environment)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        php_run = pool.submit(_preflight_apart, box, "--client", "php", *extra, token=token)
        _, py = preflight(box, capsys, "--client", "pycurl", *extra, token=token)
        ph = php_run.result()
    return py, ph


def _preflight_apart(box: RunningBox, *extra: str, token: str | None) -> dict[str, Any]:
    """`selftest preflight --json` against `box` writing to its own streams: checks by name."""
    out = io.StringIO()
    environ = {**os.environ, "BOX_ACCESS_TOKEN": token if token is not None else box.token}
    main(["preflight", "--json", "--api-base", box.url, "--upload-base", box.upload_url,
          "--timeout", "30", "--cacert", box.ca or "", *extra],
         Environment(io.StringIO(), out, io.StringIO(), environ=environ))
    return {c["check"]: c for c in json.loads(out.getvalue())["checks"]}


def _statuses(checks: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    return {name: (c["status"], c["diagnosis"]) for name, c in checks.items()}


@pytest.fixture
def box() -> Iterator[RunningBox]:
    with healthy_box() as fake:
        yield fake


@pytest.mark.slow
def test_clean_pass_through_php(box: RunningBox, capsys: pytest.CaptureFixture[str]) -> None:
    """Every check passes through PHP's cURL, and says which stack made its requests."""
    status, checks = preflight(box, capsys, "--client", "php", "--backup-size", "2G")
    assert {n: c["status"] for n, c in checks.items()} == dict.fromkeys(
        ("dns", "proxy", "tls", "clock", "token", "quota"), "pass")
    assert status == 0
    assert checks["tls"]["evidence"]["client"] == "php"
    assert "libcurl/" in checks["tls"]["evidence"]["stack"]


def test_second_opinion_by_default(box: RunningBox, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --client, each check carries PHP's status and both stacks' versions."""
    status, checks = preflight(box, capsys, "--only", "tls", "--only", "token")
    assert status == 0
    for check in checks.values():
        assert check["evidence"]["php"]["status"] == "pass"
        assert set(check["evidence"]["stacks"]) == {"pycurl", "php"}


@pytest.mark.slow
@pytest.mark.parametrize("offset_s", [120.0, -120.0])
def test_clock_skew_agrees(offset_s: float, capsys: pytest.CaptureFixture[str]) -> None:
    """A fake clock 120 s off: PHP's and pycurl's clock checks name the same JWT cause."""
    with running(tls=True, clock_offset_s=offset_s) as fake:
        py, ph = both(fake, capsys, "--only", "clock")
    assert _statuses(py) == _statuses(ph)
    assert ph["clock"]["status"] == "fail"


def test_quota_full_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    """A full account fails quota the same way through both stacks."""
    with full_box() as fake:
        py, ph = both(fake, capsys, "--only", "quota", "--backup-size", "500MB")
    assert _statuses(py) == _statuses(ph)
    assert "box:storage_limit_exceeded" in ph["quota"]["diagnosis"]


def test_401_agrees(box: RunningBox, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown token fails token with invalid_token through both stacks."""
    py, ph = both(box, capsys, "--only", "token", token="never-issued-token-123")
    assert _statuses(py) == _statuses(ph)
    assert ph["token"]["diagnosis"][:2] == ["http:401", "oauth:invalid_token"]


def test_proxy_407_agrees(box: RunningBox, capsys: pytest.CaptureFixture[str]) -> None:
    """A proxy answering 407 fails the proxy check with http:407 through both stacks."""
    with start_fault("proxy-auth-required", user="user", password="proxy-pass-123") as proxy:
        py, ph = both(box, capsys, "--only", "proxy", "--proxy", proxy.urls["proxy"])
    assert py["proxy"]["status"] == ph["proxy"]["status"] == "fail"
    assert "http:407" in ph["proxy"]["diagnosis"]


@pytest.fixture
def php_trusts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set PHP's curl.cainfo (an extra php.ini scanned after the system's) to a CA file."""
    def trust(ca_file: str) -> None:
        (tmp_path / "99-selftest.ini").write_text(f"curl.cainfo = {ca_file}\n")
        monkeypatch.setenv("PHP_INI_SCAN_DIR", f":{tmp_path}")
    return trust


def test_php_ca_stale_while_pycurl_passes(box: RunningBox, php_trusts: Any,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """pycurl trusts the server (CURL_CA_BUNDLE), PHP's curl.cainfo does not: PHP's 60 decides."""
    php_trusts(pki().placeholders()["other_ca"])
    monkeypatch.setenv("CURL_CA_BUNDLE", box.ca or "")
    status, checks = preflight(box, capsys, "--only", "tls", cacert=False)
    tls = checks["tls"]
    assert status == 1
    assert tls["status"] == "fail"
    assert tls["summary"].startswith(opinions.PHP_FAILS)
    assert "curl:60" in tls["diagnosis"]
    assert set(tls["evidence"]["stacks"]) == {"pycurl", "php"}


def test_php_trusts_where_pycurl_does_not(box: RunningBox, php_trusts: Any,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """PHP's curl.cainfo trusts the server, pycurl's bundle does not: reported, as a warning."""
    php_trusts(box.ca or "")
    status, checks = preflight(box, capsys, "--only", "tls", cacert=False)
    tls = checks["tls"]
    assert tls["status"] == "warn"
    assert tls["summary"].startswith(opinions.PHP_PASSES)
    assert tls["evidence"]["php"]["status"] in ("pass", "warn")  # certifi lacks the test CA
    assert status == 0


def test_requests_is_the_third_opinion(box: RunningBox, php_trusts: Any,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """libcurl's bundle lacks the CA, certifi (given as REQUESTS' store here) and PHP trust it:
    the tls summary says the bundle is what differs, naming requests/certifi and PHP."""
    import certifi

    php_trusts(box.ca or "")
    monkeypatch.setattr(certifi, "where", lambda: box.ca or "")
    _, checks = preflight(box, capsys, "--only", "tls", cacert=False)
    tls = checks["tls"]
    (host,) = [h for h in tls["evidence"]["hosts"] if "requests" in h]
    assert host["requests"]["code"] == 0
    assert "requests/certifi and PHP pass" in tls["summary"]
    assert tls["evidence"]["requests"]["version"]


def test_requests_agrees_when_every_stack_has_the_ca(box: RunningBox,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """With --cacert every stack is given the test CA: requests agrees, nothing is added."""
    status, checks = preflight(box, capsys, "--client", "pycurl", "--only", "tls")
    (host,) = [h for h in checks["tls"]["evidence"]["hosts"] if "requests" in h]
    assert host["requests"]["code"] == 0
    assert status == 0 and "requests/certifi" not in checks["tls"]["summary"]


def test_onion_names_reach_php_only_inside_the_dns_jail(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A .onion request goes to PHP's libcurl 7 only in the DNS jail (no real DNS query);
    any other request runs PHP directly."""
    prefixes: list[list[str]] = []
    real_run = php.run

    def recording_run(build: php.PhpBuild, table: Any, calls: Any, prefix: Any = (),
                      runner: Any = None) -> Any:
        prefixes.append(list(prefix))
        return real_run(build, table, calls, prefix=prefix, runner=runner)

    jail = opinions.onion_jail({"url": "https://box-api.onion/2.0/users/me"})
    if isinstance(jail, str):
        pytest.skip(jail)
    monkeypatch.setattr(php, "run", recording_run)
    assert opinions.onion_jail({"url": "https://127.0.0.1:1/"}) == []
    status = main(["preflight", "--client", "php", "--json", "--timeout", "10",
                   "--api-base", "https://box-api.onion", "--upload-base",
                   "https://box-up.onion/api", "--only", "tls"])
    assert status == 1
    assert prefixes, "PHP was never asked"
    assert all(p[:len(jail)] == jail for p in prefixes)


def test_php_requests_are_answered_by_a_few_long_lived_workers(
        box: RunningBox, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`--client php` sends every request through PHP's curl_exec, but starts far fewer php
    processes than it sends requests (a worker answers many, one at a time), and none is left
    running when the run is over."""
    started: list[subprocess.Popen[Any]] = []
    requests: list[str] = []
    real_popen, real_run = subprocess.Popen, php.run

    def counting_popen(argv: Any, *args: Any, **kwargs: Any) -> subprocess.Popen[Any]:
        process = real_popen(argv, *args, **kwargs)
        if os.path.basename(str(argv[0])) == "php":
            started.append(process)
        return process

    def counting_run(build: Any, client: Any, *args: Any, **kwargs: Any) -> Any:
        requests.append(str(client.get("url")))
        return real_run(build, client, *args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", counting_popen)
    monkeypatch.setattr(php, "run", counting_run)
    status, checks = preflight(box, capsys, "--client", "php")
    assert status == 0, {n: c["summary"] for n, c in checks.items()}
    assert len(requests) >= 8  # the clock's HEAD requests alone
    assert 1 <= len(started) < len(requests) / 2, (len(started), len(requests))
    assert all(process.poll() is not None for process in started)
