"""Any text at all: explain answers with a well-formed result and never raises (issue 8).

A modest number of examples keeps CI fast; tests/bench/bench_explain.py runs 10,000 and the
pathological shapes, and times them.

hypothesis is imported where the test runs, not at collection: every xdist worker collects this
file and one runs it, and a collected @given test also makes hypothesis' plugin scan the loaded
modules for constants at collection (together ~0.25 s of CPU per worker).
"""

from __future__ import annotations

import json

import pytest

from selftest.commands.explain import render
from selftest.explain import MAX_FINDINGS, explain


@pytest.mark.slow
def test_any_paste_gives_a_well_formed_answer() -> None:
    """The result renders as text and as JSON, and its findings are bounded and ordered."""
    from explain_strategies import pasted_text
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(pasted_text())
    def any_paste(text: str) -> None:
        result = explain(text)
        doc = json.loads(json.dumps(result.to_dict()))
        assert len(doc["findings"]) <= MAX_FINDINGS
        lines = [f["line"] for f in doc["findings"]]
        assert lines == sorted(lines) and all(line >= 1 for line in lines)
        render(result, 60)

    any_paste()
