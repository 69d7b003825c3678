"""Observation -> Diagnosis: the chain of catalog entries, outermost first.

    transport (curl:N) -> http (http:NNN) -> box:CODE / oauth:ERROR[:VARIANT] -> plugin:MESSAGE

Each link is found by a table keyed on codes. libcurl's message text is used only to refine a code
already chosen (60: expired vs unknown issuer vs self-signed; 28: by the phase reached), because
libcurl rewords its messages between versions. Box's OAuth descriptions are told apart by the JWT
claim they name, as Box's older official SDK did, because their wording changed over the years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from selftest import catalog as catalog_module
from selftest.catalog import Catalog
from selftest.observe import Observation

#: Refinements of a libcurl code by words in libcurl's message: (code, needle, detail).
#: The first needle found wins; the code itself always comes from libcurl's return value.
CURL_MESSAGE_DETAILS: tuple[tuple[int, str, str], ...] = (
    (60, "certificate has expired", "the server's certificate has expired (or the clock is wrong)"),
    (60, "not yet valid", "the server's certificate is not valid yet (or the clock is behind)"),
    (60, "self-signed certificate in certificate chain",
     "the chain ends in a self-signed root this machine does not trust: "
     "typically a TLS-intercepting proxy or antivirus"),
    (60, "self-signed certificate", "the server sent a self-signed certificate"),
    (60, "self signed", "the server sent a self-signed certificate"),
    (60, "unable to get local issuer certificate",
     "the issuer is not in the CA bundle in use: a missing or stale CA bundle, "
     "or a TLS-intercepting proxy re-signing certificates"),
    (60, "no alternative certificate subject name matches",
     "the certificate was issued for another host name"),
    (60, "does not match target host name", "the certificate was issued for another host name"),
    (35, "wrong version number", "the other end does not speak TLS (plain HTTP on an HTTPS port?)"),
    (35, "ssl_error_syscall",
     "the connection was cut during the TLS handshake: often a firewall or proxy that blocks "
     "or inspects TLS to Box"),
    (35, "unsupported protocol", "no TLS version in common (Box needs TLS 1.2 or later)"),
    (35, "protocol version", "no TLS version in common (Box needs TLS 1.2 or later)"),
    (56, "connection reset", "the connection was reset by the peer"),
    (56, "too large response headers",
     "the response headers exceed libcurl's limit (300 KiB); libcurl 7.x also says this after "
     "FTP CCC, when it reads the server's leftover TLS records as a reply"),
    (56, "CONNECT tunnel failed", "the proxy refused the CONNECT tunnel"),
    (7, "CONNECT tunnel failed", "the proxy refused the CONNECT tunnel"),
)

#: libcurl's words for a refused CONNECT tunnel; 7.x returns them as 56, 8.x as 7. A pasted log
#: line has no CONNECT status of its own: these words carry it, so the proxy's status is named
#: (the code was already chosen from the number; the text only adds the proxy's answer).
CONNECT_REFUSED = re.compile(r"CONNECT tunnel failed, response (\d{3})")
CONNECT_REFUSED_CODES = frozenset({7, 56})

#: Old codes whose messages are refined like the code they were merged into (51 -> 60 in 7.62.0).
CURL_MERGED_INTO = {51: 60}

#: Refinements of a libcurl code by the phase the exchange reached.
CURL_PHASE_DETAILS: dict[tuple[int, str], str] = {
    (28, "resolve"): "timed out while resolving the host name (DNS)",
    (28, "connect"): "timed out while connecting (firewall dropping packets, or host down)",
    (28, "tls"): "timed out during the TLS handshake",
    (28, "send"): "timed out waiting for the server to answer",
    (28, "receive"): "timed out while receiving the response",
}

#: invalid_grant descriptions, told apart by the JWT claim or grant they name: (needles, id).
#: All needles must be present (lower-cased); the first row that matches wins.
INVALID_GRANT_VARIANTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("'exp'", "before"), "oauth:invalid_grant:exp"),
    (("'exp'",), "oauth:invalid_grant:exp-too-far"),
    (("'nbf'",), "oauth:invalid_grant:iat"),
    (("'iat'",), "oauth:invalid_grant:iat"),
    (("'jti'",), "oauth:invalid_grant:jti"),
    (("'sub'",), "oauth:invalid_grant:sub"),
    (("grant credentials",), "oauth:invalid_grant:credentials"),
)


@dataclass(frozen=True)
class Diagnosis:
    """Catalog ids, outermost first, and an optional refinement of the outermost one."""

    ids: tuple[str, ...]
    detail: str = ""

    @property
    def primary(self) -> str | None:
        """The most specific id below the plugin message (what actually went wrong)."""
        for entry_id in reversed(self.ids):
            if not entry_id.startswith("plugin:"):
                return entry_id
        return self.ids[0] if self.ids else None

    def starts_with(self, expected: tuple[str, ...] | list[str]) -> bool:
        return tuple(self.ids[: len(expected)]) == tuple(expected)

    def to_dict(self) -> dict[str, Any]:
        return {"diagnosis": list(self.ids), "detail": self.detail or None}


def classify(obs: Observation, catalog: Catalog | None = None) -> Diagnosis:
    """Name every layer of what went wrong in `obs`; an empty chain means nothing did."""
    catalog = catalog or catalog_module.load()
    ids: list[str] = []
    detail = ""
    if obs.curl_code > 0:
        ids.append(_known(catalog, f"curl:{obs.curl_code}"))
        detail = _curl_detail(obs)
    connect_status = obs.connect_status or _connect_status_in_message(obs)
    if connect_status >= 400:
        ids.append(_http_id(catalog, connect_status))
    elif obs.http_status is not None and obs.http_status >= 400:
        ids.append(_http_id(catalog, obs.http_status))
    elif obs.http_status is None and (obs.box_error or obs.oauth_error):
        # A pasted error body with no status line: the body alone names the error.
        pass
    if obs.box_error is not None:
        ids.append(_box_id(catalog, obs.box_error.code))
    if obs.oauth_error is not None:
        ids.append(_oauth_id(catalog, obs.oauth_error.error, obs.oauth_error.description))
    plugin = _plugin_message(catalog, ids)
    if plugin:
        ids.append(plugin)
    return Diagnosis(tuple(i for i in ids if i), detail)


def _known(catalog: Catalog, entry_id: str) -> str:
    return entry_id if entry_id in catalog else ""


def _http_id(catalog: Catalog, status: int) -> str:
    exact = f"http:{status}"
    if exact in catalog:
        return exact
    return _known(catalog, f"http:{status // 100}xx")


def _box_id(catalog: Catalog, code: str) -> str:
    exact = f"box:{code}"
    if exact in catalog:
        return exact
    for entry in catalog.lookup_name(code):
        if entry.layer == "box":
            return entry.id
    return _known(catalog, "box:unknown")


def _oauth_id(catalog: Catalog, error: str, description: str) -> str:
    if error == "invalid_grant":
        text = description.lower()
        for needles, entry_id in INVALID_GRANT_VARIANTS:
            if all(n in text for n in needles) and entry_id in catalog:
                return entry_id
    exact = f"oauth:{error}"
    return exact if exact in catalog else _known(catalog, "oauth:unknown")


def _connect_status_in_message(obs: Observation) -> int:
    match = CONNECT_REFUSED.search(obs.curl_message)
    return int(match.group(1)) if match and obs.curl_code in CONNECT_REFUSED_CODES else 0


def _curl_detail(obs: Observation) -> str:
    message = obs.curl_message.lower()
    current = CURL_MERGED_INTO.get(obs.curl_code, obs.curl_code)
    for code, needle, detail in CURL_MESSAGE_DETAILS:
        if code == current and needle.lower() in message:
            return detail
    return CURL_PHASE_DETAILS.get((obs.curl_code, obs.phase), "")


def _plugin_message(catalog: Catalog, ids: list[str]) -> str:
    """The extension message for the most specific HTTP-level id, if that id produces one.

    Only the innermost id counts: a Box code no message stands for (storage_limit_exceeded)
    must not borrow the message of its bare status (403 -> "insufficient permissions"). An
    unknown Box or OAuth code says nothing specific, so its status decides instead.
    """
    http_level = [i for i in ids if i and not i.startswith("curl:")]
    while http_level and http_level[-1] in _UNSPECIFIC:
        http_level.pop()
    if not http_level:
        return ""
    innermost = http_level[-1]
    return next((e.id for e in catalog.layer("plugin") if innermost in e.produced_by), "")


_UNSPECIFIC = frozenset({"box:unknown", "oauth:unknown"})
