"""The preflight runner (concurrency, prerequisites, deadline) and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from preflight_servers import MiniBox, serve_minibox

from selftest import preflight
from selftest.checks import CHECK_NAMES, CheckResult
from selftest.checks.probes.context import Context, Options
from selftest.checks.probes.reach import PathProbe, Reach
from selftest.cli import main
from selftest.observe import Observation

LOCAL = ["--api-base", "http://127.0.0.1:9", "--upload-base", "http://127.0.0.1:9/api"]


def sleeper(name: str, seconds: float, spans: dict[str, tuple[float, float]]):  # type: ignore[no-untyped-def]
    def check(ctx: Context, reach: Reach) -> CheckResult:
        started = time.monotonic()
        time.sleep(seconds)
        spans[name] = (started, time.monotonic())
        return CheckResult(name, "pass", "ok")
    return check


def open_path(ctx: Context) -> PathProbe:
    """A path probe that found the way open, without a packet sent."""
    return PathProbe(ctx.api, "", Observation())


def test_checks_run_concurrently(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checks after dns all run at the same time, and results come in contract order."""
    monkeypatch.setattr(preflight, "probe_path", open_path)
    spans: dict[str, tuple[float, float]] = {}
    for name in CHECK_NAMES:
        monkeypatch.setitem(preflight.CHECKS, name, sleeper(name, 0.2, spans))
    results = preflight.run(Context(Options(timeout_s=10)))
    assert [r.check for r in results] == list(CHECK_NAMES)
    later = [spans[n] for n in ("tls", "clock", "token", "quota")]
    assert max(s for s, _ in later) < min(e for _, e in later)  # all four overlapped
    assert spans["proxy"][0] < spans["dns"][1]  # proxy did not wait for dns


def test_unresolvable_api_host_skips_dependent_checks() -> None:
    """When the API host does not resolve, tls, clock, token and quota are skipped saying so."""
    options = Options(api_base="https://box-api.onion", upload_base="https://box-up.onion/api",
                      custom_bases=True, token="t0ken-for-test", timeout_s=10)
    results = {r.check: r for r in preflight.run(Context(options))}
    assert results["dns"].status == "fail"
    assert results["dns"].diagnosis == ("curl:6",)
    for name in ("tls", "clock", "token", "quota"):
        assert results[name].status == "skip"
        assert "box-api.onion does not resolve" in results[name].summary


def test_deadline_fails_a_check_that_hangs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A check still running at the deadline is reported failed; the others keep their results."""
    release = threading.Event()

    def hangs(ctx: Context, reach: Reach) -> CheckResult:
        release.wait(5)
        return CheckResult("clock", "pass", "late")

    monkeypatch.setattr(preflight, "probe_path", open_path)
    monkeypatch.setitem(preflight.CHECKS, "clock", hangs)
    monkeypatch.setattr(preflight, "GRACE_S", 0.1)
    try:
        results = {r.check: r for r in preflight.run(Context(Options(timeout_s=0.3)),
                                                     only=["clock", "proxy"])}
    finally:
        release.set()
    assert results["clock"].status == "fail"
    assert results["clock"].diagnosis == ("curl:28",)
    assert results["proxy"].status == "pass"


def test_a_crashing_check_is_a_harness_fault(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A bug in a check is one line on stderr and exit 3, never a traceback."""
    def broken(ctx: Context, reach: Reach) -> CheckResult:
        raise ZeroDivisionError("oops")

    monkeypatch.setitem(preflight.CHECKS, "proxy", broken)
    assert main(["preflight", "--only", "proxy"]) == 3
    err = capsys.readouterr().err
    assert "proxy check crashed" in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ["--backup-size", "lots"],
    ["--token-file", "/nonexistent/token"],
    ["--resolve", "api.box.com:443"],
    ["--api-base", "ftp://example"],
    ["--box-config", "/nonexistent/config.json"],
    ["--only", "nothing"],
    ["--cacert", "/nonexistent/ca.pem"],
    ["--timeout", "0"],
    ["--backup-file", "/nonexistent/backup.wpress"],
    ["--wp-path", "/nonexistent/wordpress"],
])
def test_bad_input_is_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Each unusable input is one line on stderr and exit 2."""
    assert main(["preflight", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("selftest:")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_bad_box_config_is_a_usage_error(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A Box app config without a private key is refused before anything runs."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"boxAppSettings": {"clientID": "x"}}))
    assert main(["preflight", "--box-config", str(config)]) == 2
    assert "lacks boxAppSettings.appAuth.privateKey" in capsys.readouterr().err


def test_json_report_and_junit(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    """--json follows docs/contracts.md §3; --junit-xml writes one case per check; a 401 is
    exit 1 and the token never appears."""
    secret = "very-secret-token-value"
    monkeypatch.setenv("BOX_ACCESS_TOKEN", secret)
    junit = tmp_path / "preflight.xml"
    route = lambda *a: (401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}, b"")  # noqa: E731
    with serve_minibox(MiniBox(route)) as box:
        status = main(["preflight", "--api-base", box.url, "--upload-base", box.url,
                       "--only", "token", "--only", "quota", "--json", "--junit-xml", str(junit)])
    out = capsys.readouterr().out
    assert status == 1
    document = json.loads(out)
    assert document["schema_version"] == 1
    assert [c["check"] for c in document["checks"]] == ["token", "quota"]
    for check in document["checks"]:
        assert set(check) == {"check", "status", "summary", "remedy", "diagnosis", "evidence",
                              "duration_ms"}
    assert document["checks"][0]["diagnosis"][:2] == ["http:401", "oauth:invalid_token"]
    xml = junit.read_text()
    assert xml.count("<testcase") == 2 and "<failure" in xml
    assert secret not in out and secret not in xml


def test_text_report_lists_problems_with_catalog_text(capsys: pytest.CaptureFixture[str]) -> None:
    """The text report has one line per check and, for a failure, diagnosis and remedy."""
    status = main(["preflight", "--api-base", "https://box-api.onion",
                   "--upload-base", "https://box-up.onion/api", "--only", "dns"])
    out = capsys.readouterr().out
    assert status == 1
    assert out.splitlines()[0].startswith("FAIL  dns")
    assert "diagnosis: curl:6" in out and "remedy:" in out
    assert "curl:6: " in out  # the catalog's summary of the entry


def test_secrets_never_printed_in_text(capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy password from the environment never appears in the text report."""
    monkeypatch.setenv("HTTPS_PROXY", "http://bob:pr0xy-s3cret@127.0.0.1:9")
    main(["preflight", *LOCAL, "--only", "proxy", "--only", "dns"])
    out = capsys.readouterr().out
    assert "pr0xy-s3cret" not in out
    assert "127.0.0.1:9" in out


def test_subprocess_run() -> None:
    """`python -m selftest preflight --json` works as a separate process, exit 1 on a failure."""
    done = subprocess.run([sys.executable, "-m", "selftest", "preflight", "--json", "--only",
                           "dns", "--api-base", "https://nothing.onion",
                           "--upload-base", "https://nothing-up.onion/api"],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["checks"][0]["status"] == "fail"


def test_merged_findings_keep_the_chain_order() -> None:
    """Two findings' ids, merged, still read outermost first (http before box)."""
    from selftest.checks import Finding, fold

    result = fold("quota", [Finding("fail", "no room", "", ("box:storage_limit_exceeded",)),
                            Finding("fail", "preflight refused", "",
                                    ("http:403", "box:storage_limit_exceeded"))], {}, "ok")
    assert result.diagnosis == ("http:403", "box:storage_limit_exceeded")
