"""`selftest preflight` through PHP's cURL: `--client php`, and PHP as the second opinion.

The checks make their requests through `Context.transport`. `php_context()` gives one that sends
each Request through PHP's own `curl_*` on this host (`php_replay.php`, one process per request,
run as the Context's child: its own process group, bounded by the run's deadline, killed on
Ctrl-C). It keeps PHP's view: no CA file unless --cacert was given (so `curl.cainfo`, or
libcurl's built-in bundle, applies, as in the extension). The proxy is the one the command's
environment names (captured in the Options), set as CURLOPT_PROXY and CURLOPT_NOPROXY as for
pycurl: what PHP's libcurl would read from that environment, and what the proxy check reports.
The checks and the classifier are the same.

    --client pycurl   pycurl only
    --client php      PHP's cURL only
    (default)         pycurl, and PHP's cURL beside it when `php` with the curl extension is on
                      PATH; each check's result carries both, and where the two stacks differ
                      the check says so plainly, PHP's view deciding (it is what the extension
                      uses), both stacks' versions in the evidence.
"""

from __future__ import annotations

import _thread
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from selftest.checks import CheckResult, Status
from selftest.checks.probes.context import API_BUDGET, ApiBudget, Context, Options
from selftest.clients import dnsjail, php
from selftest.errors import SelftestError
from selftest.interrupts import wait_interruptibly
from selftest.observe import Observation
from selftest.transport import Request

CLIENTS = ("pycurl", "php")

#: The run's Box API calls (API_BUDGET) split when PHP is the second opinion: pycurl's share
#: covers its at most 3 (JWT grant, users/me, upload preflight; requests' users/me, the token
#: check's third opinion, only after pycurl's failed, so before any upload preflight); PHP gets
#: the rest (with --box-config its upload preflight is then skipped, and said so in its view).
PYCURL_SHARE = 3

_RANK: dict[Status, int] = {"fail": 3, "warn": 2, "pass": 1, "skip": 0}

#: The plain words of a difference, PHP's side first.
PHP_FAILS = "PHP's cURL — what the extension uses — fails here; this is the finding that matters"
PHP_PASSES = "PHP's cURL — what the extension uses — passes here, but pycurl's libcurl does not"


def php_context(options: Options, build: php.PhpBuild, deadline: float,
                budget: ApiBudget | None = None) -> Context:
    """A Context whose transport sends each Request through PHP's curl_exec, in PHP's
    configuration: long-lived php workers answer them (`selftest.clients.php_workers`: a fresh
    curl handle per request), stopped by the Context's cancel() — which the run calls when it
    ends, interrupted or not; a request that needs the DNS jail is a php process of its own,
    the Context's child (deadline, process group, Ctrl-C)."""
    from selftest.clients.php_workers import Workers

    holder: list[Context] = []
    workers = Workers()

    def send(request: Request) -> Observation:
        table = php.request_table(request)
        calls, why = php.php_options(table, build)
        if why is not None:
            return php.observation_from({"errno": 48, "error": why, "phase": "setup"},
                                        request.url, client="php")
        jail = onion_jail(table)
        if isinstance(jail, str):
            return php.observation_from({"errno": 48, "error": jail, "phase": "setup"},
                                        request.url, client="php")
        if jail:
            return php.run(build, table, calls, prefix=jail, runner=holder[0].run_child)
        try:
            return php.run(build, table, calls, workers=workers)
        except SelftestError as exc:  # no answer in time, or stopped by cancel(): libcurl's 28
            why = "the run was interrupted" if holder[0].cancelled.is_set() else str(exc)
            return php.observation_from({"errno": 28, "error": f"PHP gave no answer: {why}"},
                                        request.url, client="php")

    holder.append(Context(options, deadline=deadline, transport=send, budget=budget))
    holder[0].on_cancel(workers.close)
    return holder[0]


def onion_jail(table: Mapping[str, Any]) -> list[str] | str:
    """The command prefix a PHP request needs so that no DNS query leaves this machine.

    pycurl's libcurl (>= 8.1) refuses `.onion` names before any lookup, as RFC 7686 asks; PHP's
    libcurl 7 hands them to the system resolver, which would send a real query out. Such a
    request runs in the DNS jail (`clients.dnsjail`: only loopback, a local server answering
    NXDOMAIN), so PHP still gets libcurl's own "Could not resolve host". Returns [] for any
    other request, and why not (the request is then not sent) where no jail can be made.
    """
    onion = [name for name in php.names_needing_an_answer(table)
             if name.rstrip(".").lower().endswith(".onion")]
    if not onion:
        return []
    command = dnsjail.jailed([], Path(os.devnull))
    if isinstance(command, str):
        return (f"not sent through PHP: {', '.join(onion)} must never be looked up in DNS "
                f"(RFC 7686) and PHP's libcurl 7 would: {command}")
    return command


