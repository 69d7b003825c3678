"""Turn text a user pasted into Observations, then Diagnoses: `selftest explain`.

Two kinds of input:

- Names, one or several (`60`, `60 429`, `http:409`, `CURLE_OK`, `item_name_in_use`,
  `oauth:invalid_grant:exp`, `Invalid Credentials`): each token is looked up in the catalog.
- Anything else (a log, a stack trace, an SDK exception, a `curl -v` trace, an HTML error page,
  a JSON body, ...): `selftest.evidence` finds every fragment of evidence with its position, and
  fragments that are near each other and agree make one finding. A paste with a timeout and,
  later, a 401 gives two findings, in order, each with the line it came from.

Each finding's Observation goes through the same classifier as a real exchange: the scanner only
rebuilds what the user's machine saw. Secrets in the paste never reach the result (its `input`
and excerpts are redacted).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from selftest import catalog as catalog_module
from selftest.catalog import Catalog, Entry
from selftest.classify import Diagnosis, classify, timeout_phase
from selftest.observe import BoxError, OAuthError, Observation
from selftest.redact import redact_text

if TYPE_CHECKING:
    from selftest.evidence import Fragment

#: Findings further apart than this many lines are separate errors.
GAP_LINES = 6
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
    from selftest.evidence import clean, scan

    cleaned = clean(text)
    groups = _groups(scan(cleaned, catalog), cleaned)
    findings = _distinct(groups, cleaned, catalog, weak_ok=False)
    if not findings:
        # Nothing but a small number after an error word (`request failed (err: 7)`): with no
        # other evidence at all, the libcurl code is the best reading, and better than none.
        findings = _distinct(groups, cleaned, catalog, weak_ok=True)
    return Explanation(text, tuple(findings))


def _distinct(groups: list[_Group], text: str, catalog: Catalog, *, weak_ok: bool) -> list[Finding]:
    """The groups' findings, each error once (a retry loop repeats one), at most MAX_FINDINGS."""
    findings: list[Finding] = []
    seen: set[tuple[tuple[str, ...], str]] = set()
    for group in groups:
        finding = _finding(group, text, catalog, weak_ok)
        if finding is None:
            continue
        key = (finding.diagnosis.ids, finding.diagnosis.detail)
        if key not in seen:
            seen.add(key)
            findings.append(replace(finding, excerpt=_excerpt(text, group)))
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


# --- free text: fragments -> groups -> findings -----------------------------------------------

@dataclass
class _Group:
    """Fragments that describe one error, with the lines they are on."""

    fragments: list[tuple[int, Fragment]] = field(default_factory=list)
    curl: int | None = None
    curl_strong: bool = False
    status: int | None = None
    box: str | None = None
    oauth: str | None = None

    @property
    def last_line(self) -> int:
        return self.fragments[-1][0]

    @property
    def first_line(self) -> int:
        return self.fragments[0][0]


def _groups(fragments: list[Fragment], text: str) -> list[_Group]:
    """Fragments that are near each other and agree, grouped; a disagreement starts a new one."""
    groups: list[_Group] = []
    line, counted = 1, 0
    for fragment in fragments:
        line += text.count("\n", counted, fragment.pos)
        counted = fragment.pos
        current = groups[-1] if groups else None
        if current is None or line - current.last_line > GAP_LINES \
                or _conflicts(current, fragment, line):
            current = _Group()
            groups.append(current)
        _add(current, fragment, line)
    return groups


def _curl_value(fragment: Fragment) -> int | None:
    if fragment.kind in ("curl", "weak") and isinstance(fragment.value, int):
        return fragment.value
    if fragment.kind == "wording" and fragment.entry.startswith("curl:"):
        return int(fragment.entry.split(":")[1])
    return None


