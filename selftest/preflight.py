"""Run the preflight checks concurrently, under one deadline, in a fixed report order.

dns and a probe of the way to the API host (`selftest.checks.probes.reach`) start at once. proxy
waits for the probe (its tunnel is the probe's, opened once); tls, clock, token and quota wait for
dns and the probe, and are handed what they found as a typed `Reach`:

    the API host does not resolve        tls, clock, token, quota skipped: see the dns check
    the proxy does not open a tunnel     tls, clock, token, quota skipped: see the proxy check
    the server refuses / tarpits it      tls fails with that cause; clock, token, quota skipped

so that one fault is reported once, with one cause, where it is. token and quota share one
`users/me` call (`selftest.checks.probes.boxapi`), so they run side by side. Each check's own
requests are bounded by the time left before the deadline; a check still running at the deadline
is reported as failed, the others keep their results.

Checks run on daemon threads, never waited for at exit: on Ctrl-C or SIGTERM the run stops
waiting at once, reports what finished (the rest "interrupted"), cancels the context (no new
request starts, requests under way are aborted, child processes are killed; it waits a bounded
moment for their threads to leave libcurl) and raises `Interrupted` with those results.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TypeVar

from selftest.checks import CHECK_NAMES, CheckResult, clock, dns, fold, proxy, quota, tls, token
from selftest.checks.probes.context import Context
from selftest.checks.probes.reach import UNKNOWN, PathProbe, Reach, probe
from selftest.checks.proxy import tunnel_finding
from selftest.errors import SelftestError
from selftest.interrupts import spawn, wait_futures

T = TypeVar("T")
Check = Callable[[Context, Reach], CheckResult]

CHECKS: dict[str, Check] = {
    "dns": dns.run, "proxy": proxy.run, "tls": tls.run,
    "clock": clock.run, "token": token.run, "quota": quota.run,
}

#: Checks that need the API host to resolve (or be reachable through a proxy).
NEEDS_API_HOST = ("tls", "clock", "token", "quota")

#: Time allowed after the deadline for checks to hand in what they have (their requests end at
#: the deadline; this covers the Python around them).
GRACE_S = 1.0

#: The probe of the way to the API host; a module attribute so that tests can replace it.
probe_path: Callable[[Context], PathProbe] = probe


class RunInterrupted(KeyboardInterrupt):
    """Raised by `run` when Ctrl-C or a stop signal ended it: `results` holds what finished (in
    report order, unfinished checks as "interrupted"), `cause` the KeyboardInterrupt itself."""

    def __init__(self, results: list[CheckResult], cause: KeyboardInterrupt) -> None:
        super().__init__(*cause.args)
        self.results = results
        self.cause = cause


def _result_within(future: Future[T], timeout_s: float) -> T | None:
    """The future's result (its exception raised), or None when it is not in within
    `timeout_s`; on the main thread polled, so that a stop signal is seen at once."""
    if not wait_futures([future], timeout_s):
        return None
    return future.result()


def _timed(name: str, check: Check, ctx: Context, reach: Reach) -> CheckResult:
    started = time.monotonic()
    try:
        result = check(ctx, reach)
    except SelftestError:
        raise
    except Exception as exc:  # a bug in a check is a harness fault, reported as one line
        raise SelftestError(f"the {name} check crashed: {type(exc).__name__}: {exc}") from exc
    return result.timed((time.monotonic() - started) * 1000)


def _wait(future: Future[T] | None, ctx: Context) -> T | None:
    """A prerequisite's value; None when there is none or it did not come in time."""
    if future is None:
        return None
    return _result_within(future, max(0.0, ctx.deadline - time.monotonic()) + GRACE_S / 2)


def _owner(broken_at: str, selected: Sequence[str]) -> str:
    """The check that reports a broken way: the proxy (or tls) check when it runs, else the first
    selected check that needs the way — so that a fault is never only a skip."""
    first = "proxy" if broken_at == "proxy" else "tls"
    if first in selected:
        return first
    return next((n for n in NEEDS_API_HOST if n in selected), first)


def _before(name: str, ctx: Context, reach: Reach, selected: Sequence[str]) -> CheckResult | None:
    """What `name` reports without running, after its prerequisites failed (None: it runs)."""
    host = ctx.api.host
    if name not in NEEDS_API_HOST:
        return None
    if host in reach.unresolved:
        return CheckResult(name, "skip", f"skipped: {host} does not resolve (see the dns check)",
                           "Fix name resolution first.")
    at_proxy, at_server = reach.path_broken_at("proxy"), reach.path_broken_at("server")
    if at_proxy is not None:
        broken, cause = at_proxy, tunnel_finding(at_proxy.obs, at_proxy.proxy)
        owner, see, remedy = _owner("proxy", selected), "the proxy check", "Fix the proxy first."
    elif at_server is not None and name != "tls":
        broken, cause = at_server, tls.path_finding(at_server)
        owner, see = _owner("server", selected), "the tls check"
        remedy = "Fix what the tls check names first."
    else:
        return None
    if name == owner:
        return fold(name, [cause], {"observed": broken.obs.to_dict()}, "")
    return CheckResult(name, "skip", f"skipped: {cause.summary} (see {see})", remedy)


