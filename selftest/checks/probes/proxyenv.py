"""Which proxy libcurl would use for a host, from the environment — as PHP's cURL sees it.

PHP's curl extension sets no proxy of its own, so libcurl reads the environment
(https://curl.se/libcurl/c/CURLOPT_PROXY.html, "Environment variables"): for an https URL
`https_proxy` then `HTTPS_PROXY`, then `all_proxy` / `ALL_PROXY`; `no_proxy` / `NO_PROXY` switch it
off per host (https://curl.se/libcurl/c/CURLOPT_NOPROXY.html):

- a comma-separated list (spaces around names are ignored); `*` alone matches every host;
- a name matches itself and every subdomain; a leading dot is ignored (".box.com" = "box.com");
- names compare case-insensitively; entries carry no port (an entry with ":443" never matches a
  host name); IP addresses may carry a CIDR suffix.

`HTTP_PROXY` (upper case) is never read by libcurl (the "httpoxy" guard), and `http_proxy` only
for plain-http URLs (an --api-base on http://, as the tests' fake Box).

A preflight decides by the variables of the environment its command was given, captured once when
its Options are built (`capture`), and hands them to libcurl explicitly (CURLOPT_PROXY and
CURLOPT_NOPROXY, `selftest.checks.probes.context.Context.request`): what a check reports is then
what the transfer does, whatever this process's own environment holds. `from_process` is the only
reader of os.environ here: `selftest.transport.proxy_in_use` needs it for a Request that leaves
the proxy or NO_PROXY to libcurl (which then reads this process's variables), as some scenario
steps do; the preflight never does.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import urlsplit

#: The variables libcurl reads for an https URL, in its order of preference.
HTTPS_PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
#: ... and for a plain-http URL (never HTTP_PROXY: the httpoxy guard).
HTTP_PROXY_VARIABLES = ("http_proxy", "all_proxy", "ALL_PROXY")
NO_PROXY_VARIABLES = ("no_proxy", "NO_PROXY")
#: What `capture` keeps: every variable that changes libcurl's proxy for an http(s) URL, and
#: HTTP_PROXY (which it ignores) so that `--debug` can show it is set.
PROXY_VARIABLES = tuple(dict.fromkeys((*HTTPS_PROXY_VARIABLES, *HTTP_PROXY_VARIABLES,
                                       *NO_PROXY_VARIABLES, "HTTP_PROXY")))


def capture(environ: Mapping[str, str]) -> Mapping[str, str]:
    """The proxy variables of `environ`, copied once into a read-only mapping: later changes to
    `environ` (os.environ itself, in a real run) no longer change what a run decides."""
    return MappingProxyType({n: environ[n] for n in PROXY_VARIABLES if n in environ})


def from_process() -> Mapping[str, str]:
    """`capture(os.environ)`: what libcurl itself reads when a Request leaves the proxy to it
    (proxy or noproxy None). The preflight never does; scenario steps may."""
    return capture(os.environ)


@dataclass(frozen=True)
class ProxyChoice:
    """The proxy for one host: its URL ("" for none) and where that came from."""

    url: str
    source: str
    #: The NO_PROXY entry that switched the proxy off for this host, if any.
    bypassed_by: str = ""


def _ip_match(host: str, entry: str) -> bool | None:
    """None when `entry` is not an address; else whether `host` is inside it."""
    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None
    try:
        return ipaddress.ip_address(host.strip("[]")) in network
    except ValueError:
        return False


def no_proxy_match(host: str, no_proxy: str) -> str:
    """The NO_PROXY entry that matches `host` ("" when none does), by curl's rules."""
    name = host.strip("[]").rstrip(".").lower()
    for raw in no_proxy.split(","):
        entry = raw.strip()
        if entry == "*":
            return entry
        token = entry.lstrip(".").rstrip(".").lower()
        if not token:
            continue
        by_ip = _ip_match(name, token)
        if by_ip is not None:
            if by_ip:
                return entry
            continue
        if name == token or name.endswith("." + token):
            return entry
    return ""


def _first(env: Mapping[str, str], names: tuple[str, ...]) -> tuple[str, str]:
    """The first of `names` set to a non-blank value in `env`: (name, value), else ("", "")."""
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return name, value
    return "", ""


def normalise(url: str) -> str:
    """libcurl's reading of a proxy string: no scheme means http://, no port means 1080."""
    if "://" not in url:
        url = f"http://{url}"
    scheme, _, rest = url.partition("://")
    hostport = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    if not hostport.endswith("]") and ":" in hostport.rsplit("]", 1)[-1]:
        return f"{scheme}://{rest.rstrip('/')}"
    default = "1080" if scheme.startswith(("http", "socks")) else ""
    return f"{scheme}://{rest.rstrip('/')}:{default}" if default else url


def environment_proxy(url: str, env: Mapping[str, str]) -> str:
    """The proxy `env` names for `url`'s scheme, as written there ("" when none): the value to
    hand libcurl as CURLOPT_PROXY in place of its own reading of the environment."""
    scheme = urlsplit(url).scheme.lower()
    return _first(env, HTTP_PROXY_VARIABLES if scheme == "http" else HTTPS_PROXY_VARIABLES)[1]


def no_proxy(env: Mapping[str, str]) -> str:
    """`env`'s NO_PROXY list as written ("" when none): the value for CURLOPT_NOPROXY, where ""
    means no host is exempt (and libcurl reads no no_proxy variable of its own)."""
    return _first(env, NO_PROXY_VARIABLES)[1]


def proxy_for(host: str, explicit: str | None, env: Mapping[str, str]) -> ProxyChoice:
    """The proxy libcurl would use for https://host/ given the proxy variables `env`, with
    `explicit` (--proxy) taking the place of the environment's proxy (NO_PROXY still applies, as
    it does for CURLOPT_PROXY)."""
    if explicit is not None:
        source, url = ("--proxy", explicit)
    else:
        source, url = _first(env, HTTPS_PROXY_VARIABLES)
    if not url:
        return ProxyChoice("", "none")
    variable, exempt = _first(env, NO_PROXY_VARIABLES)
    entry = no_proxy_match(host, exempt) if exempt else ""
    if entry:
        return ProxyChoice("", source, f"{variable}={entry}")
    return ProxyChoice(normalise(url), source)


def split_credentials(url: str) -> tuple[str, str]:
    """(user, password) embedded in a proxy URL, empty when none."""
    rest = url.partition("://")[2]
    if "@" not in rest.split("/", 1)[0]:
        return "", ""
    userinfo = rest.split("/", 1)[0].rsplit("@", 1)[0]
    user, _, password = userinfo.partition(":")
    return user, password