def stacks(build: php.PhpBuild | None) -> dict[str, str]:
    """Both stacks' versions, for the evidence of every compared check."""
    from selftest.transport import libcurl_version

    out = {"pycurl": libcurl_version()}
    if build is not None:
        out["php"] = f"PHP {build.php_version} {build.libcurl} {build.ssl}".replace(
            f" {build.libcurl} ", f" libcurl/{build.libcurl} ")
    return out


#: At most this long (and half the run's --timeout) for `php` to say what it is.
DESCRIBE_S = 5.0


def second_opinion(timeout_s: float = DESCRIBE_S) -> php.PhpBuild | None:
    """PHP's build when `php` with the curl extension is on PATH and answers within
    `timeout_s`, else None: a php that hangs gives no second opinion (the tls check's own PHP
    probe then says that PHP on this machine did not answer) rather than failing the run."""
    try:
        return php.describe(timeout_s=timeout_s)
    except SelftestError:  # ClientMissing (no php, no curl extension) or no answer in time
        return None


def _describe_s(options: Options) -> float:
    """How long `php describe` may take: DESCRIBE_S, at most half the run's deadline."""
    return min(DESCRIBE_S, options.timeout_s / 2)


def run(options: Options, client: str | None, only: Sequence[str] = (),
        on_done: Callable[[CheckResult], None] | None = None,
        probe_file: str | None = None) -> list[CheckResult]:
    """The preflight for --client (None: pycurl, with PHP's opinion when PHP is here), or the
    report on a probe's JSON (--from).

    Raises ClientMissing for --client php without php; RunInterrupted as preflight.run does.
    """
    from selftest import preflight

    if probe_file is not None:
        from selftest.clients import probe

        results = probe.report(probe.load(probe_file), only)
        for result in results:
            if on_done is not None:
                on_done(result)
        return results

    # One deadline for the whole run, asking php what it is included (--timeout).
    deadline = time.monotonic() + options.timeout_s
    build = None if client == "pycurl" else \
        php.describe(timeout_s=_describe_s(options)) if client == "php" else \
        second_opinion(_describe_s(options))
    # One budget of Box API calls for the whole run: split when both stacks make them.
    budget = ApiBudget(PYCURL_SHARE if build is not None and client is None else API_BUDGET)
    third = _ThirdOpinion(options, budget, deadline)
    on_done = third.wrap(on_done)
    if build is None:
        return third.all(preflight.run(Context(options, deadline=deadline, budget=budget),
                                       only=only, on_done=on_done))
    return third.all(_with_php(options, client, build, only, on_done, budget, deadline))


def _with_php(options: Options, client: str | None, build: php.PhpBuild, only: Sequence[str],
              on_done: Callable[[CheckResult], None] | None,
              budget: ApiBudget, deadline: float) -> list[CheckResult]:
    from selftest import preflight

    php_ctx = php_context(options, build, deadline,
                          budget if client == "php" else ApiBudget(API_BUDGET - budget.limit))
    versions = stacks(build)
    try:
        if client == "php":
            def mark(result: CheckResult) -> CheckResult:
                return replace(result, evidence={**result.evidence, "client": "php",
                                                 "stack": versions["php"]})
            done = (lambda r: on_done(mark(r))) if on_done else None
            return [mark(r) for r in preflight.run(php_ctx, only=only, on_done=done)]
        return _both(options, php_ctx, deadline, versions, only, on_done, budget)
    finally:
        php_ctx.cancel(settle_s=0)  # the run is over: PHP's workers (and any child) stop


class _ThirdOpinion:
    """requests' view added to the tls and token results once, whether streamed or returned;
    its users/me call (token, after libcurl's failed at TLS level) is spent from `budget`."""

    def __init__(self, options: Options, budget: ApiBudget, deadline: float) -> None:
        self.options = options
        self.budget = budget
        #: The run's deadline (--timeout) bounds requests' calls too: they come after the checks.
        self.deadline = deadline
        self._done: dict[str, CheckResult] = {}
        self._lock = threading.Lock()

    def __call__(self, result: CheckResult) -> CheckResult:
        if result.check not in ("tls", "token") or result.status == "skip":
            return result
        from selftest.clients import requests_view

        with self._lock:
            if result.check not in self._done:  # once per run: streamed and returned alike
                left_s = self.deadline - time.monotonic()
                self._done[result.check] = requests_view.annotate(
                    result, self.options, _php_codes(result), left_s) if result.check == "tls" \
                    else requests_view.annotate_token(result, self.options, self.budget, left_s)
            return self._done[result.check]

    def wrap(self, on_done: Callable[[CheckResult], None] | None
             ) -> Callable[[CheckResult], None] | None:
        return (lambda r: on_done(self(r))) if on_done else None

    def all(self, results: list[CheckResult]) -> list[CheckResult]:
        return [self(r) for r in results]