def _after(name: str, ctx: Context, selected: Sequence[str],
           dns_future: Future[CheckResult] | None,
           path_future: Future[PathProbe] | None) -> CheckResult:
    """Wait for the prerequisites, then run `name` or say why it is skipped; the duration
    counts the wait (the probe's handshake is this check's time too)."""
    started = time.monotonic()
    result = _after_prerequisites(name, ctx, selected, dns_future, path_future)
    return result.timed((time.monotonic() - started) * 1000)


def _after_prerequisites(name: str, ctx: Context, selected: Sequence[str],
                         dns_future: Future[CheckResult] | None,
                         path_future: Future[PathProbe] | None) -> CheckResult:
    dns_result = _wait(dns_future, ctx)
    if dns_future is not None and dns_result is None:
        return CheckResult(name, "skip", "skipped: the dns check did not finish in time",
                           "Rerun with a larger --timeout.")
    unresolved = dns_result.unresolved if isinstance(dns_result, dns.DnsResult) else frozenset()
    reach = Reach(unresolved=unresolved, path=_wait(path_future, ctx))
    verdict = _before(name, ctx, reach, selected)
    if verdict is not None:
        return verdict
    if ctx.cancelled.is_set():
        return _interrupted(name)
    return _timed(name, CHECKS[name], ctx, reach)


def _late(name: str, ctx: Context) -> CheckResult:
    seconds = ctx.options.timeout_s
    return CheckResult(name, "fail", f"did not finish within --timeout {seconds:g} s",
                       "Something on the path is very slow; rerun with a larger --timeout, "
                       "or look at the other checks.", ("curl:28",))


def _interrupted(name: str) -> CheckResult:
    return CheckResult(name, "skip", "interrupted before it finished",
                       "Run selftest preflight again and let it finish.")


def _proxied(ctx: Context) -> bool:
    """Whether libcurl goes to the API host through a proxy (then the proxy check waits for the
    path probe, whose tunnel it judges)."""
    return bool(ctx.proxy_for(ctx.api.host).url)


def run(ctx: Context, only: Sequence[str] = (),
        on_done: Callable[[CheckResult], None] | None = None) -> list[CheckResult]:
    """Run the selected checks (all by default); results in CHECK_NAMES order.

    Raises RunInterrupted (with what finished) on Ctrl-C or a stop signal."""
    selected = [n for n in CHECK_NAMES if not only or n in only]
    futures: dict[str, Future[CheckResult]] = {}
    collected: dict[str, CheckResult] = {}
    try:
        _start(ctx, selected, futures, on_done)
        for name in selected:
            collected[name] = _collect(name, futures[name], ctx)
    except KeyboardInterrupt as exc:
        # What finished before the signal, taken before cancel(): the requests it aborts end
        # their checks with "aborted" observations, which are not findings.
        results = [collected.get(n) or _finished(n, futures.get(n)) for n in selected]
        ctx.cancel()
        raise RunInterrupted(results, exc) from None
    return [collected[n] for n in selected]


def _start(ctx: Context, selected: Sequence[str], futures: dict[str, Future[CheckResult]],
           on_done: Callable[[CheckResult], None] | None) -> None:
    """Start the path probe and the selected checks, each on its own thread."""
    proxied = _proxied(ctx)
    needs_path = any(n in NEEDS_API_HOST for n in selected) or ("proxy" in selected and proxied)
    path_future = spawn(probe_path, ctx) if needs_path else None
    then = None if on_done is None else lambda f: _report(f, ctx, on_done)
    if "dns" in selected:
        futures["dns"] = spawn(_timed, "dns", CHECKS["dns"], ctx, UNKNOWN, then=then)
    for name in selected:
        if name == "proxy":
            futures[name] = spawn(_after, name, ctx, selected, None,
                                   path_future if proxied else None, then=then)
        elif name not in futures:
            futures[name] = spawn(_after, name, ctx, selected, futures.get("dns"),
                                   path_future, then=then)


def _report(future: Future[CheckResult], ctx: Context,
            on_done: Callable[[CheckResult], None]) -> None:
    """Hand a finished check to `on_done`, unless the run was cancelled first (a check ended by
    the cancel is reported as interrupted, by `run`)."""
    if not future.cancelled() and future.exception() is None and not ctx.cancelled.is_set():
        on_done(future.result())


def _finished(name: str, future: Future[CheckResult] | None) -> CheckResult:
    """A check's result if it is in, else "interrupted" (never waits)."""
    if (future is not None and future.done() and not future.cancelled()
            and future.exception() is None):
        return future.result()
    return _interrupted(name)


def _collect(name: str, future: Future[CheckResult], ctx: Context) -> CheckResult:
    result = _result_within(future, max(0.0, ctx.deadline - time.monotonic()) + GRACE_S)
    return _late(name, ctx) if result is None else result
