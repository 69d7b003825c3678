"""The proxy and tls checks: real CONNECT tunnels (proxy.py, an intercepting proxy) and real
handshakes with a trustme CA, plus a fake `php` on PATH."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from preflight_servers import InterceptingProxy, MiniBox, serve_minibox

from selftest.checks import proxy, tls
from selftest.checks.probes import proxyenv, wpconfig
from selftest.checks.probes.context import Context, Options
from selftest.checks.probes.reach import Reach

PROXY_PASSWORD = "pr0xy-pa55word"


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_box(ca: trustme.CA, tmp_path: Path) -> Iterator[tuple[MiniBox, str]]:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with serve_minibox(MiniBox(ca=ca)) as box:
        yield box, str(ca_file)


def options_for(box: MiniBox, cacert: str, **more: object) -> Options:
    return Options(api_base=box.url, upload_base=box.url + "/api", custom_bases=True,
                   cacert=cacert, timeout_s=10, **more)  # type: ignore[arg-type]


@contextlib.contextmanager
def auth_proxy() -> Iterator[int]:
    import proxy as proxy_py  # here, not at collection: ~0.06 s of CPU in every xdist worker

    logging.getLogger("proxy").setLevel(logging.CRITICAL)
    with proxy_py.Proxy(["--hostname", "127.0.0.1", "--port", "0", "--basic-auth",
                         f"user:{PROXY_PASSWORD}", "--num-workers", "1",
                         "--num-acceptors", "1"]) as running:
        yield running.flags.port


def test_no_proxy_passes_without_traffic(https_box: tuple[MiniBox, str]) -> None:
    """Without any proxy the check says so and opens no connection."""
    box, ca_file = https_box
    result = proxy.run(Context(options_for(box, ca_file)))
    assert result.status == "pass"
    assert "directly" in result.summary
    assert box.requests == []


def test_proxy_demanding_auth_fails_with_407(https_box: tuple[MiniBox, str]) -> None:
    """A proxy answering CONNECT with 407 fails as http:407 under libcurl's code, and says what
    to set (libcurl 8 reports a refused CONNECT as 56 or, in newer builds, 7)."""
    box, ca_file = https_box
    with auth_proxy() as port:
        env = {"HTTPS_PROXY": f"http://user:wrong-password@127.0.0.1:{port}"}
        result = proxy.run(Context(options_for(box, ca_file, proxy_env=proxyenv.capture(env))))
    assert result.status == "fail"
    assert result.diagnosis[0] in ("curl:56", "curl:7")
    assert result.diagnosis[1] == "http:407"
    assert "407" in result.summary
    assert "WP_PROXY_USERNAME" in result.remedy
    assert "wrong-password" not in str(result.to_dict())


def test_proxy_with_credentials_tunnels(https_box: tuple[MiniBox, str]) -> None:
    """With the right credentials the tunnel opens and the certificate is Box's own."""
    box, ca_file = https_box
    with auth_proxy() as port:
        url = f"http://user:{PROXY_PASSWORD}@127.0.0.1:{port}"
        result = proxy.run(Context(options_for(box, ca_file, proxy=url)))
    assert result.status == "pass", result.summary
    assert result.evidence["tunnels"][0]["same_certificate"] is True
    assert PROXY_PASSWORD not in str(result.to_dict())


@pytest.mark.parametrize(("proxy_url", "code"), [
    ("http://127.0.0.1:9", "curl:7"), ("http://no-such-proxy.onion:3128", "curl:5")])
def test_proxy_refused_or_unresolvable(https_box: tuple[MiniBox, str], proxy_url: str,
                                       code: str) -> None:
    """A refused proxy is curl:7; an unresolvable proxy host is curl:5."""
    box, ca_file = https_box
    result = proxy.run(Context(options_for(box, ca_file, proxy=proxy_url)))
    assert result.status == "fail"
    assert result.diagnosis[0] == code


def test_intercepting_proxy_is_detected(https_box: tuple[MiniBox, str]) -> None:
    """A proxy re-signing TLS with its own CA fails as curl:60, naming the CA it used."""
    box, ca_file = https_box
    with InterceptingProxy() as mitm:
        result = proxy.run(Context(options_for(box, ca_file, proxy=mitm.url)))
    assert result.status == "fail", result.summary
    assert result.diagnosis == ("curl:60",)
    assert "Inspection CA" in result.summary
    assert result.evidence["tunnels"][0]["same_certificate"] is False


def test_wordpress_and_libcurl_disagree(https_box: tuple[MiniBox, str], tmp_path: Path) -> None:
    """WP_PROXY_HOST without a matching environment proxy is a disagreement (warn)."""
    box, ca_file = https_box
    config = tmp_path / "wp-config.php"
    config.write_text("<?php define('WP_PROXY_HOST', 'wp-proxy.onion');"
                      "define('WP_PROXY_PORT', '3128');"
                      "define('WP_PROXY_PASSWORD', 'wp-proxy-secret');")
    result = proxy.run(Context(options_for(box, ca_file, wp_config=str(config),
                                           wp_settings=wpconfig.load(str(config)))))
    assert result.status == "fail"  # the WordPress proxy itself does not resolve
    assert "WordPress goes http://wp-proxy.onion:3128" in result.summary
    assert "wp-proxy-secret" not in str(result.to_dict())


