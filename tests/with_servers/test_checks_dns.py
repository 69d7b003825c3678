"""The dns check, against a dnslib server on loopback (no real lookup is ever made)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from preflight_servers import dns_server

from selftest.checks import dns
from selftest.checks.probes import proxyenv
from selftest.checks.probes.context import Context, Options
from selftest.checks.probes.resolver import DnsServerResolver, SystemResolver

#: Answers the loopback dnslib server gives: data only. The dns check resolves and never
#: connects, so no traffic goes to these public addresses (nor to the private ones below).
ZONE: dict[str, list[str] | str] = {
    "api.box.com": ["74.112.186.144"],
    "upload.box.com": ["74.112.186.145", "2620:117:bff0:12d::"],
    "account.box.com": ["74.112.186.146"],
    "dl.boxcloud.com": ["74.112.186.147"],
    "redirect.wp-migration.com": ["104.21.0.1"],
}


@pytest.fixture
def zone() -> dict[str, list[str] | str]:
    return dict(ZONE)


def run_with(zone: dict[str, list[str] | str], options: Options | None = None,
             ipv6: bool = True) -> dns.CheckResult:
    with dns_server(zone) as port:
        ctx = Context(options or Options(), resolver=DnsServerResolver("127.0.0.1", port))
        return dns.run(ctx, ipv6_route=lambda: ipv6)


def hosts(result: dns.CheckResult) -> Iterator[dict[str, object]]:
    yield from result.evidence["hosts"]


def test_all_hosts_resolve(zone: dict[str, list[str] | str]) -> None:
    """Public answers for the five default hosts pass, with addresses and times as evidence."""
    result = run_with(zone)
    assert result.status == "pass", result.summary
    entry = next(hosts(result))
    assert entry["host"] == "api.box.com" and entry["ipv4"] == ["74.112.186.144"]
    assert len(result.evidence["hosts"]) == 5


@pytest.mark.parametrize(("answer", "words"), [
    ("NXDOMAIN", "NXDOMAIN"), ("SERVFAIL", "SERVFAIL"), ("drop", "in time")])
def test_lookup_failures_fail_as_curl_6(zone: dict[str, list[str] | str], answer: str,
                                        words: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """NXDOMAIN, SERVFAIL and a resolver that never answers fail with curl:6."""
    monkeypatch.setattr(dns, "LOOKUP_TIMEOUT_S", 1.0)
    zone["api.box.com"] = answer
    result = run_with(zone)
    assert result.status == "fail"
    assert result.diagnosis == ("curl:6",)
    assert words in result.summary
    assert not dns.resolvable(result, "api.box.com")


@pytest.mark.parametrize("address", ["0.0.0.0", "127.0.0.1", "10.1.2.3", "192.168.0.10"])
def test_sinkhole_answers_fail(zone: dict[str, list[str] | str], address: str) -> None:
    """A Box host answered with 0.0.0.0, loopback or a private address is a sinkhole."""
    zone["dl.boxcloud.com"] = [address]
    result = run_with(zone)
    assert result.status == "fail"
    assert "sinkhole" in result.summary and "dl.boxcloud.com" in result.summary


def test_loopback_is_expected_for_a_named_api_base() -> None:
    """With --api-base on a loopback name, a loopback answer is what the user asked for."""
    options = Options(api_base="https://fake.test:8443", upload_base="https://fake.test:8443/api",
                      custom_bases=True)
    result = run_with({"fake.test": ["127.0.0.1"]}, options)
    assert result.status == "pass", result.summary
    assert [h["host"] for h in hosts(result)] == ["fake.test"]


def test_address_literal_needs_no_lookup() -> None:
    """--api-base https://127.0.0.1:PORT is an address: reported, not looked up."""
    options = Options(api_base="https://127.0.0.1:9", upload_base="https://127.0.0.1:9/api",
                      custom_bases=True)
    result = run_with({}, options)
    assert result.status == "pass"
    assert next(hosts(result))["source"] == "an address literal, no lookup"


def test_resolve_pin_is_reported(zone: dict[str, list[str] | str]) -> None:
    """A --resolve pin replaces the lookup, as it does in libcurl."""
    zone["api.box.com"] = "NXDOMAIN"
    result = run_with(zone, Options(resolve=("api.box.com:443:127.0.0.1",)))
    assert result.status == "pass"
    assert next(hosts(result))["addresses"] == ["127.0.0.1"]


def test_aaaa_without_ipv6_route_warns(zone: dict[str, list[str] | str]) -> None:
    """AAAA records on a host with no IPv6 route warn (libcurl falls back to IPv4)."""
    result = run_with(zone, ipv6=False)
    assert result.status == "warn"
    assert "upload.box.com" in result.summary and "IPv6" in result.summary


def test_aaaa_only_without_ipv6_route_fails(zone: dict[str, list[str] | str]) -> None:
    """A host with only AAAA records cannot be reached without an IPv6 route."""
    zone["upload.box.com"] = ["2620:117:bff0:12d::"]
    result = run_with(zone, ipv6=False)
    assert result.status == "fail" and result.diagnosis == ("curl:7",)


def test_failure_behind_a_proxy_only_warns(zone: dict[str, list[str] | str]) -> None:
    """Through a proxy the proxy resolves Box's names, so a local failure is only a warning."""
    env = proxyenv.capture({"HTTPS_PROXY": "http://proxy.example.onion:3128"})
    zone["api.box.com"] = "NXDOMAIN"
    result = run_with(zone, Options(proxy_env=env))
    assert result.status == "warn"
    assert dns.resolvable(result, "api.box.com")


def test_system_resolver_reads_hosts_file() -> None:
    """The system resolver is getaddrinfo(): "localhost" comes from /etc/hosts, no DNS query."""
    found = SystemResolver().resolve("localhost", 2.0)
    assert not found.failure and set(found.addresses) & {"127.0.0.1", "::1"}


def test_sinkhole_table() -> None:
    """Unspecified, loopback, private, CGNAT and IPv4-mapped loopback answers are sinkholes."""
    for address in ("0.0.0.0", "::", "127.0.0.2", "::1", "172.16.5.4", "100.64.1.1",
                    "::ffff:127.0.0.1", "fd00::1"):
        assert dns.is_sinkhole(address), address
    assert not dns.is_sinkhole("74.112.186.144")


def test_all_clear_says_what_was_not_looked_up() -> None:
    """A pinned name or an address literal passes without claiming it was resolved."""
    options = Options(api_base="https://api.box.com:8443", upload_base="https://127.0.0.1:9/api",
                      custom_bases=True, resolve=("api.box.com:8443:127.0.0.1",))
    result = run_with({}, options)
    assert result.status == "pass"
    assert "resolved" not in result.summary
    assert "pinned with --resolve: api.box.com" in result.summary
    assert "address literal, no lookup: 127.0.0.1" in result.summary
