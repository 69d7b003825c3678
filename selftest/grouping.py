"""Fragments of evidence -> groups that describe one error each -> their Observations.

`selftest.evidence` finds the fragments; this module decides which belong together. Fragments
are read in order of position; one joins the current group while it is within GAP_LINES lines
of the group's last fragment and agrees with it. A disagreement starts a new group: another
libcurl code, another status, another Box code or OAuth error, or a libcurl failure and an HTTP
error on different lines (a timeout, then a 401), except where libcurl reports the status itself
(22: "The requested URL returned error: 404"; a proxy's answer to CONNECT). A message wording
on the line of a code is that code's message, not another error, and a reason phrase with no
number on the line of a status is that answer's body, not another status.

Each group's fragments then rebuild the Observation the user's machine saw: the explicit
libcurl code (else the one its wording names, else a small number after an error word when
something backs it), the status (a weak one only beside a Box/OAuth error), the proxy's CONNECT
status, the Box code, the OAuth error and description, and the group's lines as libcurl's
message (for variants and details). The classifier does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from selftest.catalog import Catalog
from selftest.classify import Diagnosis, classify, timeout_phase
from selftest.observe import BoxError, OAuthError, Observation
from selftest.redact import redact_text

if TYPE_CHECKING:
    from selftest.evidence import Fragment

#: Fragments further apart than this many lines are separate errors.
GAP_LINES = 6


@dataclass
class Group:
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


def group_fragments(fragments: list[Fragment], text: str) -> list[Group]:
    """Fragments that are near each other and agree, grouped; a disagreement starts a new one."""
    groups: list[Group] = []
    line, counted = 1, 0
    for fragment in fragments:
        line += text.count("\n", counted, fragment.pos)
        counted = fragment.pos
        current = groups[-1] if groups else None
        if current is None or line - current.last_line > GAP_LINES \
                or _conflicts(current, fragment, line):
            current = Group()
            groups.append(current)
        _add(current, fragment, line)
    return groups


def _curl_value(fragment: Fragment) -> int | None:
    if fragment.kind in ("curl", "weak") and isinstance(fragment.value, int):
        return fragment.value
    if fragment.kind == "wording" and fragment.entry.startswith("curl:"):
        return int(fragment.entry.split(":")[1])
    return None


def _conflicts(group: Group, fragment: Fragment, line: int) -> bool:
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
            # A reason phrase with no number, on the line of a status, is that answer's own body
            # or message (`502 Bad Gateway response: {"error": "Internal Server Error"}`).
            return not (fragment.kind == "wording" and same_line)
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


def _add(group: Group, fragment: Fragment, line: int) -> None:
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


def read_group(group: Group, text: str, catalog: Catalog,
               weak_ok: bool = False) -> tuple[Diagnosis, Observation | None] | None:
    """The diagnosis a group makes (and the Observation it rebuilt), or None when its evidence
    is too weak to name anything. `weak_ok`: a bare small number after an error word counts."""
    frags = [f for _, f in group.fragments]
    kinds = {f.kind for f in frags}
    lines = _lines(text, group)
    message = " ".join(lines)[:2000]
    if kinds <= {"plugin"}:
        entry = catalog.get(frags[0].entry)
        return Diagnosis((entry.id,)), None
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
        # RFC 6750 §3.1: a challenge for a missing scope comes with 403 (Box too,
        # docs/facts.md), every other bearer error with 401.
        status = 403 if oauth.error == "insufficient_scope" else 401
    if curl_code is None and status is None and not connect and box is None and oauth is None:
        plugin = next((f for f in frags if f.kind == "plugin"), None)
        if plugin is None:
            return None
        return Diagnosis((plugin.entry,)), None
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
    return diagnosis, observation


def _is_reason_phrase(message: str, catalog: Catalog) -> bool:
    """True for an extension message that is also an HTTP reason phrase ("Bad Request")."""
    return message.lower() in _reason_phrases(catalog)


@cache
def _reason_phrases(catalog: Catalog) -> frozenset[str]:
    return frozenset(name.lower() for e in catalog.layer("http") for name in (e.name, *e.aliases))


def _oauth(frags: list[Fragment], message: str) -> OAuthError | None:
    error = next((str(f.value) for f in frags if f.kind == "oauth"), None)
    wording = next((f for f in frags if f.kind == "wording" and f.entry.startswith("oauth:")), None)
    if error is None and wording is not None:
        error = str(wording.value)
    if error is None:
        return None
    description = next((str(f.value) for f in frags if f.kind == "desc"), "")
    if not description or description in message:
        # The lines hold the description whole, even where quoting cut it short
        # ('Please check the \'jti\' claim' in a JS object): the claim decides the variant.
        description = message
    if any(f.kind == "bearer" for f in frags):
        return OAuthError(error, description, "www-authenticate")
    return OAuthError(error, description, "body")


def _lines(text: str, group: Group) -> list[str]:
    """The distinct lines the group's fragments are on (each cut to 300 characters)."""
    seen: dict[int, str] = {}
    for _, fragment in group.fragments:
        start = text.rfind("\n", 0, fragment.pos) + 1
        if start not in seen and len(seen) < 12:
            end = text.find("\n", fragment.pos)
            seen[start] = text[start:end if end >= 0 else len(text)][:300].strip()
    return list(seen.values())


def excerpt(text: str, group: Group) -> str:
    """The line the group starts on, as a person would quote it (secrets redacted)."""
    pos = group.fragments[0][1].pos
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = " ".join(text[start:end if end >= 0 else len(text)][:400].split())
    return redact_text(line[:200])
