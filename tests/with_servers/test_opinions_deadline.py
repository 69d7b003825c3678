"""requests' views (the tls and token checks' third opinion) come after the checks, within the
run's deadline: `--timeout N` bounds the whole run, not only the checks."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from php_here import hanging_php

from selftest.checks.probes.context import Options
from selftest.cli import main
from selftest.clients import requests_view
from selftest.faults import start_fault


def test_a_tarpit_gets_no_requests_view_after_the_deadline(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The tls check waits out the deadline in a handshake that never ends; requests is then not
    asked (it used to wait its own 10 s more), and the evidence says why."""
    for variable in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    with start_fault("stall", read_request=False) as tarpit:
        base = f"https://127.0.0.1:{tarpit.urls['port']}"
        started = time.monotonic()
        main(["preflight", "--json", "--client", "pycurl", "--only", "tls", "--timeout", "1",
              "--api-base", base, "--upload-base", base + "/api"])
        elapsed = time.monotonic() - started
    tls = json.loads(capsys.readouterr().out)["checks"][0]
    assert tls["status"] == "fail"
    assert "deadline (--timeout) had passed" in tls["evidence"]["requests"]["skipped"]
    assert elapsed < 6, elapsed  # the deadline and its grace, not requests' own 10 s


def test_requests_gets_only_what_is_left_of_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each requests call is given at most the time left before the run's deadline."""
    given: list[float] = []

    def recording(url: str, options: Options, timeout_s: float = 99.0,
                  **kwargs: Any) -> dict[str, Any]:
        given.append(timeout_s)
        return {"code": 0, "status": 200}

    monkeypatch.setattr(requests_view, "verdict", recording)
    from selftest.checks import CheckResult

    result = CheckResult("tls", "pass", "verified", evidence={
        "hosts": [{"host": "box.example", "port": 443, "curl_code": 0}]})
    requests_view.annotate(result, Options(), left_s=2.5)
    assert given == [2.5]
    skipped = requests_view.annotate(result, Options(), left_s=0.05)
    assert given == [2.5] and "deadline" in skipped.summary


def test_a_hanging_php_costs_no_more_than_the_run_s_deadline(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A `php` on PATH that never answers `describe`: the default run goes on without PHP's
    second opinion, within --timeout (it used to wait 10 s and exit 3, "php did not finish")."""
    hanging_php(tmp_path, monkeypatch)
    started = time.monotonic()
    status = main(["preflight", "--json", "--only", "dns", "--timeout", "2",
                   "--api-base", "https://127.0.0.1:9", "--upload-base", "https://127.0.0.1:9"])
    elapsed = time.monotonic() - started
    checks = json.loads(capsys.readouterr().out)["checks"]
    assert status == 0, checks
    assert [c["check"] for c in checks] == ["dns"]
    assert "php" not in checks[0]["evidence"].get("stacks", {})
    assert elapsed < 5, elapsed  # half the deadline for php at most, not its own 10 s
