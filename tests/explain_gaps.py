"""Which replay failures are explain's, while explain cannot read multi-line pastes yet.

A client's message for an OAuth error is its status line plus the body (an OAuth body names no
status), and a 401's cause may be only in its WWW-Authenticate line: explain must read such a
paste as a whole (DESIGN.md: `findings`). Until `selftest.explain` returns findings, a failure
whose only problem is explain's reading of the message is an expected failure, named as such;
once it does, every failure counts.
"""

from __future__ import annotations

import pytest

from selftest.clients.replay import EXPLAIN_MISSED
from selftest.explain import explain


def explain_reads_pastes() -> bool:
    return "findings" in explain("HTTP/1.1 401 Unauthorized").to_dict()


def allow_explain_gaps(failed: dict[str, str]) -> None:
    """Assert `failed` (scenario -> reason) is empty, or only explain's gaps before findings."""
    if explain_reads_pastes() or not failed:
        assert failed == {}
        return
    not_explain = {k: r for k, r in failed.items()
                   if any(not p.startswith(EXPLAIN_MISSED) for p in r.split("; "))}
    assert not_explain == {}
    pytest.xfail(f"{len(failed)} messages need explain to read a status line with its body or "
                 f"challenge (multi-line pastes): {', '.join(sorted(failed))}")
