"""What one exchange with a server showed: the Observation.

Everything that classifies, explains or reports works from an Observation, never from a live
pycurl handle. `selftest.transport` fills one from a real transfer; `selftest.explain` fills one
from text a user pasted. This module imports no transport library: it turns plain values (a
libcurl code and message, libcurl's timing figures, raw header bytes, a body) into the record.

Phases name how far the exchange got before it ended, derived from libcurl's timings
(https://curl.se/libcurl/c/curl_easy_getinfo.html#TIMES):

    setup    an option was refused before any network activity
    resolve  looking the name up (NAMELOOKUP_TIME still 0)
    connect  TCP connect, to the host or the proxy (CONNECT_TIME still 0)
    proxy    waiting for an HTTP(S) proxy's answer to CONNECT (connected to the proxy, no 200 to
             CONNECT, APPCONNECT_TIME still 0 on an https URL; libcurl 7 keeps CONNECT_TIME at 0
             too, PRIMARY_IP tells): libcurl's message may say only "Connection timed out")
    tls      TLS handshake (APPCONNECT_TIME still 0 on an https URL)
    send     sending the request (PRETRANSFER_TIME reached, no response byte yet)
    receive  reading the response (STARTTRANSFER_TIME reached)
    done     the transfer completed
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Phase = Literal["setup", "resolve", "connect", "proxy", "tls", "send", "receive", "done",
                "unknown"]

#: Bodies are kept only up to this size: enough for any Box or OAuth error document.
BODY_LIMIT_BYTES = 64 * 1024


@dataclass(frozen=True)
class BoxError:
    """A Box API ClientError body (https://developer.box.com/reference/resources/client-error/)."""

    status: int | None
    code: str
    message: str = ""
    request_id: str = ""
    help_url: str = ""
    context_info: Any = None


@dataclass(frozen=True)
class OAuthError:
    """An OAuth 2 error: a token-endpoint body or a WWW-Authenticate challenge (RFC 6749/6750)."""

    error: str
    description: str = ""
    source: Literal["body", "www-authenticate"] = "body"


@dataclass(frozen=True)
class Observation:
    """One exchange, as seen from the client. `curl_code` 0 means libcurl reported success."""

    curl_code: int = 0
    curl_message: str = ""
    phase: Phase = "unknown"
    url: str = ""
    http_status: int | None = None
    http_version: str = ""
    reason: str = ""
    #: Response headers of the final response, names lower-cased; a repeated name keeps the last.
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    box_error: BoxError | None = None
    oauth_error: OAuthError | None = None
    #: The status a proxy answered a CONNECT with (libcurl's HTTP_CONNECTCODE), 0 when none.
    connect_status: int = 0
    timings: Mapping[str, float] = field(default_factory=dict)
    #: Free-form facts the transport gathered: CA bundle used, TLS version, certificate chain, ...
    details: Mapping[str, Any] = field(default_factory=dict)
    #: The CA bundle libcurl was given ("" when none: plain http, or verification off).
    ca_bundle: str = ""
    #: The server's certificate chain as libcurl's CERTINFO gives it: per certificate, its
    #: (name, value) pairs, leaf first (empty unless the request asked for it).
    certinfo: tuple[tuple[tuple[str, str], ...], ...] = ()
    #: libcurl's verbose lines, secrets redacted (empty unless the request asked for them).
    wire: tuple[str, ...] = ()
    #: True when this observation was injected rather than produced by a real exchange.
    simulated: bool = False

    @property
    def ok(self) -> bool:
        return self.curl_code == 0 and (self.http_status is None or self.http_status < 400)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (bodies are summarised, never dumped whole)."""
        out: dict[str, Any] = {"curl_code": self.curl_code, "phase": self.phase}
        if self.curl_message:
            out["curl_message"] = self.curl_message
        if self.http_status is not None:
            out["http_status"] = self.http_status
        if self.connect_status:
            out["connect_status"] = self.connect_status
        if self.box_error:
            out["box_code"] = self.box_error.code
        if self.oauth_error:
            out["oauth_error"] = self.oauth_error.error
            if self.oauth_error.description:
                out["oauth_error_description"] = self.oauth_error.description
        if self.simulated:
            out["simulated"] = True
        return out


def tunnels_through(proxy: str) -> bool:
    """Whether libcurl asks `proxy` to CONNECT for an https URL: an HTTP or HTTPS proxy (no
    scheme is http, libcurl's default). A SOCKS proxy is told the target in its own handshake."""
    scheme = proxy.partition("://")[0].lower() if "://" in proxy else "http"
    return bool(proxy) and scheme in ("http", "https")


def tunnel_open(proxy: str, connect_status: int) -> bool:
    """Whether the way through `proxy` got past it: no CONNECT needed, or a 200 to CONNECT
    (libcurl's HTTP_CONNECTCODE; 0 while the proxy has not answered)."""
    return not tunnels_through(proxy) or connect_status == 200


def phase_from_timings(timings: Mapping[str, float], *, https: bool, completed: bool,
                       proxy: str = "", connect_status: int = 0, peer: str = "") -> Phase:
    """Name the phase an exchange reached, from libcurl's cumulative timing figures (seconds),
    the proxy it went through ("" when none), the proxy's answer to CONNECT, and the address
    libcurl's TCP connect reached (PRIMARY_IP: "" while that connect is pending)."""
    if completed:
        return "done"
    if not timings:
        return "unknown"
    if timings.get("namelookup", 0.0) <= 0.0 and timings.get("connect", 0.0) <= 0.0:
        return "resolve"
    if timings.get("connect", 0.0) <= 0.0:
        # libcurl 7 leaves CONNECT_TIME at 0 until a proxy's tunnel opens: connected to the proxy
        # (PRIMARY_IP known) with no 200 to CONNECT is waiting for the proxy, not connecting.
        waiting = https and peer and not tunnel_open(proxy, connect_status)
        return "proxy" if waiting else "connect"
    if https and timings.get("appconnect", 0.0) <= 0.0:
        return "tls" if tunnel_open(proxy, connect_status) else "proxy"
    if timings.get("starttransfer", 0.0) > 0.0:
        return "receive"
    return "send"


_STATUS_LINE = re.compile(rb"^HTTP/(\d(?:\.\d)?)\s+(\d{3})(?:\s+(.*))?$")


def parse_header_block(raw: bytes) -> tuple[str, int | None, str, dict[str, str]]:
    """Parse the LAST response head in raw header bytes (after redirects or a 100 Continue).

    Returns (http_version, status, reason, headers with lower-case names).
    """
    version, status, reason = "", None, ""
    headers: dict[str, str] = {}
    for line in raw.split(b"\n"):
        line = line.rstrip(b"\r")
        match = _STATUS_LINE.match(line)
        if match:
            version = match.group(1).decode()
            status = int(match.group(2))
            reason = (match.group(3) or b"").decode("latin-1").strip()
            headers = {}
        elif b":" in line:
            name, _, value = line.partition(b":")
            headers[name.decode("latin-1").strip().lower()] = value.decode("latin-1").strip()
    return version, status, reason, headers


_AUTH_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def parse_www_authenticate(value: str) -> OAuthError | None:
    """Read an RFC 6750 Bearer challenge; None when it carries no `error`."""
    params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
              for m in _AUTH_PARAM.finditer(value)}
    if "error" not in params:
        return None
    return OAuthError(params["error"], params.get("error_description", ""), "www-authenticate")


def parse_error_body(body: bytes | str, status: int | None) -> BoxError | OAuthError | None:
    """Read a Box ClientError or an OAuth error from a JSON body; None for anything else."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict):
        return None
    if doc.get("type") == "error" and isinstance(doc.get("code"), str):
        doc_status = doc.get("status")
        return BoxError(
            status=doc_status if isinstance(doc_status, int) else status,
            code=doc["code"],
            message=str(doc.get("message", "")),
            request_id=str(doc.get("request_id", "")),
            help_url=str(doc.get("help_url", "")),
            context_info=doc.get("context_info"),
        )
    if isinstance(doc.get("error"), str):
        return OAuthError(doc["error"], str(doc.get("error_description", "")), "body")
    return None


def observe(
    *,
    curl_code: int,
    curl_message: str = "",
    url: str = "",
    raw_headers: bytes = b"",
    body: bytes = b"",
    connect_status: int = 0,
    timings: Mapping[str, float] | None = None,
    details: Mapping[str, Any] | None = None,
    phase: Phase | None = None,
    simulated: bool = False,
    proxy: str = "",
) -> Observation:
    """Build an Observation from the plain results of one transfer (`proxy`: the proxy it went
    through, "" when none; it tells waiting for a proxy's CONNECT answer from a handshake)."""
    version, status, reason, headers = parse_header_block(raw_headers)
    timings = dict(timings or {})
    if phase is None:
        phase = phase_from_timings(
            timings, https=url.lower().startswith("https:"), completed=curl_code == 0,
            proxy=proxy, connect_status=connect_status,
            peer=str((details or {}).get("primary_ip") or ""))
    box_error: BoxError | None = None
    oauth_error: OAuthError | None = None
    if status is not None and status >= 400:
        parsed = parse_error_body(body, status)
        if isinstance(parsed, BoxError):
            box_error = parsed
        elif isinstance(parsed, OAuthError):
            oauth_error = parsed
    challenge = headers.get("www-authenticate")
    if oauth_error is None and challenge:
        oauth_error = parse_www_authenticate(challenge)
    return Observation(
        curl_code=curl_code,
        curl_message=curl_message,
        phase=phase,
        url=url,
        http_status=status,
        http_version=version,
        reason=reason,
        headers=headers,
        body=body[:BODY_LIMIT_BYTES],
        box_error=box_error,
        oauth_error=oauth_error,
        connect_status=connect_status,
        timings=timings,
        details=dict(details or {}),
        simulated=simulated,
        **_typed_details(details or {}),
    )


def _typed_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """The transport's facts that readers use, as typed fields (they stay in `details` too)."""
    certinfo = details.get("certinfo") or ()
    return {
        "ca_bundle": str(details.get("ca_bundle") or ""),
        "certinfo": tuple(tuple((str(k), str(v)) for k, v in cert) for cert in certinfo),
        "wire": tuple(str(line) for line in details.get("wire") or ()),
    }
