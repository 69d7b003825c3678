"""The token and quota checks against a scriptable loopback Box API."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from preflight_servers import MiniBox, serve_minibox

from selftest.checks import quota, token
from selftest.checks.probes.boxconfig import load_box_config
from selftest.checks.probes.context import API_BUDGET, Context, Options

TOKEN = "T0k3n-abcdefghijklmnop"
UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="Service", error="invalid_token", '
                                    'error_description="The access token provided is invalid."'}


def box_error(status: int, code: str) -> tuple[int, dict[str, str], bytes]:
    body = {"type": "error", "status": status, "code": code, "message": code}
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


class FakeApi:
    """users/me, the upload preflight and the token endpoint, with knobs."""

    def __init__(self, **user: Any) -> None:
        self.user = {"type": "user", "id": "1", "login": "admin@example.com", "name": "Admin",
                     "status": "active",
                     "space_amount": 10 * 1024**3, "space_used": 1024**3,
                     "max_upload_size": 5 * 1024**3, **user}
        self.preflight: tuple[int, dict[str, str], bytes] = (200, {}, b'{"upload_url": "u"}')
        self.public_key: Any = None
        self.grants: list[dict[str, Any]] = []
        self.issued = "jwt-issued-token-0123456789"

    def __call__(self, method: str, path: str, headers: dict[str, str],
                 body: bytes) -> tuple[int, dict[str, str], bytes]:
        if path == "/oauth2/token":
            return self._grant(body)
        if headers.get("Authorization") not in (f"Bearer {TOKEN}", f"Bearer {self.issued}"):
            return 401, UNAUTHORIZED, b""
        if path.startswith("/2.0/users/me"):
            return 200, {"Content-Type": "application/json"}, json.dumps(self.user).encode()
        if method == "OPTIONS" and path == "/2.0/files/content":
            return self.preflight
        return 404, {}, b""

    def _grant(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        header = jwt.get_unverified_header(form["assertion"])
        claims = jwt.decode(form["assertion"], self.public_key, algorithms=["RS256"],
                            options={"verify_aud": False})
        self.grants.append({"form": form, "header": header, "claims": claims})
        return 200, {}, json.dumps({"access_token": self.issued, "expires_in": 3600}).encode()


def context(box: MiniBox, **options: Any) -> Context:
    return Context(Options(api_base=box.url, upload_base=box.url, custom_bases=True, **options))


def test_no_token_skips_with_how_to_provide_one() -> None:
    """Without a token both token and quota are skipped, saying how to give one."""
    with serve_minibox(MiniBox(FakeApi())) as box:
        ctx = context(box)
        result = token.run(ctx)
        assert result.status == "skip"
        assert "BOX_ACCESS_TOKEN" in result.remedy
        assert quota.run(ctx).status == "skip"
        assert box.requests == []


def test_valid_token_passes_and_users_me_is_fetched_once() -> None:
    """token and quota share one users/me call; the preflight answers 200."""
    with serve_minibox(MiniBox(FakeApi())) as box:
        ctx = context(box, token=TOKEN, backup_size=2 * 1024**3)
        assert token.run(ctx).status == "pass"
        result = quota.run(ctx)
        assert result.status == "pass", result.summary
        assert [p for m, p in box.requests if m == "GET"] == [
            "/2.0/users/me?fields=id,name,login,status,space_amount,space_used,max_upload_size"]
        assert ctx.api_calls == ["GET /2.0/users/me", "OPTIONS /2.0/files/content"]


def test_expired_token_fails_with_invalid_token() -> None:
    """A 401 with an invalid_token challenge fails with what to do in the plugin."""
    with serve_minibox(MiniBox(FakeApi())) as box:
        ctx = context(box, token="expired-token-xyz")
        result = token.run(ctx)
        assert result.status == "fail"
        assert result.diagnosis[:2] == ("http:401", "oauth:invalid_token")
        assert "sign out" in result.remedy
        assert quota.run(ctx).status == "skip"


@pytest.mark.parametrize(("user", "size", "expected"), [
    ({"space_used": 10 * 1024**3 - 100}, 1024**2, "box:storage_limit_exceeded"),
    ({"max_upload_size": 250 * 1024**2}, 1024**3, "box:file_size_limit_exceeded"),
])
def test_quota_from_users_me(user: dict[str, Any], size: int, expected: str) -> None:
    """Storage full or a file-size cap below the backup size fails before any upload."""
    with serve_minibox(MiniBox(FakeApi(**user))) as box:
        result = quota.run(context(box, token=TOKEN, backup_size=size))
        assert result.status == "fail"
        assert expected in result.diagnosis


def test_unlimited_space_and_float_numbers() -> None:
    """999999999999999 means unlimited; float-encoded numbers are read as integers."""
    api = FakeApi(space_amount=999999999999999, space_used=1.0034576985781e+14,
                  max_upload_size=5.36870912e10)
    with serve_minibox(MiniBox(api)) as box:
        result = quota.run(context(box, token=TOKEN, backup_size=40 * 1024**3))
        assert result.status == "pass", result.summary
        assert result.evidence["unlimited"] is True
        assert result.evidence["max_upload_size"] == 53687091200


@pytest.mark.parametrize(("status", "code", "remedy_words"), [
    (409, "item_name_in_use", "rename"),
    (403, "storage_limit_exceeded", "Free space"),
    (403, "file_size_limit_exceeded", "plan"),
])
def test_upload_preflight_refusals(status: int, code: str, remedy_words: str) -> None:
    """Box's OPTIONS preflight refusals are classified with the Box code and a remedy."""
    api = FakeApi()
    api.preflight = box_error(status, code)
    with serve_minibox(MiniBox(api)) as box:
        result = quota.run(context(box, token=TOKEN, backup_name="site.wpress"))
        assert result.status == "fail"
        assert f"box:{code}" in result.diagnosis
        assert remedy_words in result.remedy
        assert result.evidence["upload_preflight"]["name"] == "site.wpress"


