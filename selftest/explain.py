"""Turn text a user pasted into an Observation, then a Diagnosis: `selftest explain`.

Accepted forms, tried in this order (the first that recognises the text wins):

    {"type": "error", ...} / {"error": ...}    a raw Box ClientError or OAuth error body
    WWW-Authenticate: Bearer error="..."        an API 401 challenge
    HTTP/1.1 429 Too Many Requests              a status line
    cURL error 28: Operation timed out ...      a PHP / WordPress log line (also `curl: (28) ...`)
    60 / 429                                    a bare code: 0..101 libcurl, 400..599 HTTP
    item_name_in_use / CURLE_SSL_CACERT / Invalid Credentials    a name the catalog knows

Pasted text goes through the same classifier as a real exchange: the parsers here only rebuild
the Observation the user's machine saw.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from selftest import catalog as catalog_module
from selftest.catalog import Catalog, Entry
from selftest.classify import Diagnosis, classify
from selftest.observe import (
    BoxError,
    OAuthError,
    Observation,
    Phase,
    parse_error_body,
    parse_www_authenticate,
)
from selftest.scenarios_index import scenario_for

#: How libcurl words a timeout, by the phase it happened in (libcurl 7.x and 8.x wordings).
TIMEOUT_PHASES: tuple[tuple[str, Phase], ...] = (
    ("resolving timed out", "resolve"),
    ("connection timed out", "connect"),
    ("connection timeout", "connect"),
    ("ssl connection timeout", "tls"),
    ("with 0 bytes received", "send"),
    ("with 0 out of", "send"),
    ("bytes received", "receive"),
)

_CURL_LINE = re.compile(r"(?:curl(?: error)?\s*(?::|#)?\s*\(?\s*|errno\s*)(\d{1,3})\)?\s*:?\s*(.*)",
                        re.IGNORECASE | re.DOTALL)
_STATUS_LINE = re.compile(r"^\s*HTTP/\d(?:\.\d)?\s+(\d{3})\b(.*)$", re.IGNORECASE)
_CURLE_NAME = re.compile(r"\bCURLE_[A-Z0-9_]+\b")


@dataclass(frozen=True)
class Explanation:
    input: str
    diagnosis: Diagnosis
    entries: tuple[Entry, ...]
    scenario: str | None
    observation: Observation | None

    @property
    def recognised(self) -> bool:
        return bool(self.entries)

    @property
    def primary(self) -> Entry | None:
        primary = self.diagnosis.primary
        return next((e for e in self.entries if e.id == primary), None)

    def to_dict(self) -> dict[str, Any]:
        """The `selftest explain --json` contract (docs/contracts.md §5), with the entries."""
        primary = self.primary
        summary = primary.summary if primary else ""
        if primary and self.diagnosis.detail:
            summary = f"{summary} ({self.diagnosis.detail})"
        return {
            "input": self.input,
            "diagnosis": list(self.diagnosis.ids),
            "detail": self.diagnosis.detail or None,
            "summary": summary or None,
            "remedy": primary.remedy if primary else None,
            "scenario": self.scenario,
            "entries": [e.to_dict() for e in self.entries],
        }


def explain(text: str, catalog: Catalog | None = None) -> Explanation:
    """Diagnose pasted text. Unrecognised text gives an Explanation with no entries."""
    catalog = catalog or catalog_module.load()
    stripped = text.strip()
    for parse in _PARSERS:
        observation = parse(stripped)
        if observation is not None:
            diagnosis = classify(observation, catalog)
            if diagnosis.ids:
                return _explanation(text, diagnosis, catalog, observation)
    named = _by_name(stripped, catalog)
    if named is None:
        return Explanation(text, Diagnosis(()), (), None, None)
    observation = _observation_for(named)
    if observation is None:
        return _explanation(text, Diagnosis((named.id,)), catalog, None)
    return _explanation(text, classify(observation, catalog), catalog, observation)


def _explanation(text: str, diagnosis: Diagnosis, catalog: Catalog,
                 observation: Observation | None) -> Explanation:
    entries = tuple(catalog.get(i) for i in diagnosis.ids)
    primary = diagnosis.primary
    return Explanation(text, diagnosis, entries, scenario_for(primary) if primary else None,
                       observation)


def _from_json(text: str) -> Observation | None:
    if not text.startswith("{"):
        return None
    parsed = parse_error_body(text, None)
    if isinstance(parsed, BoxError):
        return Observation(http_status=parsed.status, box_error=parsed)
    if isinstance(parsed, OAuthError):
        return Observation(oauth_error=parsed)
    return None


def _from_challenge(text: str) -> Observation | None:
    name, _, value = text.partition(":")
    if name.strip().lower() != "www-authenticate":
        return None
    challenge = parse_www_authenticate(value)
    return Observation(http_status=401, oauth_error=challenge) if challenge else None


def _from_status_line(text: str) -> Observation | None:
    match = _STATUS_LINE.match(text.splitlines()[0] if text else "")
    if not match:
        return None
    return Observation(http_status=int(match.group(1)), reason=match.group(2).strip())


def _from_curl_line(text: str) -> Observation | None:
    match = _CURL_LINE.search(text)
    if not match or ("curl" not in text.lower() and "errno" not in text.lower()):
        return None
    code, message = int(match.group(1)), match.group(2).strip()
    return Observation(curl_code=code, curl_message=message, phase=_timeout_phase(message))


def _timeout_phase(message: str) -> Phase:
    lowered = message.lower()
    return next((phase for needle, phase in TIMEOUT_PHASES if needle in lowered), "unknown")


def _from_bare_code(text: str) -> Observation | None:
    if not text.isdigit():
        return None
    number = int(text)
    if number <= 101:
        return Observation(curl_code=number) if number else None
    if 400 <= number <= 599:
        return Observation(http_status=number)
    return None


_PARSERS: tuple[Callable[[str], Observation | None], ...] = (
    _from_json, _from_challenge, _from_status_line, _from_curl_line, _from_bare_code,
)


def _by_name(text: str, catalog: Catalog) -> Entry | None:
    """The entry named by the text: a code, a CURLE_ name, an OAuth error or an extension message.

    A bare "invalid_grant" names the first entry with that code: the page's first meaning.
    """
    found = catalog.lookup_name(text)
    if not found:
        found = [e for name in _CURLE_NAME.findall(text) for e in catalog.lookup_name(name)]
    if not found:
        lowered = text.lower()
        # The longest message found wins: "User Rate Limit Exceeded" over "Rate Limit Exceeded".
        found = sorted((e for e in catalog.layer("plugin") if e.name.lower() in lowered),
                       key=lambda e: -len(e.name))
    return found[0] if found else None


def _observation_for(entry: Entry) -> Observation | None:
    """What the user's machine saw when it printed this code (None for a plugin message)."""
    if entry.layer == "curl" and entry.code.isdigit():
        return Observation(curl_code=int(entry.code))
    if entry.layer == "http" and entry.code.isdigit():
        return Observation(http_status=int(entry.code))
    if entry.layer == "box":
        return Observation(box_error=BoxError(None, entry.code))
    if entry.layer == "oauth":
        return Observation(oauth_error=OAuthError(entry.code, ""))
    return None