def _conflicts(group: _Group, fragment: Fragment, line: int) -> bool:
    """Whether `fragment` tells of another error than the one `group` holds."""
    code = _curl_value(fragment)
    same_line = line == group.last_line
    if fragment.kind == "curl" and group.curl is not None and group.curl_strong:
        return code != group.curl
    if fragment.kind in ("wording", "weak") and code is not None and group.curl is not None:
        return not group.curl_strong and code != group.curl and not same_line
    status = _http_value(fragment)
    if status is not None:
        if group.status is not None and status != group.status:
            return True
        # A libcurl failure and an HTTP error on other lines are two errors (a timeout, then a
        # 401), except where libcurl reports the status itself (22: "returned error: 404").
        return group.curl is not None and group.curl != 22 and not same_line
    if fragment.kind == "box" and group.box is not None:
        return fragment.value != group.box
    if fragment.kind == "oauth" and group.oauth is not None:
        return fragment.value != group.oauth
    if fragment.kind in ("box", "oauth") and group.curl is not None and group.curl != 22:
        return not same_line
    if code is not None and group.curl is None and (group.status or group.box or group.oauth):
        return not same_line
    return False


def _http_value(fragment: Fragment) -> int | None:
    if fragment.kind == "status" and isinstance(fragment.value, int):
        return fragment.value
    if fragment.kind == "wording" and fragment.entry.startswith("http:"):
        return int(fragment.entry.split(":")[1])
    return None


def _add(group: _Group, fragment: Fragment, line: int) -> None:
    group.fragments.append((line, fragment))
    code = _curl_value(fragment)
    if fragment.kind == "curl":
        if not group.curl_strong:
            group.curl, group.curl_strong = code, True
    elif code is not None and group.curl is None:
        group.curl = code
    status = _http_value(fragment)
    if status is not None and group.status is None:
        group.status = status
    if fragment.kind == "box" and group.box is None:
        group.box = str(fragment.value)
    if fragment.kind == "oauth" and group.oauth is None:
        group.oauth = str(fragment.value)
    if fragment.kind == "wording" and group.oauth is None and fragment.entry.startswith("oauth:"):
        group.oauth = str(fragment.value)
    if fragment.kind == "wording" and group.box is None and fragment.entry.startswith("box:"):
        group.box = str(fragment.value)


def _finding(group: _Group, text: str, catalog: Catalog,
             weak_ok: bool = False) -> Finding | None:
    """The finding a group makes, or None when its evidence is too weak to name anything."""
    frags = [f for _, f in group.fragments]
    kinds = {f.kind for f in frags}
    lines = _lines(text, group)
    message = " ".join(lines)[:2000]
    line = group.first_line
    excerpt = ""  # filled in by _distinct for the findings it keeps
    if kinds <= {"plugin"}:
        entry = catalog.get(frags[0].entry)
        return _make_finding(line, excerpt, Diagnosis((entry.id,)), None, catalog)
    curl_code = group.curl if group.curl_strong else None
    wording_curl = next((c for f in frags if f.kind == "wording"
                         and (c := _curl_value(f)) is not None), None)
    if curl_code is None:
        curl_code = wording_curl
    if curl_code is None:
        weak = [f for f in frags if f.kind == "weak"]
        backed = weak_ok or any(f.strength >= 2 for f in weak)
        if weak and backed and isinstance(weak[0].value, int):
            curl_code = weak[0].value
    statuses = [f for f in frags if _http_value(f) is not None]
    strong_status = [s for f in statuses if f.strength >= 2 and (s := _http_value(f))]
    box = next((str(f.value) for f in frags if f.kind == "box"
                or (f.kind == "wording" and f.entry.startswith("box:"))), None)
    oauth = _oauth(frags, message)
    weak_status = [s for f in statuses if (s := _http_value(f))]
    status: int | None = strong_status[0] if strong_status else None
    if status is None and weak_status and (box or oauth or curl_code == 22):
        status = weak_status[0]
    connect = next((int(f.value) for f in frags if f.kind == "connect"), 0)
    if "bearer" in kinds and oauth is not None and status is None and not connect:
        status = 401
    if curl_code is None and status is None and not connect and box is None and oauth is None:
        plugin = next((f for f in frags if f.kind == "plugin"), None)
        if plugin is None:
            return None
        return _make_finding(line, excerpt, Diagnosis((plugin.entry,)), None, catalog)
    observation = Observation(
        curl_code=curl_code or 0,
        curl_message=message if curl_code else "",
        phase=timeout_phase(message, catalog) if curl_code == 28 else "unknown",
        http_status=status,
        connect_status=connect,
        box_error=BoxError(status, box) if box else None,
        oauth_error=oauth,
    )
    diagnosis = classify(observation, catalog)
    if not diagnosis.ids:
        return None
    seen_message = next((f.entry for f in frags if f.kind == "plugin"
                         and not _is_reason_phrase(catalog.get(f.entry).name, catalog)), "")
    if seen_message and seen_message not in diagnosis.ids:
        # The paste shows the extension's own message: that one, not the status's usual one.
        kept = tuple(i for i in diagnosis.ids if not i.startswith("plugin:"))
        diagnosis = Diagnosis((*kept, seen_message), diagnosis.detail)
    return _make_finding(line, excerpt, diagnosis, observation, catalog)


