"""The catalog and the scenarios tell the same story: every entry proven, every label honest."""

from __future__ import annotations

import pytest

from selftest.catalog import load as load_catalog
from selftest.scenario import load_all


@pytest.fixture(scope="module")
def scenarios_by_entry() -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for scenario in load_all():
        index.setdefault(scenario.documents, []).append(scenario.id)
    return index


def test_every_catalog_entry_has_a_scenario(scenarios_by_entry: dict[str, list[str]]) -> None:
    """Each entry, documented or not, has a scenario file that reproduces (or skips) it."""
    missing = [e.id for e in load_catalog() if e.id not in scenarios_by_entry]
    assert missing == []


def test_every_scenario_documents_a_catalog_entry() -> None:
    """No scenario points at an id the catalog does not have."""
    catalog = load_catalog()
    assert [s.id for s in load_all() if s.documents not in catalog] == []


def test_injection_only_where_the_catalog_says_simulated() -> None:
    """A scenario injects its observation if and only if its entry is labelled simulated."""
    catalog = load_catalog()
    wrong = [s.id for s in load_all()
             if (s.step == "inject") != (catalog.get(s.documents).reproduction == "simulated")]
    assert wrong == []


def test_impossible_entries_start_no_server() -> None:
    """Scenarios of impossible entries only carry the skip; they pretend nothing."""
    catalog = load_catalog()
    wrong = [s.id for s in load_all()
             if catalog.get(s.documents).reproduction == "impossible" and s.fault is not None]
    assert wrong == []
