"""The PHP probe for hosts without Python, and `preflight --from probe.json`.

`source()` is the probe: `probe_template.php` with the preflight's own constants written in (its
hosts, API budget, users/me fields, clock request limit), so the probe makes the requests the
checks make. It prints raw observations as JSON; `report()` turns that JSON into the usual
CheckResults with the same code wherever the check can run on recorded answers:

    token, quota   the checks themselves, on a Context whose transport answers each request
                   with the probe's recorded observation of it (`Recorded`)
    clock          `skew.measure` replayed over the probe's samples, judged by `clock.judge`
    dns, proxy,    from the probe's lookups and handshakes, classified by the same classifier
    tls            and worded like the checks; the CA configuration judged is PHP's own

Every result says where its facts come from (`evidence.source`: the probe's PHP and libcurl).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from selftest import __version__
from selftest.checks import CHECK_NAMES, CheckResult, Finding, finding_from, fold, skipped
from selftest.checks.probes.context import API_BUDGET, DEFAULT_OTHER_HOSTS, Context, Options, Target
from selftest.clients import php
from selftest.errors import UsageError
from selftest.observe import Observation

TEMPLATE = "probe_template.php"
KIND = "selftest-probe"


def source() -> str:
    """The probe script's text, with this selftest's constants written in."""
    from selftest.checks.clock import MAX_REQUESTS
    from selftest.checks.probes.boxapi import USER_FIELDS

    defaults = {"version": __version__, "api_base": Options.api_base,
                "upload_base": Options.upload_base, "other_hosts": list(DEFAULT_OTHER_HOSTS),
                "user_fields": USER_FIELDS, "api_budget": API_BUDGET,
                "max_clock_requests": MAX_REQUESTS, "timeout_s": Options.timeout_s}
    text = (resources.files("selftest.clients") / TEMPLATE).read_text(encoding="utf-8")
    return (text.replace("@VERSION@", __version__).replace("@API_BUDGET@", str(API_BUDGET))
            .replace("@DEFAULTS@", json.dumps(defaults, indent=2)))


def load(path: str) -> dict[str, Any]:
    """The probe's JSON document. Raises UsageError when it is not one."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"--from {path}: cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise UsageError(f"--from {path}: not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise UsageError(f"--from {path}: not the JSON of `php selftest-probe.php` "
                         f"(no \"kind\": \"{KIND}\")")
    return doc


def _obs(raw: Mapping[str, Any] | None) -> Observation | None:
    if not raw:
        return None
    return php.observation_from(raw, str(raw.get("url", "")), client="php-probe")


class Recorded:
    """A Context transport answering each request with the probe's observation of it."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self._answers: dict[tuple[str, str], Observation] = {}
        for key in ("users_me", "upload_preflight"):
            raw = doc.get(key)
            obs = _obs(raw)
            if raw and obs is not None:
                self._answers[(str(raw.get("method", "GET")), _path(str(raw["url"])))] = obs

    def __call__(self, request: Any) -> Observation:
        found = self._answers.get((request.method.upper(), _path(request.url)))
        if found is not None:
            return found
        return php.observation_from({"errno": 48, "error": "the probe did not make this "
                                     f"request ({request.method} {_path(request.url)})",
                                     "phase": "setup"}, request.url, client="php-probe")


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/")


def options_from(doc: Mapping[str, Any]) -> Options:
    given = dict(doc.get("options") or {})
    size = given.get("backup_size")
    return Options(
        api_base=str(given.get("api_base") or Options.api_base),
        upload_base=str(given.get("upload_base") or Options.upload_base),
        custom_bases=bool(given.get("custom_bases")), resolve=tuple(given.get("resolve") or ()),
        timeout_s=float(given.get("timeout_s") or Options.timeout_s),
        backup_size=int(size) if size is not None else None,
        backup_name=given.get("backup_name"), folder_id=str(given.get("folder_id") or "0"),
        # The token stayed on the customer's host: the recorded answers are what it got.
        token="(used by the probe, not recorded)" if given.get("token_given") else None)


def provenance(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Where the facts come from: the probe's PHP, libcurl, CA and proxy settings."""
    curl = doc.get("curl") or {}
    about = doc.get("php") or {}
    return {"probe": doc.get("probe"), "started_at": doc.get("started_at"),
            "php": about.get("version"), "sapi": about.get("sapi"),
            "libcurl": curl.get("version"), "ssl": curl.get("ssl_version"),
            "ca": doc.get("ca"), "proxy": doc.get("proxy"), "wordpress": doc.get("wordpress")}


