"""Which scenario documents which catalog entry (for `explain`, `catalog` and the README)."""

from __future__ import annotations

from functools import cache

from selftest.scenario import load_all


@cache
def documents_index() -> dict[str, list[str]]:
    """Catalog id -> ids of the scenarios that document it, in natural id order."""
    index: dict[str, list[str]] = {}
    for scenario in load_all():
        index.setdefault(scenario.documents, []).append(scenario.id)
    return index


def scenario_for(entry_id: str) -> str | None:
    """The scenario that reproduces `entry_id`: the one named after it, else the first."""
    found = documents_index().get(entry_id)
    if not found:
        return None
    plain = entry_id.replace(":", "-").replace("_", "-")
    return plain if plain in found else found[0]
