"""Which scenario documents which catalog entry (for `explain`, `catalog` and the README)."""

from __future__ import annotations

from functools import cache

from selftest.scenario import load, load_all, scenarios_dir


@cache
def documents_index() -> dict[str, list[str]]:
    """Catalog id -> ids of the scenarios that document it, in natural id order."""
    index: dict[str, list[str]] = {}
    for scenario in load_all(steps=False):  # ids and documents only: no step is imported
        index.setdefault(scenario.documents, []).append(scenario.id)
    return index


def scenario_for(entry_id: str) -> str | None:
    """The scenario that reproduces `entry_id`: the one named after it, else the first.

    The file named after the entry is read alone first, so `explain` parses one scenario file,
    not all of them (start-up time; a scenario's id is its file name).
    """
    plain = entry_id.replace(":", "-").replace("_", "-")
    named = scenarios_dir() / f"{plain}.toml"
    if named.is_file() and load(named, steps=False).documents == entry_id:
        return plain
    found = documents_index().get(entry_id)
    if not found:
        return None
    return plain if plain in found else found[0]
