"""Turn text a user pasted into Observations, then Diagnoses: `selftest explain`.

Two kinds of input:

- Names, one or several (`60`, `60 429`, `http:409`, `CURLE_OK`, `item_name_in_use`,
  `oauth:invalid_grant:exp`, `Invalid Credentials`): each token is looked up in the catalog.
- Anything else (a log, a stack trace, an SDK exception, a `curl -v` trace, an HTML error page,
  a JSON body, ...): `selftest.evidence` finds every fragment of evidence with its position, and
  `selftest.grouping` makes one finding of fragments that are near each other and agree. A
  paste with a timeout and, later, a 401 gives two findings, in order, each with its line.

Each finding's Observation goes through the same classifier as a real exchange: the scanner only
rebuilds what the user's machine saw. Secrets in the paste never reach the result (its `input`
and excerpts are redacted).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from selftest import catalog as catalog_module
from selftest.catalog import Catalog, Entry
from selftest.classify import Diagnosis, classify
from selftest.grouping import Group, excerpt, group_fragments, read_group
from selftest.observe import BoxError, OAuthError, Observation
from selftest.redact import redact_text

#: At most this many groups of fragments are read from one paste (the work stays bounded).
MAX_GROUPS = 1000
#: At most this many findings are reported from one paste.
MAX_FINDINGS = 50
#: At most this many names are read as a list of codes (`explain 60 429`).
MAX_NAMES = 20


@dataclass(frozen=True)
class Finding:
    """One error found in the paste: where, what the machine saw, what it means."""

    line: int
    excerpt: str
    diagnosis: Diagnosis
    entries: tuple[Entry, ...]
    scenario: str | None
    servable: bool
    observation: Observation | None

    @property
    def primary(self) -> Entry | None:
        primary = self.diagnosis.primary
        return next((e for e in self.entries if e.id == primary), None)

    def to_dict(self) -> dict[str, Any]:
        """One finding in the `explain --json` form (docs/contracts.md §5)."""
        primary = self.primary
        summary = primary.summary if primary else ""
        if primary and self.diagnosis.detail:
            summary = f"{summary} ({self.diagnosis.detail})"
        return {
            "input": self.excerpt,
            "line": self.line,
            "excerpt": self.excerpt,
            "diagnosis": list(self.diagnosis.ids),
            "detail": self.diagnosis.detail or None,
            "summary": summary or None,
            "remedy": primary.remedy if primary else None,
            "scenario": self.scenario,
            "servable": self.servable,
            "entries": [e.to_dict() for e in self.entries],
        }


@dataclass(frozen=True)
class Explanation:
    """Every finding of one paste; the first one also answers the single-error questions."""

    input: str
    findings: tuple[Finding, ...] = ()

    @property
    def recognised(self) -> bool:
        return bool(self.findings)

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    @property
    def diagnosis(self) -> Diagnosis:
        return self.first.diagnosis if self.first else Diagnosis(())

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self.first.entries if self.first else ()

    @property
    def scenario(self) -> str | None:
        return self.first.scenario if self.first else None

    @property
    def observation(self) -> Observation | None:
        return self.first.observation if self.first else None

    @property
    def primary(self) -> Entry | None:
        return self.first.primary if self.first else None

    def to_dict(self) -> dict[str, Any]:
        """`selftest explain --json`: the first finding's fields at top level, then all of them."""
        findings = [f.to_dict() for f in self.findings]
        top: dict[str, Any] = {}
        if findings:
            top.update(findings[0])
        else:
            top.update({"line": None, "excerpt": None, "diagnosis": [], "detail": None,
                        "summary": None, "remedy": None, "scenario": None, "servable": False,
                        "entries": []})
        top["input"] = redact_text(self.input)  # the whole paste; each finding's is its line
        top["findings"] = findings
        return top


def explain(text: str, catalog: Catalog | None = None) -> Explanation:
    """Diagnose pasted text. Unrecognised text gives an Explanation with no findings."""
    catalog = catalog or catalog_module.load()
    if len(text) <= 4096:
        # `60`, `60 429`, `http:409`: names need no scanner (nor its patterns, compiled on import).
        simple = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        named = _named_list(simple, catalog)
        if named is not None:
            return Explanation(text, tuple(_dedupe(named)))
    from selftest.evidence import clean, scan, scan_bare_statuses

    cleaned = clean(text)
    groups = group_fragments(scan(cleaned, catalog), cleaned)
    findings = _distinct(groups, cleaned, catalog, weak_ok=False)
    if not findings:
        # Nothing but a small number after an error word (`request failed (err: 7)`): with no
        # other evidence at all, the libcurl code is the best reading, and better than none.
        findings = _distinct(groups, cleaned, catalog, weak_ok=True)
    if not findings:
        # Still nothing: an error status standing alone (`upstream said 502`) is the last reading.
        bare = group_fragments(scan_bare_statuses(cleaned, catalog), cleaned)
        findings = _distinct(bare, cleaned, catalog, weak_ok=True)
    return Explanation(text, tuple(findings))


