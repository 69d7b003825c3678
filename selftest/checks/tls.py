"""The tls check: the handshake with each Box host, verified against every CA store in play.

For each host: protocol, cipher, ALPN, chain, days to expiry and host-name match, from one
libcurl handshake (CONNECT_ONLY: no HTTP request is sent). The chain is then verified with each
store a component of the site uses, and a disagreement names the stale one:

    libcurl   the bundle `selftest.ca.choose_ca_bundle` picks (what PHP's cURL is given)
    certifi   Mozilla's list as shipped with requests (the public reference)
    wordpress --wp-path's wp-includes/certificates/ca-bundle.crt (WordPress's own HTTP API)
    php       php.ini's curl.cainfo, when `php` is on PATH

Box accepts TLS 1.2 and 1.3 only (docs/facts.md §6).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import certifi

from selftest.ca import choose_ca_bundle
from selftest.checks import CheckResult, Finding, Status, finding_from, fold, skipped
from selftest.checks.probes import php as php_module
from selftest.checks.probes.certs import (
    MODERN_PROTOCOLS,
    CertSummary,
    chain,
    hostname_matches,
    session,
)
from selftest.checks.probes.context import Context, Target, parallel
from selftest.checks.probes.reach import UNKNOWN, PathProbe, Reach
from selftest.checks.probes.resolver import literal
from selftest.classify import classify
from selftest.observe import Observation

#: The share of the time left that the `php` probe may use.
PHP_SHARE = 0.4

#: Warn this many days before a certificate expires.
EXPIRY_WARNING_DAYS = 14

_STALE_REMEDY = {
    "libcurl": "Update the system CA bundle (Debian/Ubuntu: `apt-get install --reinstall "
               "ca-certificates && update-ca-certificates`; RHEL: `update-ca-trust`).",
    "certifi": "Update certifi (`pip install -U certifi`); it only matters to Python tools.",
    "wordpress": "Update WordPress: wp-includes/certificates/ca-bundle.crt ships with it.",
    "php": "Point curl.cainfo in php.ini at a current bundle (or remove the line), then "
           "restart PHP-FPM / the web server.",
}


def stores(ctx: Context, facts: php_module.PhpFacts | None) -> dict[str, str]:
    """The CA files to verify with, by store name (only files that exist, except PHP's)."""
    bundle = ctx.options.ca_bundle or choose_ca_bundle(ctx.options.cacert)
    found = {"libcurl": bundle.path, "certifi": certifi.where()}
    if ctx.options.wp_path:
        found["wordpress"] = os.path.join(ctx.options.wp_path, "wp-includes", "certificates",
                                          "ca-bundle.crt")
    if facts is not None and facts.curl_cainfo:
        found["php"] = facts.curl_cainfo
    return found


def _handshake(ctx: Context, target: Target, cainfo: str | None, verify: bool = True,
               details: bool = False) -> Observation:
    """A TLS handshake with the target (CONNECT_ONLY); the chain and libcurl's verbose log when
    `details`."""
    return ctx.perform(ctx.request(target.url, cainfo=cainfo, verify=verify, certinfo=details,
                                   verbose=details, options={"CONNECT_ONLY": 1}))


def _verdicts(ctx: Context, target: Target, files: dict[str, str]) -> dict[str, int]:
    """libcurl's result code (0 = verified) for each store; 77 when the file is missing."""
    out: dict[str, int] = {}
    for name, path in files.items():
        if name == "libcurl":
            continue
        out[name] = (_handshake(ctx, target, path).curl_code if os.path.isfile(path) else 77)
    return out


@dataclass(frozen=True)
class Handshake:
    """What the handshake with one host showed. The findings are judged from these fields; the
    evidence is rendered from them (never read back by key)."""

    target: Target
    #: libcurl's code for the handshake with the run's CA bundle (0: verified).
    curl_code: int
    ca_bundle: str
    protocol: str = ""
    cipher: str = ""
    alpn: str = ""
    certs: tuple[CertSummary, ...] = ()
    #: None for an address literal (nothing to match) or when no certificate was seen.
    hostname_match: bool | None = None
    verdicts: tuple[tuple[str, int], ...] = ()

    def evidence(self) -> dict[str, Any]:
        """The JSON form of one handshake in the tls check's evidence."""
        out: dict[str, Any] = {"host": self.target.host, "port": self.target.port,
                               "ca_bundle": self.ca_bundle or None, "curl_code": self.curl_code,
                               "protocol": self.protocol, "cipher": self.cipher,
                               "alpn": self.alpn, "chain": [c.to_dict() for c in self.certs]}
        if self.hostname_match is not None:
            out["hostname_match"] = self.hostname_match
            out["names"] = list(self.certs[0].dns_names[:5])
        out["stores"] = {"libcurl": self.curl_code, **dict(self.verdicts)}
        return out


def handshake_from(target: Target, verified: Observation, shown: Observation,
                   verdicts: dict[str, int] | None = None) -> Handshake:
    """The Handshake of one host from its verified attempt and the one that showed the chain
    (the same observation when verification passed)."""
    certs = tuple(chain(shown.certinfo))
    found = session(shown.wire)
    match = hostname_matches(certs[0], target.host) if certs and not literal(target.host) else None
    return Handshake(target, verified.curl_code, verified.ca_bundle, found["protocol"],
                     found["cipher"], found["alpn"], certs, match,
                     tuple((verdicts or {}).items()))


def session_findings(shake: Handshake) -> list[Finding]:
    """Too old a protocol, a certificate about to expire, a certificate for other names."""
    host = shake.target.host
    found: list[Finding] = []
    if shake.protocol and shake.protocol not in MODERN_PROTOCOLS:
        found.append(Finding("fail", f"{host} negotiated {shake.protocol}; Box needs TLS 1.2+",
                             "Update OpenSSL/libcurl on the web host.", ("curl:35",)))
    days_left = shake.certs[0].days_left() if shake.certs else None
    if days_left is not None and days_left < EXPIRY_WARNING_DAYS:
        found.append(Finding("warn", f"{host}'s certificate expires in {days_left} days",
                             "Check the clock; if it is right, the server's certificate is "
                             "about to expire."))
    if shake.hostname_match is False:
        names = ", ".join(shake.certs[0].dns_names[:5]) or "other names"
        found.append(Finding("fail", f"the certificate {host} sent is for {names}",
                             "Something between this host and Box answers in its place "
                             "(a proxy, a captive portal, a wrong DNS answer).", ("curl:60",)))
    return found


def _store_findings(target: Target, verdicts: dict[str, int], main_code: int,
                    explicit_ca: bool) -> list[Finding]:
    """Name the stale store: one that fails where a public-CA store verifies the chain."""
    public_ok = verdicts.get("certifi") == 0 or (main_code == 0 and not explicit_ca)
    found: list[Finding] = []
    if main_code in (60, 77) and verdicts.get("certifi") == 0:
        found.append(Finding("fail", f"the CA bundle libcurl uses does not trust {target.host} "
                             "but Mozilla's list does: the bundle is stale",
                             _STALE_REMEDY["libcurl"], (f"curl:{main_code}",)))
    for name, code in verdicts.items():
        if code == 0 or name == "certifi" or not public_ok:
            continue
        status: Status = "fail" if name == "php" else "warn"
        found.append(Finding(status, f"the {name} CA store does not verify {target.host} "
                             f"(libcurl code {code}): it is stale or missing",
                             _STALE_REMEDY[name], (f"curl:{code}",) if name == "php" else ()))
    if verdicts.get("certifi", 0) != 0 and main_code == 0 and not explicit_ca:
        found.append(Finding("warn", f"certifi does not verify {target.host}",
                             _STALE_REMEDY["certifi"]))
    return found


def check_host(ctx: Context, target: Target,
               files: dict[str, str]) -> tuple[list[Finding], dict[str, Any], bool]:
    """One host: the handshake, its chain, and every store's verdict; (findings, evidence,
    whether the chain verified)."""
    obs = _handshake(ctx, target, ctx.options.cacert, details=True)
    if obs.curl_code not in (0, 60, 77, 35, 51, 58, 83, 90, 91):
        failed = finding_from(classify(obs), "fail", f"no TLS connection to {target.host}")
        return [failed], {"host": target.host, "port": target.port,
                          "ca_bundle": obs.ca_bundle or None, "curl_code": obs.curl_code}, False
    unverified = obs if obs.curl_code == 0 else _handshake(ctx, target, None, False, True)
    verdicts = _verdicts(ctx, target, files)
    shake = handshake_from(target, obs, unverified, verdicts)
    findings = session_findings(shake)
    findings += _store_findings(target, verdicts, obs.curl_code, bool(ctx.options.cacert))
    if obs.curl_code and not findings:
        findings.append(finding_from(classify(obs), "fail", f"TLS with {target.host} failed"))
    return findings, shake.evidence(), obs.curl_code == 0 and not findings


def _php(ctx: Context) -> tuple[list[Finding], php_module.PhpFacts | None, Any]:
    """What PHP's own TLS settings would break: findings, PHP's facts (None when PHP is absent or
    silent) and what to put in the evidence."""
    # PHP is asked before the handshakes: a hung `php` may take at most this share of the time
    # left, so that the handshakes still run (and a local fault is not blamed on the network).
    budget = min(php_module.PROBE_TIMEOUT_S, PHP_SHARE * ctx.remaining_ms() / 1000)
    facts = php_module.probe(ctx.run_child, budget)
    if facts is None:
        return [], None, None
    if isinstance(facts, str):
        return [Finding("warn", facts, "Run `php -r 'var_dump(curl_version());'` as the web "
                        "server's user to see what PHP does; fix or reinstall PHP's CLI.")
                ], None, facts
    found: list[Finding] = []
    if facts.curl_cainfo and not os.path.isfile(facts.curl_cainfo):
        found.append(Finding("fail", f"php.ini's curl.cainfo names {facts.curl_cainfo}, which "
                             "does not exist: PHP's cURL fails with error 77",
                             _STALE_REMEDY["php"], ("curl:77",)))
    if php_module.lacks_tls12(facts.ssl_version):
        found.append(Finding("fail", f"PHP's cURL uses {facts.ssl_version}, too old for TLS 1.2",
                             "Update PHP and OpenSSL on the web host.", ("curl:35",)))
    return found, facts, facts.to_dict()


_FLAG = {"api": "--api-base", "upload": "--upload-base", "extra": "--host"}


def _plain_http(targets: list[Target]) -> list[Finding]:
    """An http:// base has no TLS to verify: say so, never count it as verified."""
    return [Finding("warn", f"{t.url} is plain http: no TLS handshake, nothing is encrypted or "
                    "verified (Box and the extension use https only)",
                    f"Give {_FLAG.get(t.role, 'the base URL')} as https:// to test TLS; plain "
                    "http is only for a local fake Box.") for t in targets]


def path_finding(path: PathProbe) -> Finding:
    """The finding for a way to the API host that broke at the server (refused, reset, a TLS
    tarpit): the same code and cause the skipped checks point at."""
    what = "TLS connection" if path.target.scheme == "https" else "connection"
    return finding_from(classify(path.obs), "fail", f"no {what} to {path.target.host}")


def run(ctx: Context, reach: Reach = UNKNOWN) -> CheckResult:
    """Handshake with every target host and compare the CA stores."""
    broken = reach.path_broken_at("server")
    findings = [path_finding(broken)] if broken is not None else []
    done = {broken.target} if broken is not None else set()
    plain = [t for t in ctx.targets if t.scheme != "https"]
    unreachable = sorted(t.host for t in ctx.targets if t.host in reach.unresolved)
    reachable = [t for t in ctx.targets
                 if t not in plain and t not in done and t.host not in reach.unresolved]
    hosts: list[dict[str, Any]] = [{"host": h, "skipped": "does not resolve"} for h in unreachable]
    hosts += [{"host": t.host, "port": t.port, "skipped": "plain http, no TLS"} for t in plain]
    if broken is not None:
        hosts.append({"host": broken.target.host, "port": broken.target.port,
                      "curl_code": broken.obs.curl_code, "phase": broken.obs.phase})
    findings += _plain_http(plain)
    if not reachable:
        if findings:
            return fold("tls", findings, {"hosts": hosts}, "")
        return skipped("tls", "skipped: no host to handshake with (see the dns check)",
                       "Fix name resolution first.")
    php_findings, facts, php_evidence = _php(ctx)
    findings += php_findings
    files = stores(ctx, facts)
    if "php" in files and not os.path.isfile(files["php"]):
        del files["php"]  # already reported above, as error 77
    results = parallel(lambda t: check_host(ctx, t, files), reachable)
    verified = 0
    for host_findings, evidence, ok in results:
        findings += host_findings
        hosts.append(evidence)
        verified += ok
    evidence_all: dict[str, Any] = {"hosts": hosts, "stores": files}
    if php_evidence is not None:
        evidence_all["php"] = php_evidence
    protocols = sorted({h.get("protocol", "") for h in hosts if h.get("protocol")})
    left_out = f"; {len(unreachable)} skipped (see the dns check)" if unreachable else ""
    return fold("tls", findings, evidence_all,
                f"verified {verified} host(s) ({', '.join(protocols) or 'TLS'}){left_out}")
