"""The token and quota checks' judgement, unit-tested through a MockTransport: no socket, no
server thread. Each answer is built by `observe()` from raw header bytes and a body, as the
pycurl transport builds it from a real exchange (the observations are labelled simulated)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from selftest import transport
from selftest.checks import quota, token
from selftest.checks.probes.context import Context, Options
from selftest.checks.probes.mock import MockTransport
from selftest.observe import Observation, observe

API = "https://api.box.com"
USER = {"type": "user", "id": "7", "login": "admin@example.com", "name": "Admin",
        "status": "active", "space_amount": 10 * 1024**3, "space_used": 1024**3,
        "max_upload_size": 5 * 1024**3}


def answer(status: str, body: Any = b"", **headers: str) -> Observation:
    raw = f"HTTP/1.1 {status}\r\n" + "".join(f"{k.replace('_', '-')}: {v}\r\n"
                                            for k, v in headers.items()) + "\r\n"
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return observe(curl_code=0, url=API, raw_headers=raw.encode(), body=payload)


def box(me: Observation, preflight: Observation | None = None):  # type: ignore[no-untyped-def]
    """A handler: users/me answered by `me`, the upload preflight by `preflight`."""
    def handle(request: transport.Request) -> Observation:
        if request.method == "OPTIONS":
            return preflight or answer("200 OK", {"upload_url": "https://upload.box.com/x",
                                                  "upload_token": None})
        return me
    return handle


def context(handler: Any, **options: Any) -> tuple[Context, MockTransport]:
    mock = MockTransport(handler)
    fields: dict[str, Any] = {"api_base": API, "token": "t0ken-x", **options}
    return Context(Options(**fields), transport=mock), mock


def test_healthy_account_passes_token_and_quota_with_two_calls() -> None:
    """users/me is fetched once for both checks; the preflight is the second and last call."""
    ctx, mock = context(box(answer("200 OK", USER)), backup_size=1024**3)
    assert token.run(ctx).status == "pass"
    result = quota.run(ctx)
    assert result.status == "pass", result.summary
    assert [r.method for r in mock.requests] == ["GET", "OPTIONS"]
    assert json.loads(mock.requests[1].body or b"{}")["size"] == 1024**3


def test_expired_token_is_box_refusing_it() -> None:
    """A 401 with Box's Bearer challenge is the token's fault, with the plugin's remedy."""
    challenge = 'Bearer realm="Service", error="invalid_token"'
    ctx, _ = context(box(answer("401 Unauthorized", WWW_Authenticate=challenge)))
    result = token.run(ctx)
    assert result.status == "fail" and result.diagnosis[:2] == ("http:401", "oauth:invalid_token")
    assert "sign out" in result.remedy


def test_401_without_a_bearer_challenge_is_not_box() -> None:
    """A 401 carrying an HTML page and no Bearer challenge came from something else."""
    ctx, _ = context(box(answer("401 Unauthorized", b"<html>login</html>",
                                Content_Type="text/html")))
    result = token.run(ctx)
    assert "something that is not Box answers for api.box.com" in result.summary
    assert result.diagnosis[0] == "http:401" and "oauth:invalid_token" not in result.diagnosis


@pytest.mark.parametrize(("status", "code", "words"), [
    ("409 Conflict", "item_name_in_use", "rename"),
    ("403 Forbidden", "access_denied_insufficient_permissions", "another folder"),
    ("404 Not Found", "not_found", ""),
])
def test_upload_preflight_refusals(status: str, code: str, words: str) -> None:
    """Box's refusals name the Box code and say what to do (never an empty remedy)."""
    refusal = answer(status, {"type": "error", "status": int(status[:3]), "code": code,
                              "message": code}, Content_Type="application/json")
    ctx, _ = context(box(answer("200 OK", USER), refusal))
    result = quota.run(ctx)
    assert result.status == "fail"
    assert f"box:{code}" in result.diagnosis
    assert result.remedy and words in result.remedy


def test_inactive_account_and_unlimited_space() -> None:
    """An inactive account fails; Box's 999999999999999 means unlimited space."""
    user = {**USER, "status": "inactive", "space_amount": 999999999999999}
    ctx, _ = context(box(answer("200 OK", user)))
    result = quota.run(ctx)
    assert result.status == "fail" and "inactive" in result.summary
    assert result.evidence["unlimited"] is True


def test_observations_from_the_mock_are_labelled_simulated() -> None:
    """What the MockTransport hands out is never mistaken for a real exchange."""
    ctx, _ = context(box(answer("200 OK", USER)))
    assert ctx.perform(ctx.request(API + "/2.0/users/me")).simulated
