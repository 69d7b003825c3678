"""Box's OpenAPI spec as the tests use it: the subset in tests/data/box-openapi-subset.json.

The one place that names the file. The contract test (tests/with_servers/
test_fakebox_contract.py), the fuzz test and the fuzz bench read it; tests/data/
make_openapi_subset.py makes it from box/box-openapi's `openapi.json` (Apache-2.0) and
tests/unit/test_openapi_subset.py checks it covers every route the fake serves.
"""

from __future__ import annotations

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
