"""Box's OpenAPI spec as the tests use it: the subset in tests/data/box-openapi-subset.json.

The one place that names the file. The contract test (tests/with_servers/
test_fakebox_contract.py), the fuzz test and the fuzz bench read it; tests/data/
make_openapi_subset.py makes it from box/box-openapi's `openapi.json` (Apache-2.0) and
tests/unit/test_openapi_subset.py checks it covers every route the fake serves.

Also the one home of the contract check itself: `contract_spec()` and `problems(spec, record)`
(the contract test runs them over a whole session's responses, the fuzz test over its own).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SPEC = Path(__file__).resolve().parent / "data" / "box-openapi-subset.json"
METHODS = ("get", "put", "post", "delete", "options", "patch", "head")
#: The subset's list of the fake's routes that Box's spec does not document.
NOT_IN_SPEC = "x-fake-routes-not-in-spec"


def load(path: Path = SPEC) -> dict[str, Any]:
    """The spec at `path` (the subset unless told), parsed."""
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def operations(doc: dict[str, Any]) -> set[str]:
    """"METHOD /path" of every operation `doc` documents."""
    return {f"{method.upper()} {path}" for path, item in doc["paths"].items()
            for method in item if method in METHODS}


def uncovered(routes: Iterable[Any], doc: dict[str, Any]) -> list[str]:
    """The fake's routes (anything with .method and .path) that `doc` neither documents nor
    lists as undocumented by Box: a route added without re-running the generator."""
    known = operations(doc) | set(doc.get(NOT_IN_SPEC, []))
    return sorted({f"{r.method.upper()} {r.path}" for r in routes} - known)


def contract_spec(path: Path = SPEC) -> dict[str, Any]:
    """The spec as the contract check reads it: Box's codes left open, `nullable` in JSON
    Schema terms."""
    doc = load(path)
    _open_codes(doc["components"]["schemas"])
    return {"paths": doc["paths"], "components": _nullable(doc["components"])}


def record_of(response: Any) -> dict[str, Any]:
    """A selftest.fakebox.record.RecordedResponse as the plain dict `problems` reads."""
    return {"method": response.method, "path": response.path, "status": response.status,
            "content_type": response.content_type, "body": response.body,
            "empty": response.empty}


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


def response_spec(spec: dict[str, Any], rec: dict[str, Any]) -> dict[str, Any] | None:
    operation = spec["paths"].get(rec["path"] or "", {}).get(rec["method"])
    if operation is None:
        return None
    responses = operation["responses"]
    found = responses.get(str(rec["status"]), responses.get("default"))
    assert found is not None, f"{rec['method']} {rec['path']} {rec['status']} is undocumented"
    return found  # type: ignore[no-any-return]


def problems(spec: dict[str, Any], rec: dict[str, Any]) -> list[str]:
    response = response_spec(spec, rec)
    schema = (response or {}).get("content", {}).get("application/json", {}).get("schema")
    if schema is None or rec["body"] is None:
        return []
    from jsonschema import Draft7Validator  # imported by the tests that validate, not collection

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
