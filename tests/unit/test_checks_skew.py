"""The Date-header split search, against a simulated server with a known skew and round trip."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from selftest.checks.probes.skew import SPLIT, Sample, _next_send, measure


class SimulatedServer:
    """A server whose clock is `skew_s` behind local time; time is virtual (sleep advances it)."""

    def __init__(self, skew_s: float, rtt_s: float, start: float = 1_700_000_000.25) -> None:
        self.skew_s, self.rtt_s, self.now = skew_s, rtt_s, start
        self.requests = 0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def probe(self) -> Sample:
        self.requests += 1
        started = self.now
        lo = started + 0.0001
        stamp = lo + random.uniform(0, self.rtt_s)  # noqa: S311 (anywhere in the round trip)
        hi = lo + self.rtt_s
        self.now = hi + 0.0001
        return Sample(started, lo, hi, math.floor(stamp - self.skew_s))


@pytest.mark.parametrize("skew_s", [-120.0, -0.731, 0.0, 0.5, 29.99, 120.0, 3600.123])
def test_bisection_finds_the_skew(skew_s: float) -> None:
    """With a 1 ms round trip, 8 requests measure any skew to within 10 ms."""
    random.seed(skew_s)
    server = SimulatedServer(skew_s, rtt_s=0.001)
    estimate = measure(server.probe, clock=server.clock, sleep=server.sleep)
    assert estimate is not None
    assert abs(estimate.skew_s - skew_s) <= estimate.error_s + 1e-9
    assert estimate.error_s <= 0.01
    assert estimate.requests <= 8 and server.requests == estimate.requests


def test_error_is_bounded_by_the_round_trip() -> None:
    """A 200 ms round trip limits the precision to about the round trip, and the bound holds."""
    random.seed(7)
    server = SimulatedServer(-42.37, rtt_s=0.2)
    estimate = measure(server.probe, clock=server.clock, sleep=server.sleep)
    assert estimate is not None
    assert abs(estimate.skew_s + 42.37) <= estimate.error_s
    assert estimate.error_s <= 0.25


def test_no_date_gives_no_estimate() -> None:
    """When the first request brings no Date there is nothing to measure."""
    assert measure(lambda: None) is None


def test_budget_stops_the_bisection() -> None:
    """The bisection stops when the next request would start after the time budget."""
    server = SimulatedServer(1.5, rtt_s=0.001)
    estimate = measure(server.probe, clock=server.clock, sleep=server.sleep, budget_s=0.0)
    assert estimate is not None and estimate.requests == 1
    assert estimate.error_s > 0.4


def test_each_request_splits_the_window_near_its_middle_at_the_soonest_instant() -> None:
    """The send time makes the stamp land on a point of the window's middle fifth (modulo the
    server's second), and no sooner time would: either at once, or as that fifth comes round."""
    rng = random.Random(3)  # noqa: S311 (reproducible test data)
    for _ in range(2000):
        low = rng.uniform(-5, 5)
        high = low + rng.uniform(0.01, 1.0)
        lead, now = rng.uniform(0, 0.05), 1_700_000_000 + rng.uniform(0, 1)
        send = _next_send(low, high, lead, now)
        stamp, soonest = send + lead, now + lead + 0.002
        width = high - low
        first, last = low + width * SPLIT, high - width * SPLIT
        tick = math.floor(stamp - first)
        assert first - 1e-6 <= stamp - tick <= last + 1e-6
        assert stamp >= soonest - 1e-9
        assert math.isclose(stamp, soonest) or math.isclose(stamp - tick, first, abs_tol=1e-6)


def test_the_same_eight_requests_take_less_waiting_than_strict_bisection() -> None:
    """Over 300 simulated runs (1 ms round trip, virtual time): the bound always holds, the
    median error stays about 2 ms, the worst reported error within 25 ms, and the median run
    waits under 3.2 s of virtual time (strict bisection: 3.6 s — each split point the clock has
    just passed cost nearly a second)."""
    spent, errors, reported = [], [], []
    for seed in range(300):
        random.seed(seed)  # the simulated server's round trips
        skew_s = random.Random(seed).uniform(-200, 200)  # noqa: S311
        server = SimulatedServer(skew_s, rtt_s=0.001)
        started = server.now
        estimate = measure(server.probe, clock=server.clock, sleep=server.sleep)
        assert estimate is not None and estimate.requests <= 8
        assert abs(estimate.skew_s - skew_s) <= estimate.error_s + 1e-9
        spent.append(server.now - started)
        errors.append(abs(estimate.skew_s - skew_s))
        reported.append(estimate.error_s)
    assert statistics.median(errors) <= 0.003
    assert max(reported) <= 0.025
    assert statistics.median(spent) < 3.2
