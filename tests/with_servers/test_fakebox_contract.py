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

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from box_openapi import load

REPO = Path(__file__).resolve().parents[2]
FACTS = REPO / "docs" / "facts.md"
#: Box sends the 401's "unauthorized" as an empty body with a challenge, never as a JSON code.
NOT_A_BODY_CODE = {"unauthorized"}


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` in JSON Schema terms; ClientError codes left open."""
    if isinstance(node, list):
        return [_nullable(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [{"type": "null"}, out]}
    return out


def _open_codes(schemas: dict[str, Any]) -> None:
    # Real Box sends codes the enum lacks (rate_limit_exceeded, ...): accept any string.
    for name in ("ClientError", "ConflictError"):
        for part in [schemas[name], *schemas[name].get("allOf", [])]:
            part.get("properties", {}).get("code", {}).pop("enum", None)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    doc = load()
    _open_codes(doc["components"]["schemas"])
    return {"paths": doc["paths"], "components": _nullable(doc["components"])}


@pytest.fixture(scope="module")
def records(fakebox_responses: list[Any]) -> list[dict[str, Any]]:
    """The responses the other tests of this session got from fakes, as plain dicts."""
    recorded = [{"method": r.method, "path": r.path, "status": r.status,
                 "content_type": r.content_type, "body": r.body, "empty": r.empty}
                for r in list(fakebox_responses)]
    if len(recorded) < 200:
        pytest.skip(f"only {len(recorded)} fake Box responses in this session: run this file "
                    "together with the other tests (tests/*/test_fakebox_*.py)")
    return recorded


#: Where real Box (which the fake follows) and the spec disagree: (method, path, status,
#: text in the validation message, why).
KNOWN_DEVIATIONS = [
    ("options", "/files/content", 409, "is not of type 'array'",
     "docs/facts.md §1: a preflight's context_info.conflicts is ONE object, not a list"),
    (None, None, None, "'accessed' is a required property",
     "the spec requires shared_link.accessed but never defines it; real links lack it"),
]


def _deviation(rec: dict[str, Any], message: str) -> bool:
    return any((m is None or m == rec["method"]) and (p is None or p == rec["path"])
               and (s is None or s == rec["status"]) and text in message
               for m, p, s, text, _ in KNOWN_DEVIATIONS)


def _response_spec(spec: dict[str, Any], rec: dict[str, Any]) -> dict[str, Any] | None:
    operation = spec["paths"].get(rec["path"] or "", {}).get(rec["method"])
    if operation is None:
        return None
    responses = operation["responses"]
    found = responses.get(str(rec["status"]), responses.get("default"))
    assert found is not None, f"{rec['method']} {rec['path']} {rec['status']} is undocumented"
    return found  # type: ignore[no-any-return]


def _problems(spec: dict[str, Any], rec: dict[str, Any]) -> list[str]:
    response = _response_spec(spec, rec)
    schema = (response or {}).get("content", {}).get("application/json", {}).get("schema")
    if schema is None or rec["body"] is None:
        return []
    from jsonschema import Draft7Validator  # here: all xdist workers collect this file, one runs it

    validator = Draft7Validator({**copy.deepcopy(schema), "components": spec["components"]})
    where = f"{rec['method'].upper()} {rec['path']} -> {rec['status']}"
    return [f"{where}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(rec["body"]) if not _known(rec, e)]


def _known(rec: dict[str, Any], error: Any) -> bool:
    """A known deviation, also inside a nullable field's anyOf (null branch aside)."""
    if _deviation(rec, error.message):
        return True
    leaves = [leaf for leaf in _leaves(error) if "is not of type 'null'" not in leaf.message]
    return bool(error.context) and bool(leaves) and all(_deviation(rec, leaf.message)
                                                        for leaf in leaves)


def _leaves(error: Any) -> list[Any]:
    """The innermost errors under an anyOf/oneOf error."""
    if not error.context:
        return [error]
    return [leaf for sub in error.context for leaf in _leaves(sub)]


def test_every_response_matches_the_openapi_schema(spec: dict[str, Any],
                                                   records: list[dict[str, Any]]) -> None:
    """Each recorded response of a spec'd endpoint validates against that endpoint's schema."""
    checked = [r for r in records if _response_spec(spec, r) is not None]
    assert len(checked) > 200, "too few responses recorded to mean anything"
    problems = sorted({p for r in checked for p in _problems(spec, r)})
    assert problems == [], "\n".join(problems[:40])


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