def report(doc: Mapping[str, Any], only: Sequence[str] = ()) -> list[CheckResult]:
    """The preflight's results from a probe's JSON, in report order."""
    from selftest.checks import quota, token

    options = options_from(doc)
    ctx = Context(options, transport=Recorded(doc))
    proxy_url = _proxy(doc)
    tunnel = _api_handshake(doc, ctx.api)
    tunnel_broken = bool(proxy_url) and tunnel is not None and _broken_at_proxy(tunnel)
    unresolved = _unresolved(doc)
    results: dict[str, CheckResult] = {
        "dns": _dns(doc), "proxy": _proxy_check(proxy_url, tunnel, doc.get("wordpress"))}
    runs: tuple[tuple[str, Callable[[], CheckResult]], ...] = (
        ("tls", lambda: _tls(doc)), ("clock", lambda: _clock(doc, ctx.api)),
        ("token", lambda: token.run(ctx)), ("quota", lambda: quota.run(ctx)))
    for name, run in runs:
        if ctx.api.host in unresolved:
            results[name] = skipped(name, f"skipped: {ctx.api.host} does not resolve (see the "
                                    "dns check)", "Fix name resolution first.")
        elif tunnel_broken:
            results[name] = skipped(name, "skipped: the proxy does not open a tunnel to "
                                    f"{ctx.api.host} (see the proxy check)",
                                    "Fix what the proxy check names first.")
        else:
            results[name] = run()
    where = provenance(doc)
    return [replace(results[n], evidence={**results[n].evidence, "source": where})
            for n in CHECK_NAMES if not only or n in only]


def _proxy(doc: Mapping[str, Any]) -> str:
    proxy = doc.get("proxy") or {}
    if proxy.get("option") is not None:
        return str(proxy["option"])
    env = proxy.get("environment") or {}
    return str(next((env[n] for n in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
                     if env.get(n)), ""))


def _api_handshake(doc: Mapping[str, Any], api: Target) -> Observation | None:
    for seen in doc.get("tls") or ():
        if seen.get("host") == api.host and int(seen.get("port", 0)) == api.port:
            return _obs(seen.get("verified"))
    return None


def _broken_at_proxy(obs: Observation) -> bool:
    return obs.connect_status >= 300 or obs.curl_code in (5, 97) or (
        obs.curl_code == 7 and obs.timings.get("connect", 0.0) <= 0.0)


def _unresolved(doc: Mapping[str, Any]) -> set[str]:
    return {str(d["host"]) for d in doc.get("dns") or ()
            if not d.get("pinned") and not d.get("literal") and not d.get("addresses")}


def _dns(doc: Mapping[str, Any]) -> CheckResult:
    from selftest.checks.dns import is_sinkhole

    findings: list[Finding] = []
    hosts = []
    for seen in doc.get("dns") or ():
        host, addresses = str(seen.get("host")), list(seen.get("addresses") or ())
        hosts.append({"host": host, "addresses": addresses, "pinned": seen.get("pinned")})
        if seen.get("pinned") or seen.get("literal"):
            findings.append(Finding("pass", ""))
        elif not addresses:
            findings.append(Finding("fail", f"{host} does not resolve on the probe's host",
                                    "Fix /etc/resolv.conf or /etc/hosts there (`getent hosts "
                                    f"{host}` as the PHP user).", ("curl:6",)))
        elif all(is_sinkhole(a) for a in addresses):
            findings.append(Finding("fail", f"{host} resolves to {', '.join(addresses)}: a DNS "
                                    "filter or an /etc/hosts entry answers for it", "Ask the DNS "
                                    "filter's owner to allow *.box.com and *.boxcloud.com.",
                                    ("curl:7",)))
    return fold("dns", findings, {"hosts": hosts},
                f"{len(hosts)} host(s) resolve on the probe's host")


def _wordpress_disagrees(wordpress: Mapping[str, Any] | None, proxy_url: str) -> Finding | None:
    """Under `wp eval-file`: WordPress's WP_PROXY_HOST/PORT against the proxy PHP's cURL uses."""
    if not wordpress or not wordpress.get("WP_PROXY_HOST"):
        return None
    wp = f"{wordpress['WP_PROXY_HOST']}:{wordpress.get('WP_PROXY_PORT', '')}"
    curl = urlsplit(proxy_url if "://" in proxy_url else f"http://{proxy_url}").netloc
    if proxy_url and wp.split("://")[-1] == curl.split("@")[-1]:
        return None
    return Finding("warn", f"WordPress goes through the proxy {wp} (WP_PROXY_HOST/PORT) but "
                   f"PHP's cURL {'through ' + proxy_url if proxy_url else 'connects directly'}",
                   "Make the proxy environment of the PHP process and the WP_PROXY_* constants "
                   "agree.")


