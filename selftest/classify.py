"""Observation -> Diagnosis: the chain of catalog entries, outermost first.

    transport (curl:N) -> http (http:NNN) -> box:CODE / oauth:ERROR[:VARIANT] -> plugin:MESSAGE

Each link is found by its code. A message's text is used only to refine a code already chosen,
because libcurl rewords its messages between versions: a variant entry (`curl:35:revocation-
offline`, `oauth:invalid_grant:exp`) is picked when its catalog wordings are in the message, and a
code's catalog `details` name what the message or the phase reached adds (60: expired vs unknown
issuer; 28: the phase). Box's OAuth descriptions are told apart by the JWT claim they name, as
Box's older official SDK did, because their wording changed over the years. Every text matched
here is catalog data; this module holds none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from selftest import catalog as catalog_module
from selftest.catalog import Catalog
from selftest.observe import Observation, Phase


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
        curl_id = _known(catalog, f"curl:{obs.curl_code}")
        ids.append(curl_id)
        variant = _variant(catalog, curl_id, obs.curl_message) if curl_id else ""
        if variant != curl_id:
            ids.append(variant)  # curl:35 -> curl:35:revocation-offline: the code, then its cause
        detail = _curl_detail(catalog, obs)
    connect_status = obs.connect_status or _connect_status_in_message(obs, catalog)
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
    exact = f"oauth:{error}"
    if exact not in catalog:
        return _known(catalog, "oauth:unknown")
    return _variant(catalog, exact, description)


def _variant(catalog: Catalog, entry_id: str, message: str) -> str:
    """The first variant of `entry_id` whose wordings the message carries, else `entry_id`."""
    lowered = message.lower()
    for variant in catalog.variants(entry_id):
        if any(w.found_in(lowered) for w in variant.wordings):
            return variant.id
    return entry_id


def _connect_status_in_message(obs: Observation, catalog: Catalog) -> int:
    """The proxy's CONNECT status written in libcurl's message (`... response 407`), else 0.

    libcurl 7.x returns a refused tunnel as 56, 8.x as 7; a message with no CONNECT status of its
    own (a pasted log line, PHP's curl_error()) carries it in the words the catalog's `details`
    mark `status_follows`. The code was chosen from the number: the text only adds the answer.
    """
    entry = catalog.find(f"curl:{obs.curl_code}") if obs.curl_code else None
    message = obs.curl_message[:4096]
    for item in entry.details if entry else ():
        for needle in item.match if item.status_follows else ():
            at = message.find(needle)
            digits = message[at + len(needle):at + len(needle) + 3] if at >= 0 else ""
            if len(digits) == 3 and digits.isdigit():
                return int(digits)
    return 0


def _curl_detail(catalog: Catalog, obs: Observation) -> str:
    """What the message (or the phase reached) adds to the code, from the entry's `details`."""
    entry = catalog.find(f"curl:{obs.curl_code}")
    if entry is None:
        return ""
    if entry.merged_into:
        entry = catalog.get(entry.merged_into)
    if obs.phase == "proxy":
        # libcurl 8 says "Connection timed out" while it waits for a proxy's CONNECT answer, as
        # for a TCP connect: the phase (from timings and the CONNECT status) is the fact.
        at_proxy = next((d.detail for d in entry.details if d.phase == "proxy"), "")
        if at_proxy:
            return at_proxy
    message = obs.curl_message.lower()
    for item in entry.details:
        if any(m.lower() in message for m in item.match):
            return item.detail
    return next((d.detail for d in entry.details if d.phase and d.phase == obs.phase), "")


def timeout_phase(message: str, catalog: Catalog | None = None) -> Phase:
    """The phase a libcurl timeout message names ("Resolving timed out" -> resolve)."""
    catalog = catalog or catalog_module.load()
    lowered = message.lower()
    entry = catalog.find("curl:28")
    for item in entry.details if entry else ():
        if item.phase and any(m.lower() in lowered for m in item.match):
            return cast(Phase, item.phase)
    return "unknown"


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
