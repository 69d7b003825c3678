"""A modest schemathesis fuzz of the fake against Box's OpenAPI spec (the subset in
tests/data, named by tests/box_openapi.py): no response >= 500 and no handler exception on any
operation the fake implements (the big run is tests/bench/bench_fakebox.py --fuzz)."""

from __future__ import annotations

from box_openapi import load, operations
from fakebox_fuzz import run


def test_fuzzed_operations_never_give_a_server_error() -> None:
    """Five schemathesis cases per implemented operation: 0 responses >= 500, 0 exceptions."""
    result = run(max_examples=5)
    assert result.operations == len(operations(load())) >= 35
    assert result.calls >= 5 * result.operations
    assert result.server_errors == []
    assert result.handler_errors == []
