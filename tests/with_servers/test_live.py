"""Against the real Box API: opt in with `pytest -m live` (needs network, and a token for some).

Never part of the default run (pyproject adds `-m "not live"`): every other test stays on
loopback. These prove the preflight's assumptions about real Box responses still hold.
"""

from __future__ import annotations

import json
import os

import pytest

from selftest.cli import main

pytestmark = pytest.mark.live


def test_live_preflight_without_token_reaches_box(capsys: pytest.CaptureFixture[str]) -> None:
    """DNS, proxy, TLS and clock pass against the real api.box.com (token and quota skip)."""
    main(["preflight", "--json", "--only", "dns", "--only", "tls", "--only", "clock",
          "--only", "proxy"])
    checks = {c["check"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["dns"]["status"] in ("pass", "warn"), checks["dns"]
    assert checks["tls"]["status"] in ("pass", "warn"), checks["tls"]
    assert abs(checks["clock"]["evidence"]["skew_s"]) < 60


@pytest.mark.skipif(not os.environ.get("BOX_ACCESS_TOKEN"), reason="BOX_ACCESS_TOKEN is not set")
def test_live_token_and_quota(capsys: pytest.CaptureFixture[str]) -> None:
    """With a real token, users/me and the upload preflight answer as the fake does."""
    status = main(["preflight", "--json", "--only", "token", "--only", "quota",
                   "--backup-size", "1MB"])
    checks = {c["check"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["token"]["status"] == "pass", checks["token"]
    assert status in (0, 1)
