"""Error text of every family issue 9 names, in the shapes clients print it, is diagnosed.

The shapes are written for this test (tests/data/explain_shapes.toml); the real pasted texts,
each with its public source, are tests/data/explain_corpus.toml (tests/unit/test_explain_corpus.py).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from selftest.explain import explain

SHAPES = tomllib.loads((Path(__file__).parents[1] / "data" / "explain_shapes.toml")
                       .read_text(encoding="utf-8"))["shape"]


@pytest.mark.parametrize("shape", SHAPES, ids=[str(n) for n in range(1, len(SHAPES) + 1)])
def test_shape_is_diagnosed(shape: dict[str, object]) -> None:
    """The ids the text proves are all in the diagnosis chains of its findings."""
    named = {i for finding in explain(str(shape["text"])).findings for i in finding.diagnosis.ids}
    assert set(shape["expect"]) <= named, named  # type: ignore[call-overload]