def _distinct(groups: list[Group], text: str, catalog: Catalog, *, weak_ok: bool) -> list[Finding]:
    """The groups' findings, each error once (a retry loop repeats one), at most MAX_FINDINGS."""
    findings: list[Finding] = []
    seen: set[tuple[tuple[str, ...], str]] = set()
    for group in groups[:MAX_GROUPS]:
        read = read_group(group, text, catalog, weak_ok)
        if read is None:
            continue
        diagnosis, observation = read
        key = (diagnosis.ids, diagnosis.detail)
        if key not in seen:
            seen.add(key)
            findings.append(_make_finding(group.first_line, excerpt(text, group), diagnosis,
                                          observation, catalog))
            if len(findings) >= MAX_FINDINGS:
                break
    return findings


# --- names: `60`, `60 429`, `http:409`, `CURLE_OK`, `Invalid Credentials` ---------------------

def _named_list(text: str, catalog: Catalog) -> list[Finding] | None:
    """Findings when the whole text is one name or a list of names; None when it is not."""
    stripped = text.strip()
    if not stripped:
        return None
    whole = _by_name(stripped, catalog) if len(stripped) <= 200 else None
    if whole is not None:
        return [_named_finding(whole, 1, stripped, catalog)]
    tokens = stripped.replace(",", " ").split()
    if len(tokens) > MAX_NAMES:
        return None
    entries = [_by_name(token, catalog) for token in tokens]
    if not all(entries):
        return None
    return [_named_finding(e, 1, t, catalog) for e, t in zip(entries, tokens, strict=True) if e]


def _by_name(text: str, catalog: Catalog) -> Entry | None:
    """The entry named by `text`: an id, a bare code, a libcurl name, a Box code or a message."""
    if text in catalog:
        return catalog.get(text)
    if text.isascii() and text.isdigit():
        if len(text) > 3:
            return None
        number = int(text)
        layer = "curl" if number <= 101 else "http"
        return catalog.find(f"{layer}:{number}")
    found = catalog.lookup_name(text)
    return found[0] if found else None


def _named_finding(entry: Entry, line: int, token: str, catalog: Catalog) -> Finding:
    observation = _observation_for(entry)
    diagnosis = classify(observation, catalog) if observation else Diagnosis(())
    if entry.id not in diagnosis.ids:
        diagnosis = Diagnosis((entry.id,))
    return _make_finding(line, token, diagnosis, observation, catalog)


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


def _make_finding(line: int, excerpt: str, diagnosis: Diagnosis,
                  observation: Observation | None, catalog: Catalog) -> Finding:
    entries = tuple(catalog.get(i) for i in diagnosis.ids)
    scenario, servable = scenario_hint(diagnosis.primary, catalog, _clues(observation),
                                       observation.phase if observation else "")
    return Finding(line, redact_text(excerpt), diagnosis, entries, scenario, servable, observation)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """The same error repeated (a retry loop) is reported once, where it first appears."""
    seen: set[tuple[tuple[str, ...], str]] = set()
    kept = []
    for finding in findings:
        key = (finding.diagnosis.ids, finding.diagnosis.detail)
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept


def scenario_hint(entry_id: str | None, catalog: Catalog,
                  clues: frozenset[str] = frozenset(),
                  phase: str = "") -> tuple[str | None, bool]:
    """(scenario to reproduce `entry_id` with, whether `selftest serve` can serve it).

    Of an entry's scenarios, the one named after the phase reached comes first (curl-28-proxy
    for a proxy that never answers CONNECT, though its message says "connect"); then the one
    whose name's extra words are all among `clues` (words of the message and the phase):
    curl-28-connect for a connect timeout, curl-60-expired for an expired certificate.
    """
    scenario, servable = _scenario_hint(entry_id, catalog)
    if scenario is None or not clues:
        return scenario, servable
    from selftest.scenario import load, scenarios_dir

    named = scenarios_dir() / f"{scenario}-{phase}.toml"
    paths = sorted(scenarios_dir().glob(f"{scenario}-*.toml"))
    for path in ([named] if phase and named in paths else []) + paths:
        words = set(path.stem[len(scenario) + 1:].split("-"))
        if words <= clues:
            item = load(path, steps=False)
            if item.documents == entry_id:
                return item.id, item.fault is not None
    return scenario, servable


def _clues(observation: Observation | None) -> frozenset[str]:
    if observation is None or not (observation.curl_message or observation.phase != "unknown"):
        return frozenset()
    words = observation.curl_message[:2000].lower().replace("-", " ").split()
    return frozenset(words) | {observation.phase}


@cache
def _scenario_hint(entry_id: str | None, catalog: Catalog) -> tuple[str | None, bool]:
    """Only scenarios that exist are named. An impossible entry (an obsolete code) points at the
    code it was merged into (51 -> curl-60); a scenario whose client alone makes the failure (6:
    a name that cannot resolve) can be reproduced but has nothing to serve.
    """
    if not entry_id:
        return None, False
    entry = catalog.find(entry_id)
    if entry is not None and entry.reproduction == "impossible":
        if not entry.merged_into:
            return None, False
        entry = catalog.get(entry.merged_into)
    if entry is None:
        return None, False
    from selftest.scenario import load, scenarios_dir
    from selftest.scenarios_index import scenario_for

    scenario = scenario_for(entry.id)
    if scenario is None:
        return None, False
    # A scenario's id is its file name: read that one file, not all of them (start-up time).
    item = load(scenarios_dir() / f"{scenario}.toml", steps=False)
    return scenario, item.fault is not None
