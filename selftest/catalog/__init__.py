"""The catalog: every code the user can see, with what it means and what to do — as data.

One TOML file per layer sits beside this module (`curl.toml`, `http.toml`, `box.toml`,
`oauth.toml`, `plugin.toml`), each a list of `[[entry]]` tables. The format is documented in
`FORMAT.md` in this folder. This module only loads, checks and looks up; it knows no codes.

Ids are `LAYER:CODE` (`curl:60`, `http:429`, `box:item_name_in_use`), with a third part for a
variant told apart by other means (`oauth:invalid_grant:exp`). The layer is always the id's
prefix.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from selftest.errors import CatalogError

LAYERS = ("curl", "http", "box", "oauth", "plugin")
Reproduction = Literal["real", "simulated", "impossible"]
_REPRODUCTIONS = ("real", "simulated", "impossible")
_RETRYABLE = ("no", "yes", "after-retry-after")
_REQUIRED = ("id", "code", "name", "summary", "remedy", "retryable", "reproduction")


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
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The `selftest catalog --json` form (see DESIGN.md)."""
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
        return out


class Catalog:
    """All entries, by id, in file order."""

    def __init__(self, entries: list[Entry]) -> None:
        self._by_id: dict[str, Entry] = {}
        for entry in entries:
            if entry.id in self._by_id:
                raise CatalogError(f"catalog id {entry.id!r} is defined twice")
            self._by_id[entry.id] = entry
        for entry in entries:
            for target in entry.produced_by:
                if target not in self._by_id:
                    raise CatalogError(f"{entry.id}: produced_by names unknown id {target!r}")

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

    def lookup_name(self, text: str) -> list[Entry]:
        """Entries whose code, name or alias equals `text` (case-insensitive), in layer order."""
        key = text.strip().lower()
        return [e for e in self
                if key in (e.code.lower(), e.name.lower(), *(a.lower() for a in e.aliases))]


def _entry(raw: dict[str, Any], source: str) -> Entry:
    missing = [key for key in _REQUIRED if not raw.get(key) and raw.get(key) != 0]
    if missing:
        raise CatalogError(f"{source}: entry {raw.get('id', '?')!r} lacks {', '.join(missing)}")
    entry_id = str(raw["id"])
    layer = entry_id.split(":", 1)[0]
    if layer not in LAYERS:
        raise CatalogError(f"{source}: {entry_id!r} has unknown layer {layer!r}")
    if raw["reproduction"] not in _REPRODUCTIONS:
        raise CatalogError(f"{source}: {entry_id}: reproduction must be one of {_REPRODUCTIONS}")
    if raw["reproduction"] != "real" and not raw.get("reason"):
        raise CatalogError(f"{source}: {entry_id}: a {raw['reproduction']} entry needs a reason")
    if raw["retryable"] not in _RETRYABLE:
        raise CatalogError(f"{source}: {entry_id}: retryable must be one of {_RETRYABLE}")
    known = {f.name for f in Entry.__dataclass_fields__.values()} - {"layer", "extra"}
    return Entry(
        id=entry_id,
        layer=layer,
        code=str(raw["code"]),
        name=str(raw["name"]),
        summary=str(raw["summary"]).strip(),
        remedy=str(raw["remedy"]).strip(),
        retryable=str(raw["retryable"]),
        reproduction=raw["reproduction"],
        causes=tuple(raw.get("causes", ())),
        documented=bool(raw.get("documented", False)),
        errata=str(raw.get("errata", "")).strip(),
        reason=str(raw.get("reason", "")).strip(),
        page_text=str(raw.get("page_text", "")).strip(),
        produced_by=tuple(raw.get("produced_by", ())),
        aliases=tuple(raw.get("aliases", ())),
        extra={k: v for k, v in raw.items() if k not in known},
    )


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
            data = tomllib.loads(resource.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise CatalogError(f"catalog/{layer}.toml: {exc}") from None
        for raw in data.get("entry", []):
            entry = _entry(raw, f"catalog/{layer}.toml")
            if entry.layer != layer:
                raise CatalogError(f"catalog/{layer}.toml holds {entry.id!r} of another layer")
            entries.append(entry)
    return Catalog(entries)
