"""A preflight run takes its proxy variables and wp-config.php from one place, once: the
Environment the command was given (never os.environ) and a single read of --wp-config.

The command runs in-process (`main` with an Environment); libcurl is replaced by a
MockTransport (`selftest.transport.perform` patched), so no socket is opened.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from selftest import transport
from selftest.ca import CaBundle
from selftest.checks.probes import proxyenv
from selftest.checks.probes.context import Context, Options
from selftest.checks.probes.mock import MockTransport
from selftest.cli import main
from selftest.debuginfo import debug_lines
from selftest.environment import Environment
from selftest.observe import Observation

API = ["--api-base", "https://127.0.0.1:8443", "--upload-base", "https://127.0.0.1:8443/api"]
COMMAND_PROXY = "http://127.0.0.1:3128"
PROCESS_PROXY = "http://process-proxy.invalid:1"


def tunnel_opens(request: transport.Request) -> Observation:
    """Every handshake succeeds (through a proxy: CONNECT 200); no certificate to compare."""
    return Observation(curl_code=0, phase="tls", connect_status=200 if request.proxy else 0)


@pytest.fixture
def libcurl(monkeypatch: pytest.MonkeyPatch) -> MockTransport:
    """What the run hands libcurl, recorded; the process itself names another proxy."""
    mock = MockTransport(tunnel_opens)
    monkeypatch.setattr(transport, "perform", lambda request, **_: mock(request))
    monkeypatch.setenv("https_proxy", PROCESS_PROXY)
    monkeypatch.setenv("NO_PROXY", "*")
    return mock


def preflight(environ: Mapping[str, str], *argv: str, only: str = "proxy"
              ) -> tuple[int, dict[str, Any], str]:
    """`selftest preflight --json --only proxy` (pycurl only) with `environ` as the command's
    environment: (exit status, the proxy check, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = main(["preflight", "--json", "--client", "pycurl", "--only", only, *API, *argv],
                  Environment(io.StringIO(), out, err, environ=dict(environ)))
    checks = json.loads(out.getvalue())["checks"] if out.getvalue() else [{}]
    return status, checks[0], err.getvalue()


def test_proxy_check_reports_the_commands_proxy(libcurl: MockTransport) -> None:
    """The proxy check names the proxy of the command's Environment, not os.environ's, and
    every transfer is handed that proxy and its NO_PROXY (so libcurl reads neither itself)."""
    status, check, err = preflight({"https_proxy": COMMAND_PROXY, "NO_PROXY": "example.com"})
    assert status == 0, err
    assert check["evidence"]["libcurl"] == {"proxy": COMMAND_PROXY, "source": "https_proxy",
                                            "no_proxy_match": None}
    assert libcurl.requests
    assert {(r.proxy, r.noproxy) for r in libcurl.requests} == {(COMMAND_PROXY, "example.com")}


def test_no_proxy_of_the_command_applies(libcurl: MockTransport) -> None:
    """The Environment's NO_PROXY exempts the API host, whatever os.environ's says."""
    environ = {"HTTPS_PROXY": COMMAND_PROXY, "no_proxy": "127.0.0.1"}
    status, check, err = preflight(environ)
    assert status == 0, err
    assert check["evidence"]["libcurl"]["no_proxy_match"] == "no_proxy=127.0.0.1"
    assert check["summary"] == "no proxy: PHP's cURL connects to Box directly"


def test_proxy_variables_are_captured_once() -> None:
    """A captured environment is a copy: changing the environment afterwards changes nothing."""
    environ = {"https_proxy": COMMAND_PROXY, "PATH": "/bin"}
    captured = proxyenv.capture(environ)
    environ["https_proxy"] = PROCESS_PROXY
    assert dict(captured) == {"https_proxy": COMMAND_PROXY}
    assert proxyenv.proxy_for("api.box.com", None, captured).url == COMMAND_PROXY


WP_CONFIG = ("<?php\ndefine('WP_PROXY_HOST', '127.0.0.1');\ndefine('WP_PROXY_PORT', '3128');\n"
             "define('WP_PROXY_PASSWORD', 'wp-s3cret-pw');\n")


def test_wp_config_is_read_once_per_run(libcurl: MockTransport, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """One preflight run opens --wp-config exactly once (validation, redaction and the proxy
    check all use what that read found)."""
    config = tmp_path / "wp-config.php"
    config.write_text(WP_CONFIG)
    opened: list[str] = []
    real_open = builtins.open

    def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | os.PathLike) and Path(file) == config:
            opened.append(os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(io, "open", counting_open)
    status, check, err = preflight({"https_proxy": COMMAND_PROXY}, "--wp-config", str(config))
    assert status == 0, err
    assert check["evidence"]["wordpress"]["proxy"] == "http://127.0.0.1:3128"
    assert len(opened) == 1, opened


def test_bad_wp_config_is_a_usage_error_before_any_check(libcurl: MockTransport,
                                                          tmp_path: Path) -> None:
    """A file that is no wp-config.php is still one stderr line and exit 2, nothing sent."""
    config = tmp_path / "wp-config.php"
    config.write_text("<?php echo 'no constants here';\n")
    status, _, err = preflight({}, "--wp-config", str(config))
    assert status == 2
    assert err.count("\n") == 1 and "defines no PHP constants" in err
    assert libcurl.requests == []


def test_ca_bundle_comes_from_the_commands_environment(libcurl: MockTransport, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """CURL_CA_BUNDLE of the command's Environment is the bundle every transfer verifies with
    and the one `--debug` names (`debug_lines`), whatever this process's own variable says."""
    bundle = tmp_path / "command-ca.pem"
    bundle.write_text("not read: the transfers are mocked\n")
    process_bundle = tmp_path / "process-ca.pem"
    process_bundle.write_text("not read either\n")
    monkeypatch.setenv("CURL_CA_BUNDLE", str(process_bundle))
    environ = {"https_proxy": COMMAND_PROXY, "CURL_CA_BUNDLE": str(bundle)}
    preflight(environ)  # the proxy check: its tunnel
    assert [r.cainfo for r in libcurl.requests] == [str(bundle)]
    # The tls check hands its handshake cainfo=None when no --cacert was given (PHP's cURL then
    # takes its php.ini's store): libcurl still gets the run's bundle, not this process's.
    libcurl.requests.clear()
    ctx = Context(Options(ca_bundle=CaBundle(str(bundle), "CURL_CA_BUNDLE")))
    ctx.perform(ctx.request("https://api.box.com/", cainfo=None))
    assert [r.cainfo for r in libcurl.requests] == [str(bundle)]
    monkeypatch.setattr(platform, "platform", lambda: "a platform")  # (it would run uname -p)
    assert f"ca bundle {bundle} (from CURL_CA_BUNDLE)" in debug_lines(environ)
