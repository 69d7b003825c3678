"""WordPress's HTTP API as a reproduction client: `wp_remote_request` on the PHP on PATH.

WordPress is loaded without a database (`wp_replay.php`: the HTTP API's wp-includes files, its
few options answered through WordPress's own `pre_option` filter). A scenario's [client] table
becomes `wp_remote_request` arguments and `WP_PROXY_*` constants; what WordPress has no argument
for (most libcurl options, resolve pins, non-HTTP URLs) is a skip with the reason. What the admin
sees is WordPress's: a `WP_Error('http_request_failed', 'cURL error N: ...')` for a transport
error — or WordPress's own words ("Too many redirects.", "A valid URL was not provided.") — and an
ordinary response for an HTTP error. The cURL handle's own errno, CONNECT status and timings are
read through the `http_api_curl` action, so the Observation has the same facts as PHP's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from selftest.clients import php
from selftest.errors import SelftestError
from selftest.observe import BODY_LIMIT_BYTES, Observation

if TYPE_CHECKING:
    from selftest.clients.php_workers import Workers

SCRIPT = "wp_replay.php"

#: libcurl options WordPress's arguments can say (how: `wp_request`). ACCEPT_ENCODING "" is
#: what Requests always sets (Requests/Transport/cURL.php: CURLOPT_ENCODING '').
EXPRESSIBLE = frozenset({"FOLLOWLOCATION", "MAXREDIRS", "HTTP_VERSION", "HTTPPROXYTUNNEL",
                         "CAINFO", "ACCEPT_ENCODING"})

#: "cURL error N: text", as Requests words a transport error (Requests/Transport/cURL.php).
CURL_ERROR = re.compile(r"^cURL error (\d+): (.*)$", re.DOTALL)


def script_path() -> Path:
    return php.script_path().with_name(SCRIPT)


def describe(wp_path: str, build: php.PhpBuild) -> dict[str, Any]:
    """WordPress's and Requests' versions at `wp_path`. Raises ClientMissing when it is not one."""
    if not Path(wp_path, "wp-includes", "class-wp-http.php").is_file():
        raise php.ClientMissing(f"{wp_path} is not a WordPress install (no "
                                "wp-includes/class-wp-http.php); Debian: apt-get download "
                                "wordpress && dpkg-deb -x wordpress_*.deb DIR, then "
                                "--wp-path DIR/usr/share/wordpress")
    doc = _run(build, "describe", {"wp_path": wp_path, "constants": {}}, timeout_s=10)
    return {"wordpress": str(doc["wordpress"]), "requests": str(doc["requests"]),
            "wp_path": str(Path(wp_path).resolve())}


def _run(build: php.PhpBuild, mode: str, request: Mapping[str, Any], *, timeout_s: float,
         prefix: Sequence[str] = (), workers: Workers | None = None) -> dict[str, Any]:
    payload = json.dumps({"body_limit_bytes": BODY_LIMIT_BYTES, **request}).encode()
    # A worker has loaded WordPress once, with its path and WP_PROXY_* constants (a PHP constant
    # is defined once per process): those are its key.
    key = (str(request["wp_path"]), *sorted(dict(request.get("constants") or {}).items()))
    return php._run_php(build.php, [mode], payload, timeout_s=timeout_s, prefix=prefix,
                        script=script_path(), workers=workers, key=key)


def wp_request(client: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """({"url", "args", "constants"}, None) for wp_remote_request, or ({}, why it cannot)."""
    url = str(client.get("url", ""))
    if not url.lower().startswith(("http://", "https://")) and "://" in url:
        return {}, "WordPress's HTTP API handles only http:// and https:// URLs"
    for key in ("resolve", "connect_to"):
        if client.get(key):
            return {}, f"WordPress's HTTP API has no argument for {key} pins"
    options = {str(k).upper(): v for k, v in dict(client.get("options", {})).items()}
    lacking = sorted(set(options) - EXPRESSIBLE)
    if lacking:
        return {}, f"WordPress's HTTP API has no argument for CURLOPT_{lacking[0]}"
    if options.get("ACCEPT_ENCODING", "") != "":
        return {}, "WordPress always accepts every encoding (CURLOPT_ENCODING ''), no other"
    headers = dict(client.get("headers", {}))
    padding = int(client.get("header_padding_bytes", 0))
    if padding:
        headers["X-Padding"] = "a" * padding
    args: dict[str, Any] = {
        "method": str(client.get("method", "GET")).upper(), "headers": headers,
        "timeout": int(client.get("timeout_ms", 30_000)) / 1000,
        "redirection": int(options.get("MAXREDIRS", 5)) if options.get("FOLLOWLOCATION") else 0,
    }
    version = options.get("HTTP_VERSION")
    if version is not None:
        if version != "@CURL_HTTP_VERSION_1_1":
            # WP_Http takes an `httpversion` argument but never hands it to Requests, which
            # always asks libcurl for HTTP/1.1 (WordPress 4.6 and later).
            return {}, f"WordPress cannot send {version[1:]}: it always speaks HTTP/1.1"
        args["httpversion"] = "1.1"
    if options.get("HTTPPROXYTUNNEL") and not url.lower().startswith("https:"):
        return {}, "WordPress tunnels through its proxy only for https:// URLs"
    cainfo = options.get("CAINFO") or client.get("cainfo")
    if client.get("verify", True) is False:
        args["sslverify"] = False
    elif cainfo:
        args["sslcertificates"] = str(cainfo)
    constants, why = proxy_constants(str(client.get("proxy") or ""))
    if why is not None:
        return {}, why
    return {"url": url, "args": args, "constants": constants,
            "body_b64": php.body_b64(client.get("body"))}, None


def proxy_constants(proxy: str) -> tuple[dict[str, str], str | None]:
    """WP_PROXY_* constants for a proxy URL ("" -> none), as a site's wp-config.php sets them.

    A scheme other than http:// stays in WP_PROXY_HOST ("socks5://127.0.0.1"): WordPress passes
    host:port to CURLOPT_PROXY, and libcurl honours the scheme written there.
    """
    if not proxy:
        return {}, None
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if parts.port is None or parts.hostname is None:
        return {}, f"WP_PROXY_PORT needs a port in the proxy URL {proxy!r}"
    scheme = parts.scheme.lower()
    host = parts.hostname if scheme == "http" else f"{scheme}://{parts.hostname}"
    constants = {"WP_PROXY_HOST": host, "WP_PROXY_PORT": str(parts.port)}
    if parts.username:
        constants["WP_PROXY_USERNAME"] = unquote(parts.username)
        constants["WP_PROXY_PASSWORD"] = unquote(parts.password or "")
    return constants, None


def run(build: php.PhpBuild, wp_path: str, request: Mapping[str, Any],
        timeout_ms: int, prefix: Sequence[str] = (),
        workers: Workers | None = None) -> tuple[Observation, str]:
    """One wp_remote_request: (the Observation, the message WordPress gives the admin).

    `workers` lends a php that has WordPress loaded with the request's constants already, when
    there is no `prefix` (`selftest.clients.php_workers`)."""
    doc = _run(build, "replay", {"wp_path": wp_path, **request},
               timeout_s=timeout_ms / 1000 + php.PROCESS_SLACK_S, prefix=prefix,
               workers=workers)
    if "fault" in doc:
        raise SelftestError(f"WordPress could not be loaded: {doc['fault']}")
    message = str(doc.get("message") or "")
    said = CURL_ERROR.match(message)
    if said and not doc.get("errno"):
        # No handle was seen: the code is the one WordPress's message carries.
        doc = {**doc, "errno": int(said.group(1)), "error": said.group(2)}
    obs = php.observation_from(doc, str(request["url"]), client="wordpress")
    return obs, message or php.http_message(obs)
