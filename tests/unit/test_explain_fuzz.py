"""Any text at all: explain answers with a well-formed result and never raises (issue 8).

A modest number of examples keeps CI fast; tests/bench/bench_explain.py runs 10,000 and the
pathological shapes, and times them.
"""

from __future__ import annotations

import json

import pytest
from explain_strategies import pasted_text
from hypothesis import HealthCheck, given, settings

from selftest.commands.explain import render
from selftest.explain import MAX_FINDINGS, explain


@pytest.mark.slow
@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(pasted_text())
def test_any_paste_gives_a_well_formed_answer(text: str) -> None:
    """The result renders as text and as JSON, and its findings are bounded and ordered."""
    result = explain(text)
    doc = json.loads(json.dumps(result.to_dict()))
    assert len(doc["findings"]) <= MAX_FINDINGS
    lines = [f["line"] for f in doc["findings"]]
    assert lines == sorted(lines) and all(line >= 1 for line in lines)
    render(result, 60)