def _proxy_check(proxy_url: str, tunnel: Observation | None,
                 wordpress: Mapping[str, Any] | None = None) -> CheckResult:
    from selftest.checks.proxy import tunnel_finding

    disagreement = _wordpress_disagrees(wordpress, proxy_url)
    if not proxy_url:
        if disagreement:
            return fold("proxy", [disagreement], {"proxy": None}, "")
        return CheckResult("proxy", "pass", "no proxy: PHP's cURL connects directly",
                           evidence={"proxy": None})
    evidence = {"proxy": proxy_url}
    if tunnel is None:
        return skipped("proxy", "the probe made no handshake with the API host")
    extra = [disagreement] if disagreement else []
    if _broken_at_proxy(tunnel) or (tunnel.curl_code in (7, 56) and tunnel.connect_status):
        return fold("proxy", [tunnel_finding(tunnel, proxy_url), *extra],
                    {**evidence, "observed": tunnel.to_dict()}, "")
    return fold("proxy", extra, evidence, f"the proxy {proxy_url} opens a tunnel to Box")


def _tls(doc: Mapping[str, Any]) -> CheckResult:
    from selftest.checks.probes.certs import chain, hostname_matches, session
    from selftest.checks.probes.resolver import literal
    from selftest.checks.tls import _STALE_REMEDY, handshake_from, session_findings
    from selftest.classify import classify

    findings: list[Finding] = []
    hosts = []
    ca = doc.get("ca") or {}
    for seen in doc.get("tls") or ():
        target = Target(str(seen["host"]), int(seen["port"]), str(seen.get("role", "")))
        verified = _obs(seen.get("verified"))
        if verified is None:
            continue
        evidence: dict[str, Any] = {"host": target.host, "port": target.port,
                                    "curl_code": verified.curl_code}
        hosts.append(evidence)
        if verified.curl_code not in (0, 60, 77, 35, 51, 58, 83, 90, 91):
            findings.append(finding_from(classify(verified), "fail",
                                         f"no TLS connection to {target.host}"))
            continue
        shown = verified if verified.curl_code == 0 else _obs(seen.get("unverified")) or verified
        certs = chain(shown.details.get("certinfo") or [])
        evidence.update(session(shown.details.get("wire") or []))
        evidence["chain"] = [c.to_dict() for c in certs]
        if certs and not literal(target.host):
            evidence["hostname_match"] = hostname_matches(certs[0], target.host)
        findings += session_findings(handshake_from(target, verified, shown))
        if verified.curl_code:
            stale = "php" if ca.get("curl.cainfo") and not ca.get("cacert") else "libcurl"
            findings.append(finding_from(classify(verified), "fail", f"PHP's cURL does not "
                                         f"verify {target.host}", _STALE_REMEDY[stale]))
    return fold("tls", findings, {"hosts": hosts, "ca": ca},
                f"{len(hosts)} host(s) verified with PHP's CA configuration")


def _clock(doc: Mapping[str, Any], api: Target) -> CheckResult:
    from selftest.checks.clock import judge, sample_from
    from selftest.checks.probes.skew import Sample, measure
    from selftest.classify import classify

    raw = list((doc.get("clock") or {}).get("samples") or ())
    observed = [(_obs(r), r) for r in raw]
    samples: list[Sample | None] = [sample_from(o, float(r["started"]), float(r["ended"]))
                                    if o is not None else None for o, r in observed]
    replayed: Iterator[Sample | None] = iter(samples)
    # The same bisection over the recorded samples, in order: no waiting, no giving up early
    # (the probe already stopped where its deadline said).
    estimate = measure(lambda: next(replayed, None), max_requests=len(samples) or 1,
                       clock=lambda: 0.0, sleep=lambda _s: None, budget_s=float("inf"))
    if estimate is None:
        last = observed[-1][0] if observed else None
        if last is not None and last.curl_code:
            return fold("clock", [finding_from(classify(last), "fail",
                                               f"cannot reach {api.host} to read its clock")],
                        {"host": api.host, "observed": last.to_dict()}, "")
        return skipped("clock", f"{api.host} sent no usable Date header")
    evidence = {"host": api.host, "skew_s": round(estimate.skew_s, 4),
                "error_s": round(estimate.error_s, 4), "requests": estimate.requests,
                "rtt_ms": round(estimate.rtt_s * 1000, 2),
                "method": "Date-header bisection (htpdate), measured by the probe"}
    if api.scheme != "https":
        return fold("clock", [Finding("warn", f"the clock was read over plain http from "
                                      f"{api.host}: nothing proves the Date header is Box's")],
                    evidence, "")
    return fold("clock", [judge(estimate)], evidence,
                f"this clock is within {abs(estimate.skew_s):.1f} s of Box's")
