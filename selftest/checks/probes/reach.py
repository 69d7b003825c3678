"""What the checks that talk to Box may rely on, handed to them by the runner as values.

Two facts decide whether tls, clock, token and quota can say anything of their own:

    unresolved  the hosts the dns check found unreachable (no answer, and no proxy to ask)
    path        one probe of the way to the API host: a CONNECT_ONLY handshake (no request is
                sent; the certificate is not judged: that is the tls check's job), through the
                proxy libcurl would use, if any

One fault then has one cause, named once where it is: a proxy that refuses or never answers the
CONNECT is the proxy check's finding (the others are skipped, "see the proxy check"); a server
that refuses, resets or tarpits the handshake is the tls check's (clock, token and quota are
skipped, "see the tls check") — rather than four checks each timing out at a different moment
and blaming a different layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from selftest.checks.probes.context import Context, Target
from selftest.observe import Observation, tunnel_open, tunnels_through

Broken = Literal["", "proxy", "server"]

#: libcurl codes that mean the proxy itself failed (resolve, connect, SOCKS handshake, CONNECT).
_PROXY_CODES = frozenset({5, 7, 56, 97})


@dataclass(frozen=True)
class PathProbe:
    """One handshake with the API host, as libcurl would make it (through its proxy, if any)."""

    target: Target
    #: libcurl's proxy for the API host ("" when it connects directly).
    proxy: str
    obs: Observation

    @property
    def broken_at(self) -> Broken:
        """Where the way broke: "" (it did not), at the "proxy", or at the "server"."""
        if self.obs.curl_code == 0:
            return ""
        if not self.proxy:
            return "server"
        if tunnels_through(self.proxy):
            # A tunnel that opened has CONNECT status 200; anything else never got past the proxy.
            return "server" if tunnel_open(self.proxy, self.obs.connect_status) else "proxy"
        return "proxy" if self.obs.curl_code in _PROXY_CODES else "server"


@dataclass(frozen=True)
class Reach:
    """The prerequisites the runner knows before a check starts."""

    unresolved: frozenset[str] = field(default_factory=frozenset)
    path: PathProbe | None = None

    def path_broken_at(self, where: Broken) -> PathProbe | None:
        """The probe, when it broke at `where`."""
        return self.path if self.path is not None and self.path.broken_at == where else None


#: What a check sees when run on its own (no runner): nothing known, so nothing is skipped.
UNKNOWN = Reach()


def probe(ctx: Context) -> PathProbe:
    """Handshake with the API host through libcurl's proxy (CONNECT_ONLY, not verified)."""
    target = ctx.api
    proxy = ctx.proxy_for(target.host).url
    options = {"CONNECT_ONLY": 1, "HTTPPROXYTUNNEL": 1} if proxy else {"CONNECT_ONLY": 1}
    obs = ctx.perform(ctx.request(target.url, proxy=proxy, verify=False, certinfo=True,
                                  options=options))
    return PathProbe(target, proxy, obs)