def _php_codes(result: CheckResult) -> dict[str, int]:
    """PHP's handshake code per host, from the second opinion in a tls result's evidence."""
    side = result.evidence.get("php") or {}
    hosts = (side.get("evidence") or {}).get("hosts") or () if isinstance(side, dict) else ()
    return {str(h["host"]): int(h["curl_code"]) for h in hosts
            if isinstance(h, dict) and "curl_code" in h}


def _both(options: Options, php_ctx: Context, deadline: float, versions: Mapping[str, str],
          only: Sequence[str], on_done: Callable[[CheckResult], None] | None,
          budget: ApiBudget) -> list[CheckResult]:
    """pycurl's run and PHP's side by side; each check reported once both have it."""
    from selftest import preflight

    php_results: dict[str, CheckResult] = {}
    arrived = threading.Condition()

    def php_done(result: CheckResult) -> None:
        with arrived:
            php_results[result.check] = result
            arrived.notify_all()

    failure: list[str] = []

    def php_run() -> None:
        try:
            preflight.run(php_ctx, only=only, on_done=php_done)
        except Exception as exc:  # the second opinion's fault is reported, never the run's end
            failure.append(f"{type(exc).__name__}: {exc}")
        except preflight.RunInterrupted:
            failure.append("interrupted")
        with arrived:
            arrived.notify_all()

    _thread.start_new_thread(php_run, ())  # never waited for (see interrupts.spawn)

    def php_result(name: str) -> CheckResult | None:
        def came() -> bool:
            return name in php_results or bool(failure)

        def wait(timeout_s: float | None) -> bool:
            with arrived:
                return arrived.wait_for(came, timeout=timeout_s)

        # Polled on the main thread (the results returned at the end), to see a stop signal.
        wait_interruptibly(came, wait, max(0.0, deadline - time.monotonic()) + preflight.GRACE_S)
        with arrived:
            return php_results.get(name)

    def merged(result: CheckResult) -> CheckResult:
        return merge(result, php_result(result.check), versions, "; ".join(failure))

    done = (lambda r: on_done(merged(r))) if on_done else None
    try:
        results = preflight.run(Context(options, deadline=deadline, budget=budget), only=only,
                                on_done=done)
    except preflight.RunInterrupted as stopped:
        php_ctx.cancel()
        stopped.results = [merge(r, php_results.get(r.check), versions) for r in stopped.results]
        raise
    return [merged(r) for r in results]


def merge(pycurl: CheckResult, php_side: CheckResult | None, versions: Mapping[str, str],
          failure: str = "") -> CheckResult:
    """One check seen by both stacks; where they differ, say so, PHP's view deciding."""
    evidence: dict[str, Any] = {**pycurl.evidence, "stacks": dict(versions)}
    if php_side is None:
        why = f"PHP's run failed: {failure}" if failure else "PHP's cURL gave no result in time"
        evidence["php"] = {"status": "skip", "summary": why}
        return replace(pycurl, evidence=evidence)
    evidence["php"] = {"status": php_side.status, "summary": php_side.summary,
                       "diagnosis": list(php_side.diagnosis), "evidence": dict(php_side.evidence)}
    php_worse = _RANK[php_side.status] > _RANK[pycurl.status] or (
        php_side.status == "fail" and _pycurl_connected(pycurl.evidence))
    if (php_side.status == pycurl.status and not php_worse) or \
            "skip" in (php_side.status, pycurl.status):
        return replace(pycurl, evidence=evidence)
    if php_worse:
        return replace(pycurl, status=php_side.status, remedy=php_side.remedy,
                       diagnosis=php_side.diagnosis, evidence=evidence,
                       summary=f"{PHP_FAILS}: {php_side.summary} (pycurl's libcurl "
                               f"{versions['pycurl']}: {pycurl.status}: {pycurl.summary})")
    return replace(pycurl, status="warn", evidence=evidence,
                   summary=f"{PHP_PASSES} ({versions['pycurl']}: {pycurl.summary}); "
                           f"{versions.get('php', 'PHP')}: {php_side.summary}")


def _pycurl_connected(evidence: Mapping[str, Any]) -> bool:
    """True when pycurl's own handshakes all verified (the tls check's per-host `stores`), so a
    failing pycurl check failed only on another store's verdict — PHP's, seen from outside."""
    hosts = evidence.get("hosts") or ()
    verdicts = [h.get("stores", {}).get("libcurl") for h in hosts if isinstance(h, dict)]
    return bool(verdicts) and all(v == 0 for v in verdicts)