def _is_reason_phrase(message: str, catalog: Catalog) -> bool:
    """True for an extension message that is also an HTTP reason phrase ("Bad Request")."""
    lowered = message.lower()
    return any(lowered in (e.name.lower(), *(a.lower() for a in e.aliases))
               for e in catalog.layer("http"))


def _oauth(frags: list[Fragment], message: str) -> OAuthError | None:
    error = next((str(f.value) for f in frags if f.kind == "oauth"), None)
    wording = next((f for f in frags if f.kind == "wording" and f.entry.startswith("oauth:")), None)
    if error is None and wording is not None:
        error = str(wording.value)
    if error is None:
        return None
    description = next((str(f.value) for f in frags if f.kind == "desc"), "")
    if any(f.kind == "bearer" for f in frags):
        return OAuthError(error, description or message, "www-authenticate")
    return OAuthError(error, description or message, "body")


def _lines(text: str, group: _Group) -> list[str]:
    """The distinct lines the group's fragments are on (each cut to 300 characters)."""
    seen: dict[int, str] = {}
    for _, fragment in group.fragments:
        start = text.rfind("\n", 0, fragment.pos) + 1
        if start not in seen and len(seen) < 12:
            end = text.find("\n", fragment.pos)
            seen[start] = text[start:end if end >= 0 else len(text)][:300].strip()
    return list(seen.values())


def _excerpt(text: str, group: _Group) -> str:
    """The line the group starts on, as a person would quote it (secrets redacted)."""
    pos = group.fragments[0][1].pos
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = " ".join(text[start:end if end >= 0 else len(text)][:400].split())
    return redact_text(line[:200])


def _make_finding(line: int, excerpt: str, diagnosis: Diagnosis,
                  observation: Observation | None, catalog: Catalog) -> Finding:
    entries = tuple(catalog.get(i) for i in diagnosis.ids)
    scenario, servable = scenario_hint(diagnosis.primary, catalog, _clues(observation))
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
                  clues: frozenset[str] = frozenset()) -> tuple[str | None, bool]:
    """(scenario to reproduce `entry_id` with, whether `selftest serve` can serve it).

    Of an entry's scenarios, the one whose name's extra words are all among `clues` (words of
    the message and the phase) is the closer one: curl-28-connect for a connect timeout,
    curl-60-expired for an expired certificate.
    """
    scenario, servable = _scenario_hint(entry_id, catalog)
    if scenario is None or not clues:
        return scenario, servable
    from selftest.scenario import load, scenarios_dir

    for path in sorted(scenarios_dir().glob(f"{scenario}-*.toml")):
        words = set(path.stem[len(scenario) + 1:].split("-"))
        if words <= clues:
            item = load(path)
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
    item = load(scenarios_dir() / f"{scenario}.toml")
    return scenario, item.fault is not None
