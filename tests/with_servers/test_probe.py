"""The PHP probe for hosts without Python, and `preflight --from` on its JSON.

`selftest probe-script` writes one PHP file; run with the host's PHP against the fake Box it
records raw observations; `selftest preflight --from` turns them into the usual report. For each
case below the statuses and diagnoses must equal those of the direct preflight.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from php_here import needs_php

from selftest.cli import main
from selftest.clients.probe import source
from selftest.fakebox.server import RunningBox, running
from selftest.faults import start_fault

GB = 1024**3




@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("probe") / "selftest-probe.php"
    assert main(["probe-script", "--output", str(path)]) == 0
    return path


def _probe(script: Path, box: RunningBox, tmp_path: Path, *extra: str,
           token: str | None = None) -> tuple[Path, str]:
    """Run the probe with the host's php; (its JSON file, its stdout)."""
    token_file = tmp_path / "token.txt"
    token_file.write_text(token if token is not None else box.token)
    done = subprocess.run(["php", str(script), "--token-file", str(token_file), "--api-base",
                           box.url, "--upload-base", box.upload_url, "--timeout", "30", *extra],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "probe.json"
    out.write_text(done.stdout)
    return out, done.stdout


def _report(capsys: pytest.CaptureFixture[str], argv: list[str],
            token: str | None = None) -> dict[str, tuple[str, list[str]]]:
    with pytest.MonkeyPatch.context() as patch:
        if token is not None:
            patch.setenv("BOX_ACCESS_TOKEN", token)
        main(["preflight", "--json", *argv])
    checks = json.loads(capsys.readouterr().out)["checks"]
    return {c["check"]: (c["status"], c["diagnosis"]) for c in checks}


def _same(script: Path, box: RunningBox, tmp_path: Path, capsys: pytest.CaptureFixture[str],
          *extra: str, token: str | None = None,
          cacert: bool = True) -> dict[str, tuple[str, list[str]]]:
    """Probe + --from, and the direct pycurl preflight: assert equal; return them.

    The probe (a php process) runs while the direct preflight runs here: each spends seconds
    waiting on the fake's clock ticks (the clock check's bisection), and neither needs the other.
    """
    ca = ["--cacert", box.ca or ""] if cacert else []
    with ThreadPoolExecutor(max_workers=1) as pool:
        probed = pool.submit(_probe, script, box, tmp_path, *ca, *extra, token=token)
        direct = _report(capsys, ["--client", "pycurl", "--api-base", box.url, "--upload-base",
                                  box.upload_url, "--timeout", "30", *ca, *extra],
                         token=token if token is not None else box.token)
        probe_json, _ = probed.result()
    from_probe = _report(capsys, ["--from", str(probe_json)])
    assert _generation_neutral(from_probe) == _generation_neutral(direct)
    return from_probe


#: libcurl 7.x (PHP's) and 8.x (pycurl's) name a refused CONNECT tunnel differently: 56 and 7
#: (scenarios/curl-7-proxy-auth-required.toml, [expect.libcurl7]); the proxy's status is the same.
_SAME_CAUSE = {"curl:56": "curl:7"}


def _generation_neutral(seen: dict[str, tuple[str, list[str]]]) -> dict[str, Any]:
    """Statuses and diagnoses, with libcurl 7's code for a refused tunnel spelt as 8's."""
    return {name: (status, [_SAME_CAUSE.get(i, i) if "http:407" in ids else i for i in ids])
            for name, (status, ids) in seen.items()}


@pytest.fixture
def box() -> Iterator[RunningBox]:
    with running(tls=True, space_amount=10 * GB, space_used=GB, max_upload_size=5 * GB) as fake:
        yield fake


@needs_php
def test_the_probe_is_valid_php(script: Path) -> None:
    """`php -l` finds no syntax error in the written probe."""
    done = subprocess.run(["php", "-l", str(script)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout


def test_the_probe_keeps_to_php_72_syntax() -> None:
    """No construct newer than PHP 7.2 (a lexical look: arrow functions, ??=, match, ?->,
    attributes, trailing commas in calls, typed properties, named arguments)."""
    text = source()
    newer = {"arrow function": r"\bfn\s*\(", "??=": r"\?\?=", "match": r"\bmatch\s*\(",
             "nullsafe ?->": r"\?->", "attribute": r"^\s*#\[", "trailing comma": r",\s*\)",
             "typed property": r"^\s*(public|private|protected)\s+\??[a-z]+\s+\$",
             "str_contains": r"\bstr_(contains|starts_with|ends_with)\("}
    found = {name for name, pattern in newer.items()
             if re.search(pattern, text, re.MULTILINE | re.IGNORECASE)}
    assert found == set()
    assert "curl_init" in text and "json_encode" in text
    assert not re.search(r"^\s*(require|include)", text, re.MULTILINE)  # self-contained


@pytest.mark.slow
@needs_php
def test_clean_pass(script: Path, box: RunningBox, tmp_path: Path,
                    capsys: pytest.CaptureFixture[str]) -> None:
    """A healthy fake: every check passes from the probe's JSON, as it does directly."""
    seen = _same(script, box, tmp_path, capsys, "--backup-size", "2G")
    assert {status for status, _ in seen.values()} == {"pass"}


@pytest.mark.slow
@needs_php
@pytest.mark.parametrize("offset_s", [120.0, -120.0])
def test_clock_skew(offset_s: float, script: Path, tmp_path: Path,
                    capsys: pytest.CaptureFixture[str]) -> None:
    """A fake 120 s off: the probe's samples give the same JWT diagnosis as the direct run."""
    with running(tls=True, clock_offset_s=offset_s) as fake:
        seen = _same(script, fake, tmp_path, capsys)
    assert seen["clock"][0] == "fail"


@pytest.mark.slow
@needs_php
def test_quota_full(script: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A full account: quota fails with storage_limit_exceeded both ways."""
    with running(tls=True, space_amount=10 * GB, space_used=10 * GB - 1000) as fake:
        seen = _same(script, fake, tmp_path, capsys, "--backup-size", "500MB")
    assert "box:storage_limit_exceeded" in seen["quota"][1]


@pytest.mark.slow
@needs_php
def test_401(script: Path, box: RunningBox, tmp_path: Path,
             capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown token: token fails with invalid_token both ways; the token is never printed."""
    token = "never-issued-token-123"
    seen = _same(script, box, tmp_path, capsys, token=token)
    assert seen["token"][1][:2] == ["http:401", "oauth:invalid_token"]
    _, printed = _probe(script, box, tmp_path, "--cacert", box.ca or "", token=token)
    assert token not in printed and box.token not in printed


@pytest.mark.slow
@needs_php
def test_proxy_407(script: Path, box: RunningBox, tmp_path: Path,
                   capsys: pytest.CaptureFixture[str]) -> None:
    """A proxy wanting credentials: proxy fails with http:407 both ways, the rest skipped."""
    with start_fault("proxy-auth-required", user="user", password="proxy-pass-123") as proxy:
        seen = _same(script, box, tmp_path, capsys, "--proxy", proxy.urls["proxy"])
    assert seen["proxy"][0] == "fail" and "http:407" in seen["proxy"][1]


@pytest.mark.slow
@needs_php
def test_untrusted_ca(script: Path, box: RunningBox, tmp_path: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    """No --cacert: neither PHP's CA configuration nor pycurl's bundle trusts the fake: 60."""
    seen = _same(script, box, tmp_path, capsys, cacert=False)
    assert seen["tls"][0] == "fail" and "curl:60" in seen["tls"][1]


@pytest.mark.slow
@needs_php
def test_probe_json_names_the_stack(script: Path, box: RunningBox, tmp_path: Path) -> None:
    """The probe reports PHP's and libcurl's versions and PHP's CA and proxy settings."""
    _, printed = _probe(script, box, tmp_path, "--cacert", box.ca or "")
    doc: dict[str, Any] = json.loads(printed)
    assert doc["kind"] == "selftest-probe" and doc["php"]["version"]
    assert doc["curl"]["version"] and doc["curl"]["ssl_version"]
    assert "curl.cainfo" in doc["ca"] and "environment" in doc["proxy"]
    assert len(doc["api_calls"]) <= 5


def test_from_refuses_other_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--from with a file that is not a probe's JSON is a usage error (exit 2)."""
    other = tmp_path / "other.json"
    other.write_text('{"checks": []}')
    assert main(["preflight", "--from", str(other)]) == 2
    assert "selftest-probe" in capsys.readouterr().err


def test_php_is_only_needed_on_the_probed_host() -> None:
    """The probe script is written without php on PATH (it is only text)."""
    assert shutil.which("selftest-no-such-php") is None
    assert source().startswith("<?php")


@pytest.mark.slow
@needs_php
def test_the_probe_keeps_its_deadline(script: Path, tmp_path: Path) -> None:
    """A Box host that accepts and never answers: every request ends at the probe's deadline
    (libcurl's 28), and the probe still prints its JSON."""
    with start_fault("stall") as silent:
        url = silent.urls["url"].replace("http://", "https://")
        done = subprocess.run(["php", str(script), "--api-base", url, "--upload-base", url,
                               "--timeout", "2"], capture_output=True, text=True, timeout=60,
                              check=False)
    doc = json.loads(done.stdout)
    assert [seen["verified"]["errno"] for seen in doc["tls"]] == [28]
    assert doc["options"]["timeout_s"] == 2


@pytest.mark.slow
@needs_php
def test_inside_wordpress(script: Path, box: RunningBox, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    """As `wp eval-file` runs it (WordPress loaded, WP-CLI's `$args`): the probe reads WP_PROXY_*
    (password blanked) and WordPress's CA bundle, and --from warns that WordPress's proxy is
    not the one PHP's cURL uses."""
    wrapper = tmp_path / "wp-eval.php"
    wrapper.write_text(
        "<?php define('ABSPATH', '/srv/wp/'); define('WPINC', 'wp-includes'); "
        "define('WP_CLI', true); $GLOBALS['wp_version'] = '6.1.9'; "
        "define('WP_PROXY_HOST', '127.0.0.1'); define('WP_PROXY_PORT', '9'); "
        "define('WP_PROXY_USERNAME', 'site'); define('WP_PROXY_PASSWORD', 'wp-proxy-secret'); "
        f"$args = array('--api-base', '{box.url}', '--upload-base', '{box.upload_url}', "
        f"'--cacert', '{box.ca}', '--timeout', '20'); include '{script}';\n")
    done = subprocess.run(["php", str(wrapper)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert "wp-proxy-secret" not in done.stdout
    doc = json.loads(done.stdout)
    assert doc["wordpress"]["WP_PROXY_HOST"] == "127.0.0.1"
    assert doc["wordpress"]["WP_PROXY_PASSWORD"] == "[redacted]"
    assert doc["wordpress"]["ca_bundle"] == "/srv/wp/wp-includes/certificates/ca-bundle.crt"
    (tmp_path / "probe.json").write_text(done.stdout)
    checks = {c["check"]: c for c in json.loads(
        _report_text(capsys, ["--from", str(tmp_path / "probe.json")]))["checks"]}
    assert checks["proxy"]["status"] == "warn"
    assert "WP_PROXY_HOST" in checks["proxy"]["summary"]


def _report_text(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    main(["preflight", "--json", *argv])
    return capsys.readouterr().out
