"""Name resolution behind an interface: the system resolver in real runs, a chosen server in tests.

libcurl (without c-ares, as in the pycurl wheel and PHP's usual build) resolves with
`getaddrinfo()`, so `SystemResolver` asks the same function: /etc/hosts, nsswitch and
resolv.conf all apply, as they do for the extension. `DnsServerResolver` asks one DNS server
directly with dnspython, so a test can point the dns check at a dnslib server on 127.0.0.1 and
produce NXDOMAIN, SERVFAIL, a timeout or a sinkhole answer without any real lookup.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from typing import Literal, Protocol

import dns._features
import dns.exception

# DNS over QUIC is never asked for here; with aioquic installed (the `servers` extra),
# dns.resolver would import it and its TLS stack for that (~0.1 s of every preflight's start-up).
# dnspython provides force() for cases where its feature detection is not wanted.
dns._features.force("doq", False)

import dns.resolver  # noqa: E402 - after the force() above

#: What went wrong: nxdomain (no such name), servfail (the resolver failed), timeout, noanswer
#: (the name exists but has no address), or "" when addresses came back.
Failure = Literal["", "nxdomain", "servfail", "timeout", "noanswer"]


@dataclass(frozen=True)
class Resolution:
    """What a lookup of one host gave: its addresses, or why there are none."""

    host: str
    ipv4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()
    failure: Failure = ""
    message: str = ""
    elapsed_ms: float = 0.0

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every address found, IPv4 first."""
        return self.ipv4 + self.ipv6


def literal(host: str) -> bool:
    """Whether `host` is an IP address, which libcurl connects to without any lookup."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class Resolver(Protocol):
    """What looks host names up: SystemResolver in real runs, DnsServerResolver in tests."""

    def resolve(self, host: str, timeout_s: float) -> Resolution:
        """The addresses of `host`, or why there are none, within `timeout_s`."""
        ...


#: getaddrinfo() error numbers, as glibc reports them (netdb.h).
_GAI_FAILURES: dict[int, Failure] = {
    socket.EAI_NONAME: "nxdomain",
    socket.EAI_AGAIN: "timeout",  # "Temporary failure in name resolution": no answer in time
    socket.EAI_FAIL: "servfail",
}
if hasattr(socket, "EAI_NODATA"):
    _GAI_FAILURES[socket.EAI_NODATA] = "noanswer"


class SystemResolver:
    """getaddrinfo(), as libcurl calls it; run in a thread because it has no timeout of its own."""

    def resolve(self, host: str, timeout_s: float) -> Resolution:
        """Look `host` up within `timeout_s`; a lookup still running then counts as a timeout."""
        if host.lower().rstrip(".").endswith(".onion"):
            # RFC 7686: .onion names must not be looked up; libcurl refuses them the same way.
            return Resolution(host, failure="nxdomain", message=".onion names are not resolved")
        started = time.monotonic()
        box: list[Resolution] = []
        worker = threading.Thread(target=lambda: box.append(self._lookup(host)), daemon=True)
        worker.start()
        worker.join(timeout_s)
        elapsed = (time.monotonic() - started) * 1000
        if not box:
            return Resolution(host, failure="timeout", message=f"no answer in {timeout_s:.1f} s",
                              elapsed_ms=elapsed)
        result = box[0]
        return Resolution(result.host, result.ipv4, result.ipv6, result.failure, result.message,
                          elapsed)

    @staticmethod
    def _lookup(host: str) -> Resolution:
        """getaddrinfo() for `host`, its error number mapped to a Failure."""
        try:
            infos = socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            return Resolution(host, failure=_GAI_FAILURES.get(exc.errno or 0, "servfail"),
                              message=str(exc.strerror))
        ipv4 = tuple(dict.fromkeys(str(i[4][0]) for i in infos if i[0] == socket.AF_INET))
        ipv6 = tuple(dict.fromkeys(str(i[4][0]) for i in infos if i[0] == socket.AF_INET6))
        return Resolution(host, ipv4, ipv6)


class DnsServerResolver:
    """Ask one DNS server (address, port) for A and AAAA records with dnspython."""

    def __init__(self, address: str, port: int = 53) -> None:
        self._resolver = dns.resolver.Resolver(configure=False)
        self._resolver.nameservers = [address]
        self._resolver.port = port

    def resolve(self, host: str, timeout_s: float) -> Resolution:
        """Ask the server for A and AAAA records of `host`, each within `timeout_s`."""
        started = time.monotonic()
        found: dict[str, tuple[str, ...]] = {"A": (), "AAAA": ()}
        failure: Failure = ""
        message = ""
        for rdtype in ("A", "AAAA"):
            try:
                answer = self._resolver.resolve(host, rdtype, lifetime=timeout_s, search=False)
                found[rdtype] = tuple(r.to_text() for r in answer)
            except dns.resolver.NoAnswer:
                continue
            except dns.resolver.NXDOMAIN:
                failure, message = "nxdomain", "no such domain"
                break
            except dns.resolver.NoNameservers as exc:
                failure, message = "servfail", str(exc)
                break
            except dns.exception.Timeout as exc:
                failure, message = "timeout", str(exc)
                break
        elapsed = (time.monotonic() - started) * 1000
        if not failure and not (found["A"] or found["AAAA"]):
            failure, message = "noanswer", "the name has no A or AAAA record"
        return Resolution(host, found["A"], found["AAAA"], failure, message, elapsed)
