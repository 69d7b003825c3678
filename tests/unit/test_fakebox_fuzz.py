"""A modest schemathesis fuzz of the fake against Box's OpenAPI spec: no response >= 500 and
no handler exception on any operation the fake implements (the big run is
tests/bench/bench_fakebox.py --fuzz)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakebox_fuzz import run

SPEC = Path(__file__).resolve().parents[3] / "shared" / "reference" / "box-openapi.json"


def test_fuzzed_operations_never_give_a_server_error() -> None:
    """Five schemathesis cases per implemented operation: 0 responses >= 500, 0 exceptions."""
    pytest.importorskip("schemathesis", reason="schemathesis is in the test extra")
    if not SPEC.exists():
        pytest.skip(f"Box's OpenAPI spec is not at {SPEC} (CI provides it)")
    result = run(SPEC, max_examples=5)
    assert result.operations >= 35 and result.calls >= 5 * result.operations
    assert result.server_errors == []
    assert result.handler_errors == []
