"""The clock check against a loopback server whose Date header is offset from real time."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme
from preflight_servers import MiniBox, serve_minibox

from selftest.checks import clock
from selftest.checks.probes.context import Context, Options
from selftest.checks.probes.skew import Estimate


def measure(offset_s: float, tmp_path: Path) -> clock.CheckResult:
    """The clock check against a server over https (its Date is then the server's own)."""
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with serve_minibox(MiniBox(clock_offset_s=offset_s, ca=ca)) as box:
        options = Options(api_base=box.url, upload_base=box.url, custom_bases=True,
                          cacert=str(ca_file))
        return clock.run(Context(options))


@pytest.mark.slow
def test_small_skew_is_measured_sub_second(tmp_path: Path) -> None:
    """A server 0.4 s ahead is measured to within 50 ms, with at most 8 requests, and passes."""
    result = measure(0.4, tmp_path)
    assert result.status == "pass", result.summary
    assert abs(result.evidence["skew_s"] + 0.4) <= 0.05
    assert result.evidence["requests"] <= 8
    assert result.evidence["error_s"] <= 0.05


@pytest.mark.slow
def test_server_far_behind_fails_as_exp_too_far(tmp_path: Path) -> None:
    """A local clock 45 s ahead of the server fails with the 'exp' too far diagnosis."""
    result = measure(-45, tmp_path)
    assert result.status == "fail"
    assert result.diagnosis == ("oauth:invalid_grant:exp-too-far",)
    assert "NTP" in result.remedy


def test_unreachable_server_is_classified() -> None:
    """No connection to the API host fails with libcurl's code (here 7, refused)."""
    options = Options(api_base="http://127.0.0.1:9", upload_base="http://127.0.0.1:9",
                      custom_bases=True, timeout_s=5)
    result = clock.run(Context(options))
    assert result.status == "fail"
    assert result.diagnosis[0] == "curl:7"


@pytest.mark.parametrize(("skew_s", "status", "ids"), [
    (-30.5, "fail", ("oauth:invalid_grant:exp",)),
    (-29.0, "warn", ()),
    (29.9, "fail", ("oauth:invalid_grant:exp-too-far",)),
    (4.0, "pass", ()),
    (-6.0, "warn", ()),
])
def test_judgement_against_the_jwt_window(skew_s: float, status: str,
                                          ids: tuple[str, ...]) -> None:
    """Skews are judged against exp = now + 30 s, with the measurement error counted against."""
    finding = clock.judge(Estimate(skew_s, 0.2, 8, 0.001))
    assert finding.status == status
    assert finding.diagnosis == ids


@pytest.mark.slow
def test_clock_over_plain_http_is_not_box_clock() -> None:
    """Over plain http nothing proves the Date header is Box's: the clock check only warns."""
    with serve_minibox(MiniBox()) as box:
        options = Options(api_base=box.url, upload_base=box.url, custom_bases=True)
        result = clock.run(Context(options))
    assert result.status == "warn"
    assert "plain http" in result.summary and "https://" in result.remedy
