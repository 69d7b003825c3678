"""Real pastes explain was not built on are diagnosed as the holdout says.

tests/data/explain_holdout.toml has the format of explain_corpus.toml, plus `before`: explain's
result on each case when its batch (`batch`, 1 when absent) was first measured, before any fix
made for it. The test runs every case with expectations, prints each batch's count (and its
first measurement's) and fails listing every case whose expected ids are not all named.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from selftest.catalog import load
from selftest.explain import explain

DATA = Path(__file__).parents[1] / "data"
HOLDOUT = DATA / "explain_holdout.toml"
VERDICTS = {"recognised", "partial", "wrong", "missed", "no-entry"}


def load_cases(path: Path = HOLDOUT) -> list[dict[str, Any]]:
    """The cases of a paste file, in file order."""
    return list(tomllib.loads(path.read_text(encoding="utf-8")).get("case", []))


def missing_ids(case: dict[str, Any]) -> list[str]:
    """The expected ids that no finding of the case's text names (empty: the case passes)."""
    result = explain(str(case["text"]))
    named = {i for finding in result.findings for i in finding.diagnosis.ids}
    return [i for i in case.get("expect", []) if i not in named]


def test_holdout_is_well_formed() -> None:
    """40 cases or more, each with a public source, a text, known ids and its first result."""
    cases = load_cases()
    catalog = load()
    assert len(cases) >= 40
    for case in cases:
        assert str(case["source"]).startswith(("https://", "http://")), case["source"]
        assert str(case["text"]).strip(), case["source"]
        unknown = [i for i in case.get("expect", []) if i not in catalog]
        assert not unknown, (case["source"], unknown)
        assert case["before"] in VERDICTS, case["source"]
        assert (case["before"] == "no-entry") == (not case.get("expect")), case["source"]
        if not case.get("expect"):
            assert str(case.get("note", "")).strip(), case["source"]


def test_holdout_is_new_to_the_corpus() -> None:
    """No holdout case comes from a page the corpus explain was built on already cites."""
    seen = {str(c["source"]) for c in load_cases(DATA / "explain_corpus.toml")}
    assert not [c["source"] for c in load_cases() if c["source"] in seen]


def test_every_holdout_case_is_diagnosed() -> None:
    """Each case's expected ids all appear in the diagnosis chains of its findings."""
    cases = [c for c in load_cases() if c.get("expect")]
    failed = [(n, c["source"], missing) for n, c in enumerate(cases, 1)
              if (missing := missing_ids(c))]
    for batch in sorted({int(c.get("batch", 1)) for c in cases}):
        mine = [(n, c) for n, c in enumerate(cases, 1) if int(c.get("batch", 1)) == batch]
        bad = {n for n, _, _ in failed}
        now = sum(n not in bad for n, _ in mine)
        before = sum(c["before"] == "recognised" for _, c in mine)
        print(f"explain holdout, batch {batch}: {now}/{len(mine)} cases pass "
              f"({before}/{len(mine)} at its first measurement)")
    assert not failed, "\n".join(f"case {n} ({src}): missing {ids}" for n, src, ids in failed)