def write_box_config(tmp_path: Path) -> tuple[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(b"pass-phrase"))
    config = {"boxAppSettings": {"clientID": "cid", "clientSecret": "client-s3cret",
                                 "appAuth": {"publicKeyID": "kid42", "privateKey": pem.decode(),
                                             "passphrase": "pass-phrase"}},
              "enterpriseID": "777"}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return str(path), key.public_key()


def test_jwt_grant_is_real_and_well_formed(tmp_path: Path) -> None:
    """--box-config sends one JWT grant (RS256, kid, jti, aud, exp = now + 30 s) and uses it."""
    path, public_key = write_box_config(tmp_path)
    api = FakeApi()
    api.public_key = public_key
    with serve_minibox(MiniBox(api)) as box:
        ctx = context(box, box_config=load_box_config(path))
        result = token.run(ctx)
        assert result.status == "pass", result.summary
        grant = api.grants[0]
        assert grant["header"]["kid"] == "kid42"
        assert grant["header"]["alg"] == "RS256"
        assert grant["claims"]["aud"] == f"{box.url}/oauth2/token"
        assert grant["claims"]["sub"] == "777"
        assert 16 <= len(grant["claims"]["jti"]) <= 128
        assert abs(grant["claims"]["exp"] - (time.time() + 30)) < 5
        assert grant["form"]["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
        assert "refresh_token" not in grant["form"]
        assert result.evidence["token_source"] == "JWT grant (--box-config)"
        assert len(api.grants) == 1


def test_api_budget_caps_calls() -> None:
    """No run makes more than API_BUDGET calls to Box API endpoints."""
    with serve_minibox(MiniBox(FakeApi())) as box:
        ctx = context(box, token=TOKEN)
        for _ in range(API_BUDGET + 3):
            ctx.api_call("GET /x", ctx.request(box.url + "/x"))
        assert len(box.requests) == API_BUDGET


PORTAL = (b"<!DOCTYPE html><html><head><title>Hotel Wi-Fi</title></head><body><form>"
          b"<input name=room></form></body></html>")


def answers(status: int, headers: dict[str, str], body: bytes):  # type: ignore[no-untyped-def]
    """A route giving the same answer to every request (an impostor in Box's place)."""
    def route(method: str, path: str, request_headers: dict[str, str],
              request_body: bytes) -> tuple[int, dict[str, str], bytes]:
        return status, headers, body
    return route


@pytest.mark.parametrize(("status", "headers", "body", "what"), [
    (200, {}, b"ok", "non-JSON body"),
    (200, {"Content-Type": "text/html"}, PORTAL, "HTML page"),
    (200, {"Content-Type": "application/json"}, b'{"login": null, "id": 7, "ok": true}',
     "JSON of another shape"),
    (200, {"Content-Type": "application/json"}, b"[1, 2]", "JSON of another shape"),
    (403, {"Content-Type": "text/html"}, PORTAL, "HTML page"),
    (302, {"Location": "http://portal.example/login"}, b"", "empty body"),
])
def test_token_never_passes_an_impostor(status: int, headers: dict[str, str], body: bytes,
                                        what: str) -> None:
    """users/me answered by something not Box-shaped fails naming what answered; quota skips."""
    with serve_minibox(MiniBox(answers(status, headers, body))) as box:
        ctx = context(box, token=TOKEN)
        result = token.run(ctx)
        assert result.status == "fail", result.summary
        assert "something that is not Box answers for 127.0.0.1" in result.summary
        assert what in result.summary
        assert "captive portal" in result.remedy
        assert quota.run(ctx).status == "skip"


@pytest.mark.parametrize("preflight", [
    (200, {}, b"ok"),
    (200, {"Content-Type": "application/json"}, b'{"status": "ok"}'),
    (404, {"Content-Type": "text/html"}, PORTAL),
])
def test_quota_never_passes_an_impostor_preflight(
        preflight: tuple[int, dict[str, str], bytes]) -> None:
    """An upload preflight answered in another shape than Box's is not 'accepted'."""
    api = FakeApi()
    api.preflight = preflight
    with serve_minibox(MiniBox(api)) as box:
        result = quota.run(context(box, token=TOKEN))
        assert result.status == "fail", result.summary
        assert "something that is not Box answers" in result.summary
        assert "upload preflight accepted" not in result.summary
        assert result.remedy


def test_failing_call_remedy_is_never_see_the_diagnosis() -> None:
    """A Box refusal without a specific remedy gets the catalog's, not 'See the diagnosis'."""
    api = FakeApi()
    api.preflight = box_error(404, "not_found")
    with serve_minibox(MiniBox(api)) as box:
        result = quota.run(context(box, token=TOKEN, folder_id="123"))
        assert result.status == "fail"
        assert result.remedy and "See the diagnosis" not in result.remedy