def test_tls_reports_the_session(https_box: tuple[MiniBox, str]) -> None:
    """A good handshake reports protocol, cipher, ALPN, chain and expiry, and passes."""
    box, ca_file = https_box
    result = tls.run(Context(options_for(box, ca_file)))
    assert result.status == "pass", result.summary
    host = result.evidence["hosts"][0]
    assert host["protocol"] in ("TLSv1.2", "TLSv1.3")
    assert host["cipher"]
    assert host["chain"][0]["days_left"] > 300
    assert host["stores"]["libcurl"] == 0
    assert box.requests == []


def test_tls_unknown_ca_fails_as_curl_60(https_box: tuple[MiniBox, str]) -> None:
    """A chain no store trusts fails as curl:60 and still shows the chain it saw."""
    box, _ = https_box
    other = trustme.CA()
    with other.cert_pem.tempfile() as other_ca:
        result = tls.run(Context(options_for(box, other_ca)))
    assert result.status == "fail"
    assert result.diagnosis[0] == "curl:60"
    assert result.evidence["hosts"][0]["chain"]


def test_stale_wordpress_bundle_is_named(https_box: tuple[MiniBox, str], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """When the public store verifies and WordPress's bundle does not, WordPress's is stale."""
    box, ca_file = https_box
    monkeypatch.setattr(tls.certifi, "where", lambda: ca_file)  # the test CA plays "public"
    bundle = tmp_path / "wp" / "wp-includes" / "certificates"
    bundle.mkdir(parents=True)
    trustme.CA().cert_pem.write_to_path(str(bundle / "ca-bundle.crt"))
    result = tls.run(Context(options_for(box, ca_file, wp_path=str(tmp_path / "wp"))))
    assert result.status == "warn", result.summary
    assert "wordpress CA store" in result.summary
    assert "Update WordPress" in result.remedy


def fake_php(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cainfo: str) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "php"
    report = ('{"php": "8.2.1", "curl": "7.29.0", "ssl": "OpenSSL/1.0.2k", '
              f'"curl_cainfo": "{cainfo}", "openssl_cafile": "", "default_cert_file": "", '
              '"ini": "/etc/php.ini"}')
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{report}\nEOF\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")


def test_php_missing_cainfo_fails_as_curl_77(https_box: tuple[MiniBox, str], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """php.ini's curl.cainfo naming a missing file is cURL error 77 for the plugin."""
    box, ca_file = https_box
    fake_php(tmp_path, monkeypatch, "/nonexistent/cacert.pem")
    result = tls.run(Context(options_for(box, ca_file)))
    assert result.status == "fail"
    assert "curl:77" in result.diagnosis
    assert result.evidence["php"]["curl_version"] == "7.29.0"
    assert result.evidence["php"]["ssl_version"] == "OpenSSL/1.0.2k"


def test_php_stale_cainfo_is_named(https_box: tuple[MiniBox, str], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A curl.cainfo that does not verify Box (while the public store does) fails, named php."""
    box, ca_file = https_box
    monkeypatch.setattr(tls.certifi, "where", lambda: ca_file)
    stale = tmp_path / "stale.pem"
    trustme.CA().cert_pem.write_to_path(str(stale))
    fake_php(tmp_path, monkeypatch, str(stale))
    result = tls.run(Context(options_for(box, ca_file)))
    assert result.status == "fail", result.summary
    assert "php CA store" in result.summary
    assert "curl.cainfo" in result.remedy


def test_plain_http_base_is_not_tls() -> None:
    """An http:// base has no handshake: tls warns saying so and never says 'verified'."""
    with serve_minibox(MiniBox()) as box:
        options = Options(api_base=box.url, upload_base=box.url + "/api", custom_bases=True,
                          timeout_s=10)
        result = tls.run(Context(options))
    assert result.status == "warn"
    assert "plain http" in result.summary and "verified" not in result.summary.replace(
        "nothing is encrypted or verified", "")
    assert "--api-base" in result.remedy


def test_skipped_hosts_are_not_counted_as_verified(https_box: tuple[MiniBox, str]) -> None:
    """Hosts the dns check found unreachable are reported as skipped, not as verified."""
    box, ca_file = https_box
    ctx = Context(options_for(box, ca_file, extra_hosts=("gone.invalid", "lost.invalid")))
    result = tls.run(ctx, Reach(unresolved=frozenset({"gone.invalid", "lost.invalid"})))
    assert result.status == "pass", result.summary
    assert result.summary.startswith("verified 1 host(s)")
    assert "2 skipped" in result.summary
