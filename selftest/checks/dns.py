"""The dns check: can this machine resolve every Box host, and are the answers plausible?

Resolution goes through the Context's resolver (getaddrinfo, as libcurl does). Findings:
NXDOMAIN, SERVFAIL and timeouts (what the extension shows as cURL error 6); sinkhole answers
(0.0.0.0, loopback, private ranges — a filtering resolver or a hosts-file block), unless the user
named that host on the command line (a fake Box on 127.0.0.1 is meant to be loopback); and AAAA
records on a machine with no IPv6 route (libcurl tries them too, which costs time or fails).
Names pinned with --resolve are reported as pinned: libcurl never looks them up.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from selftest.checks import CheckResult, Finding, Status, fold
from selftest.checks.probes.context import Context, Target
from selftest.checks.probes.reach import UNKNOWN, Reach
from selftest.checks.probes.resolver import Resolution, literal

#: Per-name lookup limit: glibc's default is 5 s per try, 2 tries (resolv.conf(5)).
LOOKUP_TIMEOUT_S = 10.0

_FAILURE_TEXT = {
    "nxdomain": "does not exist (NXDOMAIN)",
    "servfail": "could not be resolved: the DNS server failed (SERVFAIL)",
    "timeout": "could not be resolved: no answer from the DNS server in time",
    "noanswer": "has no address record",
}


@dataclass(frozen=True)
class DnsResult(CheckResult):
    """The dns check's result, with the hand-off the runner reads: the hosts nothing can reach
    (the name does not resolve here and no proxy resolves it instead)."""

    unresolved: frozenset[str] = field(default_factory=frozenset)


def is_sinkhole(address: str) -> bool:
    """True for answers a public Box host never has: unspecified, loopback, private, link-local."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    shared = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598
    return (ip.is_unspecified or ip.is_loopback or ip.is_private or ip.is_link_local
            or (isinstance(ip, ipaddress.IPv4Address) and ip in shared))


def has_ipv6_route() -> bool:
    """Whether the kernel has a route to the IPv6 internet (a UDP connect sends no packet)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.connect(("2001:4860:4860::8888", 53))  # Google Public DNS, only routed
        return True
    except OSError:
        return False


def pinned(ctx: Context, target: Target) -> str | None:
    """The address --resolve pins this host:port to, if any (libcurl's RESOLVE syntax)."""
    for entry in ctx.options.resolve:
        host, _, rest = entry.lstrip("+").partition(":")
        port, _, address = rest.partition(":")
        if host.lower() == target.host.lower() and port in (str(target.port), "*"):
            return address.strip("[]")
    return None


def _judge(target: Target, found: Resolution, via_proxy: bool,
           ipv6_route: Callable[[], bool]) -> list[Finding]:
    """What one host's lookup means for the extension: a failure (a warning when a proxy
    resolves the name instead), a sinkhole answer for a host not named on the command line, IPv6
    records without an IPv6 route."""
    name = target.host
    if found.failure:
        # Through a proxy the proxy resolves the name, not this machine (CURLOPT_PROXY docs).
        status: Status = "warn" if via_proxy else "fail"
        where = " (the proxy resolves it: this matters only without it)" if via_proxy else ""
        return [Finding(status, f"{name} {_FAILURE_TEXT[found.failure]}{where}",
                        "Check /etc/resolv.conf and /etc/hosts on the web host (try `getent "
                        "hosts NAME` as the PHP user), or ask the host which DNS server PHP uses.",
                        ("curl:6",))]
    findings: list[Finding] = []
    sinks = [a for a in found.addresses if is_sinkhole(a)]
    if sinks and not target.explicit:
        findings.append(Finding(
            "fail", f"{name} resolves to {', '.join(sinks)}: a sinkhole answer, not Box",
            f"Remove any /etc/hosts entry for {name} and ask whoever runs the DNS filter "
            "to allow *.box.com, *.boxcloud.com and redirect.wp-migration.com.", ("curl:7",)))
    if found.ipv6 and not found.ipv4 and not ipv6_route():
        findings.append(Finding(
            "fail", f"{name} has only AAAA (IPv6) records and this machine has no IPv6 route",
            "Give the web host IPv6 connectivity or an IPv4 DNS answer.", ("curl:7",)))
    elif found.ipv6 and not ipv6_route():
        findings.append(Finding(
            "warn", f"{name} has AAAA records but this machine has no IPv6 route: libcurl falls "
            "back to IPv4 after trying IPv6", "Nothing to do unless connections are slow; "
            "PHP sites can force IPv4 with CURLOPT_IPRESOLVE."))
    return findings


def check_target(ctx: Context, target: Target, ipv6_route: Callable[[], bool]
                 ) -> tuple[list[Finding], dict[str, Any], bool]:
    """Look up one host; the findings, its evidence entry, and whether it can be reached."""
    pin = pinned(ctx, target)
    if literal(target.host) or pin:
        how = "pinned with --resolve" if pin else "an address literal, no lookup"
        return [], {"host": target.host, "addresses": [pin or target.host], "source": how}, True
    via_proxy = bool(ctx.proxy_for(target.host).url)
    timeout = min(LOOKUP_TIMEOUT_S, ctx.remaining_ms() / 1000)
    found = ctx.resolver.resolve(target.host, timeout)
    evidence: dict[str, Any] = {
        "host": target.host, "ipv4": list(found.ipv4), "ipv6": list(found.ipv6),
        "elapsed_ms": round(found.elapsed_ms, 1), "failure": found.failure or None,
    }
    if via_proxy:
        evidence["via_proxy"] = True
    reachable = not found.failure or via_proxy
    return _judge(target, found, via_proxy, ipv6_route), evidence, reachable


def run(ctx: Context, reach: Reach = UNKNOWN, *,
        ipv6_route: Callable[[], bool] = has_ipv6_route) -> DnsResult:
    """Resolve every target host and judge the answers."""
    findings: list[Finding] = []
    hosts: list[dict[str, Any]] = []
    unresolved: set[str] = set()
    for target in ctx.targets:
        found, evidence, reachable = check_target(ctx, target, ipv6_route)
        findings += found
        hosts.append(evidence)
        if not reachable:
            unresolved.add(target.host)
    folded = fold("dns", findings, {"hosts": hosts}, _all_clear(hosts))
    return DnsResult(folded.check, folded.status, folded.summary, folded.remedy,
                     folded.diagnosis, folded.evidence, unresolved=frozenset(unresolved))


def _all_clear(hosts: list[dict[str, Any]]) -> str:
    """What was looked up, and what was not (a pin or an address needs no lookup): a pass
    never claims a lookup that did not happen."""
    looked_up = [h["host"] for h in hosts if "source" not in h]
    pinned_hosts = [h["host"] for h in hosts if h.get("source") == "pinned with --resolve"]
    addresses = [h["host"] for h in hosts if h.get("source", "").startswith("an address")]
    parts = [f"resolved {', '.join(looked_up)}"] if looked_up else []
    if pinned_hosts:
        parts.append(f"pinned with --resolve: {', '.join(pinned_hosts)}")
    if addresses:
        parts.append(f"address literal, no lookup: {', '.join(addresses)}")
    return "; ".join(parts)


def resolvable(result: CheckResult, host: str) -> bool:
    """Whether the dns result lets a check reach `host` (pinned, literal, resolved or proxied)."""
    return not isinstance(result, DnsResult) or host not in result.unresolved
