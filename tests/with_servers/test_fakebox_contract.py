"""The fake against Box's own OpenAPI spec: every response it sends while the fakebox tests
run must match the spec's schema for that path, method and status, and between them the tests
must provoke every Box error code listed in docs/facts.md §2.

The spec is the repository's subset of box/box-openapi's `openapi.json`
(tests/data/box-openapi-subset.json, named by tests/box_openapi.py): always there, so this
never skips for want of a spec.

Every fake of the pytest session hands its responses to an on_response hook
(tests/conftest.py, `fakebox_responses`), and conftest runs this file last, so the check sees
every response of the whole run — the SDK tests' included. Run alone it has nothing to check
and skips, saying so.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from box_openapi import contract_spec, problems, record_of, response_spec

REPO = Path(__file__).resolve().parents[2]
FACTS = REPO / "docs" / "facts.md"
#: Box sends the 401's "unauthorized" as an empty body with a challenge, never as a JSON code.
NOT_A_BODY_CODE = {"unauthorized"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return contract_spec()


@pytest.fixture(scope="module")
def records(fakebox_responses: list[Any]) -> list[dict[str, Any]]:
    """The responses the other tests of this session got from fakes, as plain dicts."""
    recorded = [record_of(r) for r in list(fakebox_responses)]
    if len(recorded) < 200:
        pytest.skip(f"only {len(recorded)} fake Box responses in this session: run this file "
                    "together with the other tests (tests/*/test_fakebox_*.py)")
    return recorded


def test_every_response_matches_the_openapi_schema(spec: dict[str, Any],
                                                   records: list[dict[str, Any]]) -> None:
    """Each recorded response of a spec'd endpoint validates against that endpoint's schema."""
    checked = [r for r in records if response_spec(spec, r) is not None]
    assert len(checked) > 200, "too few responses recorded to mean anything"
    found = sorted({p for r in checked for p in problems(spec, r)})
    assert found == [], "\n".join(found[:40])


def _documented_codes() -> set[str]:
    text = FACTS.read_text(encoding="utf-8")
    section = text.split("## §2")[1].split("## §3")[0]
    codes = set()
    for line in section.splitlines():  # | status | `code` (trigger); `code` ... |
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 3 and cells[1][:1] in "45":
            codes |= set(re.findall(r"`([a-z][a-z_]+)`", cells[2]))
    return codes - NOT_A_BODY_CODE


def test_every_documented_code_is_provoked(records: list[dict[str, Any]]) -> None:
    """The fakebox tests make the fake send every Box code the facts table documents."""
    if not FACTS.exists():
        pytest.skip(f"{FACTS} is absent")
    seen = {r["body"].get("code") or r["body"].get("error") for r in records
            if isinstance(r["body"], dict)}
    missing = sorted(_documented_codes() - seen)
    assert missing == [], f"no test provokes: {missing}"
