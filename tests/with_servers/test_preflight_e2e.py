"""End to end: `selftest preflight` against the fake Box served over HTTPS with its test CA.

Each fault gives the expected failing check, diagnosis and remedy; a clean fake passes all.
Everything listens on 127.0.0.1; Box's names are pinned there with --resolve when used.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from preflight_servers import InterceptingProxy, full_box, healthy_box
from preflight_servers import preflight_json as preflight

from selftest.fakebox.model import Item
from selftest.fakebox.server import RunningBox, running
from selftest.fakebox.tree import add_item
from selftest.faults import start_fault


@pytest.fixture
def box() -> Iterator[RunningBox]:
    with healthy_box() as fake:
        yield fake


@pytest.mark.slow
def test_clean_fake_passes_everything(box: RunningBox, capsys: pytest.CaptureFixture[str]) -> None:
    """Against a healthy fake every check passes and the exit status is 0."""
    status, checks = preflight(box, capsys, "--backup-size", "2G")
    assert {n: c["status"] for n, c in checks.items()} == dict.fromkeys(
        ("dns", "proxy", "tls", "clock", "token", "quota"), "pass")
    assert status == 0
    assert abs(checks["clock"]["evidence"]["skew_s"]) <= 0.1


@pytest.mark.slow
@pytest.mark.parametrize(("offset_s", "diagnosis", "words"), [
    (120.0, "oauth:invalid_grant:exp", "behind Box"),
    (-120.0, "oauth:invalid_grant:exp-too-far", "ahead of Box"),
])
def test_skewed_fake_clock(offset_s: float, diagnosis: str, words: str,
                           capsys: pytest.CaptureFixture[str]) -> None:
    """The fake 120 s ahead/behind fails clock with the JWT 'exp' diagnosis, measured to 0.1 s."""
    with running(tls=True, clock_offset_s=offset_s) as fake:
        status, checks = preflight(fake, capsys, "--only", "clock")
    clock = checks["clock"]
    assert status == 1
    assert clock["status"] == "fail"
    assert clock["diagnosis"] == [diagnosis]
    assert words in clock["summary"] and "NTP" in clock["remedy"]
    assert abs(clock["evidence"]["skew_s"] + offset_s) <= 0.1
    assert clock["evidence"]["requests"] <= 8


@pytest.mark.parametrize("kind", ["expired", "unknown"])
def test_bad_token(box: RunningBox, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    """An expired or unknown token fails token with invalid_token; quota is skipped."""
    token = (box.state.tokens.issue_access(box.state.main_user.id, ttl_s=-1)
             if kind == "expired" else "never-issued-token-123")
    status, checks = preflight(box, capsys, "--only", "token", "--only", "quota", token=token)
    assert status == 1
    assert checks["token"]["status"] == "fail"
    assert checks["token"]["diagnosis"][:2] == ["http:401", "oauth:invalid_token"]
    assert "sign out" in checks["token"]["remedy"]
    assert checks["quota"]["status"] == "skip"
    assert token not in json.dumps(checks)


def test_storage_full(capsys: pytest.CaptureFixture[str]) -> None:
    """A full account fails quota with storage_limit_exceeded, from users/me and the preflight."""
    with full_box() as fake:
        status, checks = preflight(fake, capsys, "--only", "quota", "--backup-size", "500MB")
    quota = checks["quota"]
    assert status == 1
    assert quota["status"] == "fail"
    assert "box:storage_limit_exceeded" in quota["diagnosis"]
    assert "Free space" in quota["remedy"]
    assert quota["evidence"]["upload_preflight"]["observed"]["box_code"] == "storage_limit_exceeded"


def test_backup_larger_than_max_upload_size(capsys: pytest.CaptureFixture[str]) -> None:
    """max_upload_size below the backup size fails quota with file_size_limit_exceeded."""
    with running(tls=True, max_upload_size=250 * 1024**2) as fake:
        status, checks = preflight(fake, capsys, "--only", "quota", "--backup-size", "1G")
    quota = checks["quota"]
    assert status == 1
    assert "box:file_size_limit_exceeded" in quota["diagnosis"]
    assert "plan" in quota["remedy"]


def test_name_conflict_in_folder(box: RunningBox, tmp_path: Any,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A backup whose name is already in the folder fails with 409 item_name_in_use."""
    now = time.time()
    user = box.state.main_user
    add_item(box.state, Item(id=box.state.next_id(), type="file", name="site.wpress",
                             parent_id="0", owner_id=user.id, created_at=now, modified_at=now))
    backup = tmp_path / "site.wpress"
    backup.write_bytes(b"x" * 1000)
    status, checks = preflight(box, capsys, "--only", "quota", "--backup-file", str(backup))
    quota = checks["quota"]
    assert status == 1
    assert quota["diagnosis"][:2] == ["http:409", "box:item_name_in_use"]
    assert "rename" in quota["remedy"]


def test_proxy_demanding_authentication(box: RunningBox,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A proxy answering 407 fails proxy with http:407 and how to give credentials."""
    with start_fault("proxy-auth-required", user="user", password="proxy-pass-123") as proxy:
        status, checks = preflight(box, capsys, "--only", "proxy", "--proxy",
                                   proxy.urls["proxy"])
    result = checks["proxy"]
    assert status == 1
    assert "http:407" in result["diagnosis"]
    assert "WP_PROXY_USERNAME" in result["remedy"]


def test_tls_intercepting_proxy(box: RunningBox, capsys: pytest.CaptureFixture[str]) -> None:
    """A proxy re-signing Box's certificate with its own CA fails proxy as curl:60."""
    with InterceptingProxy() as mitm:
        status, checks = preflight(box, capsys, "--only", "proxy", "--proxy", mitm.url)
    result = checks["proxy"]
    assert status == 1
    assert result["diagnosis"] == ["curl:60"]
    assert "intercepts TLS" in result["summary"] and "inspection" in result["remedy"]


def test_unresolvable_host(box: RunningBox, capsys: pytest.CaptureFixture[str]) -> None:
    """An extra host that cannot be resolved fails dns with curl:6; the API checks still run."""
    status, checks = preflight(box, capsys, "--host", "box-relay.onion", "--only", "dns",
                               "--only", "token")
    assert status == 1
    assert checks["dns"]["diagnosis"] == ["curl:6"]
    assert "box-relay.onion" in checks["dns"]["summary"]
    assert checks["token"]["status"] == "pass"


def test_box_names_pinned_to_the_fake(box: RunningBox, capsys: pytest.CaptureFixture[str]) -> None:
    """With Box's own names pinned to the fake (--resolve), tls verifies api.box.com's name."""
    port = box.url.rsplit(":", 1)[1]
    status, checks = preflight(
        box, capsys, "--api-base", f"https://api.box.com:{port}",
        "--upload-base", f"https://upload.box.com:{port}/api",
        "--resolve", f"api.box.com:{port}:127.0.0.1",
        "--resolve", f"upload.box.com:{port}:127.0.0.1",
        "--only", "dns", "--only", "tls", "--only", "token")
    assert status == 0, checks
    assert checks["tls"]["evidence"]["hosts"][0]["hostname_match"] is True
    assert checks["dns"]["evidence"]["hosts"][0]["source"] == "pinned with --resolve"
