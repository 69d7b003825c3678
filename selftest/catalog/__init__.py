"""The catalog: every code the user can see, with what it means and what to do — as data.

One TOML file per layer sits beside this module (`curl.toml`, `http.toml`, `box.toml`,
`oauth.toml`, `plugin.toml`), each a list of `[[entry]]` tables. The format is documented in
`FORMAT.md` in this folder. This module only loads, checks and looks up; it knows no codes.

Ids are `LAYER:CODE` (`curl:60`, `http:429`, `box:item_name_in_use`), with a third part for a
variant told apart by its message (`oauth:invalid_grant:exp`, `curl:35:revocation-offline`).
The layer is the id's prefix and the code its second part: neither is written twice. An entry
is `documented` exactly when it carries the reference page's text (`page_text`).

The wordings by which libcurl, the TLS libraries, Box and WordPress say each thing live here too
(`wordings`, `details`): `selftest.explain` finds them in pasted text, `selftest.classify` uses
them to pick a variant or refine a code. No code module keeps a table of message texts.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from selftest import tomlcache
from selftest.errors import CatalogError

LAYERS = ("curl", "http", "box", "oauth", "plugin")
Reproduction = Literal["real", "simulated", "impossible"]
_REPRODUCTIONS = ("real", "simulated", "impossible")
_RETRYABLE = ("no", "yes", "after-retry-after")
_REQUIRED = ("id", "name", "summary", "remedy", "retryable", "reproduction")
#: Every key an entry may have; anything else is a misspelling and is refused.
_KEYS = frozenset({*_REQUIRED, "causes", "errata", "reason", "page_text", "produced_by", "aliases",
                   "status", "wordings", "details", "merged_into"})


@dataclass(frozen=True)
class Wording:
    """A text by which some program reports this entry (matched case-insensitively).

    `with_` lists more texts that must also be in the same message (the `'exp'` claim is
    `exp` only when the message also says `before`). `source` says which program and versions
    print it (`libcurl 7.x, 8.x`, `OpenSSL 3.x`, `Schannel`, `WordPress (Requests)`).
    """

    text: str
    source: str
    with_: tuple[str, ...] = ()

    def found_in(self, lowered: str) -> bool:
        """True when `lowered` (an already lower-cased message) carries this wording."""
        return self.text.lower() in lowered and all(w.lower() in lowered for w in self.with_)


@dataclass(frozen=True)
class Detail:
    """A refinement of an entry: shown when the message holds one of `match`, or at `phase`.

    With `status_follows`, the match text is followed by the HTTP status a proxy answered
    CONNECT with (libcurl's `CONNECT tunnel failed, response 407`).
    """

    detail: str
    match: tuple[str, ...] = ()
    phase: str = ""
    status_follows: bool = False


@dataclass(frozen=True)
class Entry:
    """One thing a user can see, explained."""

    id: str
    layer: str
    code: str
    name: str
    summary: str
    remedy: str
    retryable: str
    reproduction: Reproduction
    causes: tuple[str, ...] = ()
    documented: bool = False
    errata: str = ""
    reason: str = ""
    #: What the reference page says (its own words), when documented.
    page_text: str = ""
    #: plugin layer only: the catalog ids whose observation makes the extension show this message,
    #: most specific first.
    produced_by: tuple[str, ...] = ()
    #: Other spellings a user may paste (e.g. the page's misspelling, an old libcurl name).
    aliases: tuple[str, ...] = ()
    #: box layer: the HTTP status Box sends with this code.
    status: int | None = None
    #: How programs word this entry in their messages (see Wording).
    wordings: tuple[Wording, ...] = ()
    #: Refinements by message text or by the phase reached (see Detail).
    details: tuple[Detail, ...] = ()
    #: A retired code now reported as another (curl:51 -> curl:60 since libcurl 7.62.0).
    merged_into: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The `selftest catalog --json` form (docs/contracts.md §4)."""
        out: dict[str, Any] = {
            "id": self.id, "layer": self.layer, "code": self.code, "name": self.name,
            "summary": self.summary, "causes": list(self.causes), "remedy": self.remedy,
            "retryable": self.retryable, "documented": self.documented,
            "errata": self.errata or None, "reproduction": self.reproduction,
            "reason": self.reason or None,
        }
        if self.produced_by:
            out["produced_by"] = list(self.produced_by)
        if self.aliases:
            out["aliases"] = list(self.aliases)
        if self.status is not None:
            out["status"] = self.status
        return out


class Catalog:
    """All entries, by id, in file order."""

    def __init__(self, entries: list[Entry]) -> None:
        self._by_id: dict[str, Entry] = {}
        for entry in entries:
            if entry.id in self._by_id:
                raise CatalogError(f"catalog id {entry.id!r} is defined twice")
            self._by_id[entry.id] = entry
        self._variants: dict[str, list[Entry]] = {}
        for entry in entries:
            if entry.id.count(":") == 2:
                self._variants.setdefault(entry.id.rsplit(":", 1)[0], []).append(entry)
        for entry in entries:
            for target in (*entry.produced_by, *filter(None, [entry.merged_into])):
                if target not in self._by_id:
                    raise CatalogError(f"{entry.id}: names unknown id {target!r}")

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._by_id

    def get(self, entry_id: str) -> Entry:
        """The entry `entry_id`. Raises CatalogError when there is none."""
        try:
            return self._by_id[entry_id]
        except KeyError:
            raise CatalogError(f"no catalog entry {entry_id!r}") from None

    def find(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    def layer(self, layer: str) -> list[Entry]:
        return [e for e in self if e.layer == layer]

    def variants(self, entry_id: str) -> list[Entry]:
        """The variants of `entry_id` (`oauth:invalid_grant:exp` of `oauth:invalid_grant`)."""
        return self._variants.get(entry_id, [])

    def lookup_name(self, text: str) -> list[Entry]:
        """Entries whose code, name or alias equals `text` (case-insensitive), in layer order."""
        key = text.strip().lower()
        return [e for e in self
                if key in (e.code.lower(), e.name.lower(), *(a.lower() for a in e.aliases))]


def _entry(raw: dict[str, Any], source: str) -> Entry:
    entry_id = str(raw.get("id", "?"))
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise CatalogError(f"{source}: entry {entry_id!r} has unknown key(s) {', '.join(unknown)}"
                           " (FORMAT.md lists the keys)")
    missing = [key for key in _REQUIRED if not raw.get(key)]
    if missing:
        raise CatalogError(f"{source}: entry {entry_id!r} lacks {', '.join(missing)}")
    parts = entry_id.split(":")
    layer = parts[0]
    if layer not in LAYERS or len(parts) not in (2, 3) or not all(parts):
        raise CatalogError(f"{source}: {entry_id!r} is not LAYER:CODE[:VARIANT] of a known layer")
    if raw["reproduction"] not in _REPRODUCTIONS:
        raise CatalogError(f"{source}: {entry_id}: reproduction must be one of {_REPRODUCTIONS}")
    if raw["reproduction"] != "real" and not raw.get("reason"):
        raise CatalogError(f"{source}: {entry_id}: a {raw['reproduction']} entry needs a reason")
    if raw["retryable"] not in _RETRYABLE:
        raise CatalogError(f"{source}: {entry_id}: retryable must be one of {_RETRYABLE}")
    status = raw.get("status")
    if layer == "box" and parts[1] != "unknown" and not isinstance(status, int):
        raise CatalogError(f"{source}: {entry_id}: a Box entry needs its HTTP status (status = N)")
    if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
        raise CatalogError(f"{source}: {entry_id}: status must be an HTTP status")
    page_text = str(raw.get("page_text", "")).strip()
    return Entry(
        id=entry_id,
        layer=layer,
        code=parts[1],
        name=str(raw["name"]),
        summary=str(raw["summary"]).strip(),
        remedy=str(raw["remedy"]).strip(),
        retryable=str(raw["retryable"]),
        reproduction=raw["reproduction"],
        causes=tuple(raw.get("causes", ())),
        documented=bool(page_text),
        errata=str(raw.get("errata", "")).strip(),
        reason=str(raw.get("reason", "")).strip(),
        page_text=page_text,
        produced_by=tuple(raw.get("produced_by", ())),
        aliases=tuple(raw.get("aliases", ())),
        status=status,
        wordings=tuple(_wording(w, source, entry_id) for w in raw.get("wordings", ())),
        details=tuple(_detail(d, source, entry_id) for d in raw.get("details", ())),
        merged_into=str(raw.get("merged_into", "")),
    )


def _wording(raw: Any, source: str, entry_id: str) -> Wording:
    if not isinstance(raw, dict) or set(raw) - {"text", "from", "with"} \
            or not raw.get("text") or not raw.get("from"):
        raise CatalogError(f"{source}: {entry_id}: a wording is {{ text = ..., from = ... }} "
                           f"(optional with = [...]), not {raw!r}")
    return Wording(str(raw["text"]), str(raw["from"]), tuple(str(w) for w in raw.get("with", ())))


def _detail(raw: Any, source: str, entry_id: str) -> Detail:
    if not isinstance(raw, dict) or set(raw) - {"match", "phase", "detail", "status_follows"} \
            or not raw.get("detail") or not (raw.get("match") or raw.get("phase")):
        raise CatalogError(f"{source}: {entry_id}: a detail is {{ match = [...] and/or phase = "
                           f"..., detail = ... }}, not {raw!r}")
    return Detail(str(raw["detail"]), tuple(str(m) for m in raw.get("match", ())),
                  str(raw.get("phase", "")), bool(raw.get("status_follows", False)))


@cache
def load() -> Catalog:
    """Load every layer's data file once. Raises CatalogError when one is malformed."""
    entries: list[Entry] = []
    folder = resources.files(__name__)
    for layer in LAYERS:
        resource = folder / f"{layer}.toml"
        if not resource.is_file():
            continue
        try:
            # Parsed once, then read from a JSON copy (start-up time: selftest/tomlcache.py).
            data = (tomlcache.load(resource) if isinstance(resource, Path)
                    else tomllib.loads(resource.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as exc:
            raise CatalogError(f"catalog/{layer}.toml: {exc}") from None
        for raw in data.get("entry", []):
            entry = _entry(raw, f"catalog/{layer}.toml")
            if entry.layer != layer:
                raise CatalogError(f"catalog/{layer}.toml holds {entry.id!r} of another layer")
            entries.append(entry)
    return Catalog(entries)
