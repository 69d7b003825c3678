"""Real error texts people pasted publicly are diagnosed as the corpus says (issue 9).

tests/data/explain_corpus.toml holds `[[case]]` tables: `source` (the public page), `text` (the
pasted error text), `expect` (catalog ids that must each appear in some finding's diagnosis
chain). One test runs them all and fails listing every case that regresses, with the pass count.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from selftest.catalog import load
from selftest.explain import explain

CORPUS = Path(__file__).parents[1] / "data" / "explain_corpus.toml"


def load_cases() -> list[dict[str, Any]]:
    """The corpus cases, in file order."""
    return list(tomllib.loads(CORPUS.read_text(encoding="utf-8")).get("case", []))


def missing_ids(case: dict[str, Any]) -> list[str]:
    """The expected ids that no finding of the case's text names (empty: the case passes)."""
    result = explain(str(case["text"]))
    named = {i for finding in result.findings for i in finding.diagnosis.ids}
    return [i for i in case.get("expect", []) if i not in named]


def test_corpus_is_large_and_well_formed() -> None:
    """At least 150 cases, each with a public source, a text and ids the catalog knows."""
    cases = load_cases()
    catalog = load()
    assert len(cases) >= 150
    for case in cases:
        assert str(case["source"]).startswith("https://"), case["source"]
        assert str(case["text"]).strip(), case["source"]
        unknown = [i for i in case.get("expect", []) if i not in catalog]
        assert not unknown, (case["source"], unknown)


def test_every_corpus_case_is_diagnosed() -> None:
    """Each case's expected ids all appear in the diagnosis chains of its findings."""
    cases = load_cases()
    failed = [(n, c["source"], missing) for n, c in enumerate(cases, 1)
              if (missing := missing_ids(c))]
    print(f"explain corpus: {len(cases) - len(failed)}/{len(cases)} cases pass")
    assert not failed, "\n".join(f"case {n} ({src}): missing {ids}" for n, src, ids in failed)
