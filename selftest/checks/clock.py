"""The clock check: is this machine's clock close enough to Box's for a JWT grant to pass?

Box checks a JWT assertion's `exp` against its own clock: it must be in the future, and at most
60 s ahead (docs/facts.md §3). The SDKs send exp = now + 30 s, so a local clock 30 s or more
BEHIND Box gets "Current date/time MUST be before the expiration date/time listed in the 'exp'
claim", and one more than 30 s AHEAD gets "Please check the 'exp' claim". The skew is measured
against the API host's `Date` header with `selftest.checks.probes.skew` (sub-second, ≤ 8 requests).
The requests are unauthenticated HEADs of the host's root: no API call is spent on them.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any

from selftest.checks import CheckResult, Finding, finding_from, fold, skipped
from selftest.checks.probes.boxconfig import ASSERTION_LIFETIME_S
from selftest.checks.probes.context import Context
from selftest.checks.probes.reach import UNKNOWN, Reach
from selftest.checks.probes.skew import Estimate, Sample, measure
from selftest.classify import classify
from selftest.observe import Observation

#: Warn from this skew on: other clients (and certificate checks) are less tolerant.
WARN_SKEW_S = 5.0
MAX_REQUESTS = 8

_NTP = ("Synchronise the web host's clock with NTP (`timedatectl set-ntp true`, or chrony / "
        "ntpd); on shared hosting ask the provider. Then retry the connection in the plugin.")


def sample_from(obs: Observation, started: float, ended: float) -> Sample | None:
    """A Sample from one response: the stamp lies between sending and the first response byte."""
    date = obs.headers.get("date")
    if obs.curl_code or not date:
        return None
    try:
        server_second = int(parsedate_to_datetime(date).timestamp())
    except (TypeError, ValueError):
        return None
    timings = obs.timings
    # Time spent in Python around libcurl's own clock (setup, teardown) widens the window: the
    # bounds stay conservative.
    overhead = max(0.0, (ended - started) - timings.get("total", 0.0))
    lo = started + timings.get("pretransfer", 0.0)
    hi = started + timings.get("starttransfer", 0.0) + overhead
    return Sample(started, lo, max(lo, hi), server_second)


def judge(estimate: Estimate) -> Finding:
    """Pass, warn or fail for a measured skew (local minus Box)."""
    skew, margin = estimate.skew_s, estimate.error_s
    # Behind by L s or more: exp = now + L is already past for Box. Ahead by more than L s:
    # exp is more than 60 s ahead of Box. The measurement error counts against the user.
    if skew < 0 and -skew + margin >= ASSERTION_LIFETIME_S:
        return Finding("fail", f"this clock is {-skew:.1f} s behind Box: a JWT with exp = now + "
                       f"{ASSERTION_LIFETIME_S} s is already expired by Box's clock", _NTP,
                       ("oauth:invalid_grant:exp",))
    if skew > 0 and skew + margin >= ASSERTION_LIFETIME_S:
        return Finding("fail", f"this clock is {skew:.1f} s ahead of Box: a JWT's exp lands more "
                       "than 60 s ahead of Box's clock", _NTP, ("oauth:invalid_grant:exp-too-far",))
    if abs(skew) >= WARN_SKEW_S:
        side = "ahead of" if skew > 0 else "behind"
        return Finding("warn", f"this clock is {abs(skew):.1f} s {side} Box: within the JWT "
                       f"window of ±{ASSERTION_LIFETIME_S} s, but drifting", _NTP)
    return Finding("pass", "")


def run(ctx: Context, reach: Reach = UNKNOWN) -> CheckResult:
    """Measure the skew against the API host's Date header and judge it."""
    url = ctx.api.url
    last: list[Observation] = []

    def probe() -> Sample | None:
        """One HEAD request to the API host: its Date header as a Sample (None without one)."""
        started = time.time()
        timeout_ms = min(10_000, ctx.remaining_ms())
        obs = ctx.perform(ctx.request(url, method="HEAD", timeout_ms=timeout_ms))
        last.append(obs)
        return sample_from(obs, started, time.time())

    budget = max(0.0, ctx.remaining_ms() / 1000 - 2.0)
    estimate = measure(probe, max_requests=MAX_REQUESTS, budget_s=budget)
    if estimate is None:
        obs = last[-1]
        if obs.curl_code:
            return fold("clock", [finding_from(classify(obs), "fail",
                                               f"cannot reach {ctx.api.host} to read its clock")],
                        {"host": ctx.api.host, "observed": obs.to_dict()}, "")
        return skipped("clock", f"{ctx.api.host} sent no usable Date header")
    evidence: dict[str, Any] = {
        "host": ctx.api.host, "skew_s": round(estimate.skew_s, 4),
        "error_s": round(estimate.error_s, 4), "requests": estimate.requests,
        "rtt_ms": round(estimate.rtt_s * 1000, 2), "method": "Date-header bisection (htpdate)",
    }
    if ctx.api.scheme != "https":
        # Over plain http anything on the path may have written the Date: no verdict about Box.
        evidence["judged"] = False
        return fold("clock", [Finding(
            "warn", f"the clock was read over plain http from {ctx.api.host} (skew "
            f"{estimate.skew_s:+.1f} s): nothing proves the Date header is Box's",
            "Give --api-base as https:// to measure against Box itself.")], evidence, "")
    findings = [judge(estimate)]
    summary = (f"clock within {abs(estimate.skew_s):.2f} ± {estimate.error_s:.3f} s "
               f"of {ctx.api.host}")
    return fold("clock", findings, evidence, summary)
