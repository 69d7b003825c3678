"""Run the preflight checks concurrently, under one deadline, in a fixed report order.

dns and proxy start at once. tls, clock, token and quota wait for dns (a lookup takes
milliseconds) because a host that does not resolve cannot be reached: such a check is skipped
with that reason rather than failing a second time for the same cause. token and quota share one
`users/me` call (`selftest.checks.boxapi`), so they run side by side. Each check's own requests
are bounded by the time left before the deadline; a check still running at the deadline is
reported as failed, the others keep their results.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from selftest.checks import CHECK_NAMES, CheckResult, clock, dns, proxy, quota, tls, token
from selftest.checks.context import Context
from selftest.errors import SelftestError

Check = Callable[[Context], CheckResult]

CHECKS: dict[str, Check] = {
    "dns": dns.run, "proxy": proxy.run, "tls": tls.run,
    "clock": clock.run, "token": token.run, "quota": quota.run,
}

#: Checks that need the API host to resolve (or be reachable through a proxy).
NEEDS_API_HOST = ("tls", "clock", "token", "quota")

#: Time allowed after the deadline for checks to hand in what they have (their requests end at
#: the deadline; this covers the Python around them).
GRACE_S = 1.0


def _timed(name: str, check: Check, ctx: Context) -> CheckResult:
    started = time.monotonic()
    try:
        result = check(ctx)
    except SelftestError:
        raise
    except Exception as exc:  # a bug in a check is a harness fault, reported as one line
        raise SelftestError(f"the {name} check crashed: {type(exc).__name__}: {exc}") from exc
    return result.timed((time.monotonic() - started) * 1000)


def _prerequisite(name: str, ctx: Context, dns_result: CheckResult) -> str:
    """Why `name` cannot run after this dns result ("" when it can)."""
    unreachable = [t.host for t in ctx.targets if not dns.resolvable(dns_result, t.host)]
    ctx.unreachable = frozenset(unreachable)
    if name in NEEDS_API_HOST and ctx.api.host in unreachable:
        return f"skipped: {ctx.api.host} does not resolve (see the dns check)"
    return ""


def _after_dns(name: str, ctx: Context, dns_future: Future[CheckResult] | None) -> CheckResult:
    if dns_future is not None:
        try:
            dns_result = dns_future.result(timeout=max(0.0, ctx.deadline - time.monotonic()))
        except FutureTimeout:
            return CheckResult(name, "skip", "skipped: the dns check did not finish in time")
        reason = _prerequisite(name, ctx, dns_result)
        if reason:
            return CheckResult(name, "skip", reason, "Fix name resolution first.")
    return _timed(name, CHECKS[name], ctx)


def _late(name: str, ctx: Context) -> CheckResult:
    seconds = ctx.options.timeout_s
    return CheckResult(name, "fail", f"did not finish within --timeout {seconds:g} s",
                       "Something on the path is very slow; rerun with a larger --timeout, "
                       "or look at the other checks.", ("curl:28",))


def run(ctx: Context, only: Sequence[str] = (),
        on_done: Callable[[CheckResult], None] | None = None) -> list[CheckResult]:
    """Run the selected checks (all by default); results in CHECK_NAMES order."""
    selected = [n for n in CHECK_NAMES if not only or n in only]
    pool = ThreadPoolExecutor(max_workers=len(selected), thread_name_prefix="preflight")
    futures: dict[str, Future[CheckResult]] = {}
    try:
        for name in ("dns", "proxy"):
            if name in selected:
                futures[name] = pool.submit(_timed, name, CHECKS[name], ctx)
        for name in selected:
            if name not in futures:
                futures[name] = pool.submit(_after_dns, name, ctx, futures.get("dns"))
        if on_done is not None:
            for future in futures.values():
                future.add_done_callback(lambda f: _report(f, on_done))
        return [_collect(name, futures[name], ctx) for name in selected]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _report(future: Future[CheckResult], on_done: Callable[[CheckResult], None]) -> None:
    if not future.cancelled() and future.exception() is None:
        on_done(future.result())


def _collect(name: str, future: Future[CheckResult], ctx: Context) -> CheckResult:
    try:
        return future.result(timeout=max(0.0, ctx.deadline - time.monotonic()) + GRACE_S)
    except FutureTimeout:
        return _late(name, ctx)
