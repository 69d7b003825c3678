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
for plain-http URLs, so neither matters for Box.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass

#: The variables libcurl reads for an https URL, in its order of preference.
HTTPS_PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
NO_PROXY_VARIABLES = ("no_proxy", "NO_PROXY")


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


def proxy_for(host: str, explicit: str | None = None,
              env: Mapping[str, str] | None = None) -> ProxyChoice:
    """The proxy libcurl would use for https://host/, with `explicit` (--proxy) taking the place
    of the environment's proxy (NO_PROXY still applies, as it does for CURLOPT_PROXY)."""
    env = os.environ if env is None else env
    if explicit is not None:
        source, url = ("--proxy", explicit)
    else:
        source, url = _first(env, HTTPS_PROXY_VARIABLES)
    if not url:
        return ProxyChoice("", "none")
    variable, no_proxy = _first(env, NO_PROXY_VARIABLES)
    entry = no_proxy_match(host, no_proxy) if no_proxy else ""
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
