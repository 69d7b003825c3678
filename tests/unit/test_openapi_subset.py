"""The OpenAPI subset in the repository (tests/data/box-openapi-subset.json) is complete for
what the fake Box serves, self-contained, free of Box's prose, and exactly what
tests/data/make_openapi_subset.py makes of it (so it is deterministic and nothing was edited by
hand)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any

import pytest
from box_openapi import NOT_IN_SPEC, SPEC, load, operations, uncovered


def _generator() -> ModuleType:
    path = SPEC.parent / "make_openapi_subset.py"
    spec = importlib.util.spec_from_file_location("make_openapi_subset", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def subset() -> dict[str, Any]:
    return load()


@pytest.fixture(scope="module")
def routes() -> list[Any]:
    """The fake's route table (imported here, not at collection: it pulls in werkzeug)."""
    from selftest.fakebox.app import ROUTES

    return ROUTES


def test_every_route_the_fake_serves_has_its_contract(subset: dict[str, Any],
                                                      routes: list[Any]) -> None:
    """A route added to the fake without re-running the generator fails here."""
    assert uncovered(routes, subset) == []
    served = {f"{r.method.upper()} {r.path}" for r in routes}
    assert operations(subset) <= served, "the subset documents routes the fake no longer has"
    assert not operations(subset) & set(subset[NOT_IN_SPEC])


def test_a_new_route_without_its_contract_is_caught(subset: dict[str, Any],
                                                   routes: list[Any]) -> None:
    """The check above, on a planted route Box documents but the subset lacks."""
    from selftest.fakebox.routing import Route

    planted = Route("GET", "/folders/{folder_id}/collaborations", lambda *a: None)
    assert uncovered([*routes, planted], subset) == ["GET /folders/{folder_id}/collaborations"]


def test_every_reference_resolves_inside_the_subset(subset: dict[str, Any]) -> None:
    generator = _generator()
    missing = sorted(ref for ref in generator._refs(subset)
                     if ref.removeprefix("#/components/schemas/")
                     not in subset["components"]["schemas"])
    assert missing == []


def test_the_generator_gives_the_same_bytes_back() -> None:
    """Prose-free, closed under $ref and in the one layout: regenerating from the subset
    itself changes nothing (a hand edit, a stray description or a dangling schema would)."""
    generator = _generator()
    text = SPEC.read_text(encoding="utf-8")
    assert generator.dumps(generator.subset(load(), generator.served_operations())) == text


def test_the_subset_says_where_it_came_from(subset: dict[str, Any]) -> None:
    info = subset["info"]
    assert info["license"]["name"] == "Apache-2.0"
    assert "github.com/box/box-openapi" in info["x-source"]
    assert "Apache License 2.0" in info["x-notice"]
    assert info["version"] in info["x-source"]
