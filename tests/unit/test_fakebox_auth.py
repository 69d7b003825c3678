"""Authentication against the fake: API bearer tokens, account states, scopes, and the token
endpoint's grants with Box's exact error wordings, judged by the fake's clock."""

from __future__ import annotations

import time

import pytest

from selftest.fakebox.client import ApiClient
from selftest.fakebox.jwtapp import JwtApp, create_jwt_app
from selftest.fakebox.jwtgrant import EXP_PAST, EXP_TOO_FAR, JTI, NOT_YET, SUB

CHALLENGE = ('Bearer realm="Service", error="invalid_token", '
             'error_description="The access token provided is invalid."')
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@pytest.fixture
def api() -> ApiClient:
    return ApiClient()


@pytest.fixture(scope="module")
def jwt_api() -> tuple[ApiClient, JwtApp]:
    api = ApiClient()
    return api, create_jwt_app(api.state)


def _token(api: ApiClient, form: dict[str, str]) -> object:
    return api.client.post("/oauth2/token", data=form)


def _oauth(response: object) -> tuple[int, str, str]:
    body = response.json  # type: ignore[attr-defined]
    return response.status_code, body["error"], body["error_description"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer nope", "Basic abc"])
def test_bad_token_is_401_with_empty_body(api: ApiClient, header: str | None) -> None:
    """A missing or unknown token gets 401, an empty body and Box's Bearer challenge."""
    headers = {"Authorization": header} if header else {}
    response = api.client.get("/2.0/users/me", headers=headers)
    assert response.status_code == 401 and response.data == b""
    assert response.headers["WWW-Authenticate"] == CHALLENGE


def test_access_token_expires_after_60_minutes(api: ApiClient) -> None:
    """An access token works for 60 minutes of fake time, then gets 401."""
    api.state.clock.advance(3599)
    assert api.get("/2.0/users/me").status_code == 200
    api.state.clock.advance(2)
    assert api.get("/2.0/users/me").status_code == 401


def test_read_only_scope_cannot_write(api: ApiClient) -> None:
    """A token without root_readwrite gets 403 insufficient_scope on a write."""
    token = api.state.tokens.issue_access(api.state.main_user.id,
                                          scopes=frozenset({"root_readonly"}))
    assert api.get("/2.0/users/me", token=token).status_code == 200
    response = api.post("/2.0/folders", json={"name": "x", "parent": {"id": "0"}}, token=token)
    assert response.status_code == 403 and response.json["code"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(("flag", "status", "code"), [
    ("password_reset_required", 400, "password_reset_required"),
    ("terms_of_service_required", 400, "terms_of_service_required"),
    ("email_confirmation_required", 403, "user_email_confirmation_required"),
    ("location_blocked", 403, "access_from_location_blocked"),
])
def test_account_flags_fail_every_call(api: ApiClient, flag: str, status: int,
                                       code: str) -> None:
    """A user flag makes API calls fail with the Box code of that account state."""
    setattr(api.state.main_user, flag, True)
    response = api.get("/2.0/users/me")
    assert response.status_code == status and response.json["code"] == code


def test_users_me_fields(api: ApiClient) -> None:
    """?fields= trims /users/me to the quota fields a preflight reads."""
    body = api.get("/2.0/users/me?fields=space_amount,space_used,max_upload_size").json
    assert set(body) == {"type", "id", "space_amount", "space_used", "max_upload_size"}


def _refresh_form(api: ApiClient, refresh: str) -> dict[str, str]:
    app = api.state.default_app
    return {"grant_type": "refresh_token", "refresh_token": refresh,
            "client_id": app.client_id, "client_secret": app.client_secret}


def test_refresh_rotates_and_old_token_dies(api: ApiClient) -> None:
    """A refresh returns a new pair; the old refresh token then gets 'Invalid refresh token'."""
    app = api.state.default_app
    refresh = api.state.tokens.issue_refresh(api.state.main_user.id, app.client_id)
    first = _token(api, _refresh_form(api, refresh))
    assert first.status_code == 200  # type: ignore[attr-defined]
    body = first.json  # type: ignore[attr-defined]
    assert body["token_type"] == "bearer" and body["refresh_token"] != refresh
    assert first.headers["Cache-Control"] == "no-store"  # type: ignore[attr-defined]
    assert api.get("/2.0/users/me", token=body["access_token"]).status_code == 200
    assert _oauth(_token(api, _refresh_form(api, refresh))) == (
        400, "invalid_grant", "Invalid refresh token")


def test_refresh_token_expires_after_60_days(api: ApiClient) -> None:
    """A refresh token older than 60 days gets 'Refresh token has expired'."""
    refresh = api.state.tokens.issue_refresh(api.state.main_user.id,
                                             api.state.default_app.client_id)
    api.state.clock.advance(60 * 86400 + 1)
    assert _oauth(_token(api, _refresh_form(api, refresh))) == (
        400, "invalid_grant", "Refresh token has expired")


def test_auth_code_grant_and_expiry(api: ApiClient) -> None:
    """An auth code works once within 30 s; an old one has expired."""
    app = api.state.default_app
    form = {"grant_type": "authorization_code", "client_id": app.client_id,
            "client_secret": app.client_secret}
    code = api.state.tokens.issue_code(api.state.main_user.id, app.client_id)
    assert _token(api, {**form, "code": code}).status_code == 200  # type: ignore[attr-defined]
    assert _oauth(_token(api, {**form, "code": code}))[2] == \
        "Auth code doesn't exist or is invalid for the client"
    old = api.state.tokens.issue_code(api.state.main_user.id, app.client_id)
    api.state.clock.advance(31)
    assert _oauth(_token(api, {**form, "code": old}))[2] == "The authorization code has expired"


def test_wrong_client_secret_is_invalid_client(api: ApiClient) -> None:
    """A wrong client secret gets 400 invalid_client."""
    form = {**_refresh_form(api, "x"), "client_secret": "wrong"}
    assert _oauth(_token(api, form)) == (400, "invalid_client",
                                         "The client credentials are invalid")


@pytest.mark.parametrize("form", [{}, {"grant_type": "password"}])
def test_missing_grant_type_is_invalid_request(api: ApiClient, form: dict[str, str]) -> None:
    """A token request without a known grant_type gets 400 invalid_request."""
    assert _oauth(_token(api, form)) == (
        400, "invalid_request", "Invalid grant_type parameter or parameter missing")


def test_json_token_request_is_invalid_request(api: ApiClient) -> None:
    """The token endpoint wants a form; JSON gets invalid_request."""
    response = api.client.post("/oauth2/token", json={"grant_type": "refresh_token"})
    assert _oauth(response)[1] == "invalid_request"


def test_client_credentials_grant(api: ApiClient) -> None:
    """client_credentials works for the enterprise and refuses a wrong secret or subject."""
    app = api.state.default_app
    form = {"grant_type": "client_credentials", "client_id": app.client_id,
            "client_secret": app.client_secret, "box_subject_type": "enterprise",
            "box_subject_id": app.enterprise_id}
    ok = _token(api, form)
    assert ok.status_code == 200 and "refresh_token" not in ok.json  # type: ignore[attr-defined]
    for bad in ({"client_secret": "no"}, {"box_subject_id": "42"}):
        assert _oauth(_token(api, {**form, **bad})) == (
            400, "invalid_grant", "Grant credentials are invalid")


def test_unapproved_app_is_unauthorized_client(api: ApiClient) -> None:
    """An app the admin has not approved gets unauthorized_client."""
    api.state.default_app.approved = False
    assert _oauth(_token(api, _refresh_form(api, "x"))) == (
        400, "unauthorized_client", "This app is not authorized by the enterprise admin")


def test_grant_type_not_allowed_for_app(api: ApiClient) -> None:
    """A grant type the app may not use gets unauthorized_client."""
    api.state.default_app.grant_types = frozenset({"refresh_token"})
    form = {"grant_type": "client_credentials", "client_id": api.state.default_app.client_id,
            "client_secret": api.state.default_app.client_secret}
    assert _oauth(_token(api, form))[2] == "The grant type is unauthorized for this client_id"


def test_token_endpoint_rate_limit(api: ApiClient) -> None:
    """Past the token endpoint's limit it answers 429 temporarily_unavailable."""
    api.state.config.token_requests_per_window = 1
    _token(api, _refresh_form(api, "x"))
    status, error, description = _oauth(_token(api, _refresh_form(api, "x")))
    assert (status, error) == (429, "temporarily_unavailable")
    assert description.startswith("The server is currently unable to handle the request")


def test_revoke_kills_the_token(api: ApiClient) -> None:
    """POST /oauth2/revoke makes the access token invalid."""
    assert api.client.post("/oauth2/revoke", data={"token": api.token}).status_code == 200
    assert api.get("/2.0/users/me").status_code == 401


def test_jwt_grant_issues_service_account_token(jwt_api: tuple[ApiClient, JwtApp]) -> None:
    """A correct assertion gets a token for the app's service account."""
    api, app = jwt_api
    response = _token(api, app.form(app.assertion()))
    assert response.status_code == 200, response.get_data(as_text=True)  # type: ignore[attr-defined]
    me = api.get("/2.0/users/me", token=response.json["access_token"]).json  # type: ignore[attr-defined]
    assert me["login"].startswith("AutomationUser_")


def test_jwt_for_an_app_user(jwt_api: tuple[ApiClient, JwtApp]) -> None:
    """box_sub_type=user with a user of the enterprise gets that user's token."""
    api, app = jwt_api
    user_id = api.state.main_user.id
    response = _token(api, app.form(app.assertion(sub=user_id, sub_type="user")))
    token = response.json["access_token"]  # type: ignore[attr-defined]
    assert api.get("/2.0/users/me", token=token).json["id"] == user_id


@pytest.mark.parametrize(("offset_s", "description"), [(120, EXP_PAST), (-120, EXP_TOO_FAR)])
def test_jwt_with_skewed_clock(jwt_api: tuple[ApiClient, JwtApp], offset_s: float,
                               description: str) -> None:
    """A fake clock 120 s ahead makes exp already past; 120 s behind makes exp too far ahead."""
    api, app = jwt_api
    api.state.clock.set_offset(offset_s)
    try:
        response = _token(api, app.form(app.assertion(iat_offset_s=None)))
    finally:
        api.state.clock.set_offset(0)
    assert _oauth(response) == (400, "invalid_grant", description)


def test_jwt_iat_in_the_future(jwt_api: tuple[ApiClient, JwtApp]) -> None:
    """An iat one second in the fake's future gets the nbf/iat wording (double space)."""
    api, app = jwt_api
    response = _token(api, app.form(app.assertion(now=time.time() + 2, exp_in_s=20)))
    assert _oauth(response) == (400, "invalid_grant", NOT_YET)
    assert "date/time  listed" in NOT_YET


def test_jwt_clock_behind_rejects_iat(jwt_api: tuple[ApiClient, JwtApp]) -> None:
    """With the fake clock 120 s behind, a client's fresh iat lies in the future."""
    api, app = jwt_api
    api.state.clock.set_offset(-120)
    try:
        response = _token(api, app.form(app.assertion(exp_in_s=-90)))
    finally:
        api.state.clock.set_offset(0)
    assert _oauth(response)[2] == NOT_YET


def test_jwt_jti_reuse(jwt_api: tuple[ApiClient, JwtApp]) -> None:
    """The same assertion twice gets the jti wording the second time."""
    api, app = jwt_api
    assertion = app.assertion()
    assert _token(api, app.form(assertion)).status_code == 200  # type: ignore[attr-defined]
    assert _oauth(_token(api, app.form(assertion))) == (400, "invalid_grant", JTI)


def test_jwt_short_jti(jwt_api: tuple[ApiClient, JwtApp]) -> None:
    """A jti shorter than 16 characters gets the jti wording."""
    api, app = jwt_api
    assert _oauth(_token(api, app.form(app.assertion(jti="short"))))[2] == JTI


def test_jwt_wrong_sub(jwt_api: tuple[ApiClient, JwtApp]) -> None:
    """A sub that is not the app's enterprise gets the sub wording."""
    api, app = jwt_api
    assert _oauth(_token(api, app.form(app.assertion(sub="123"))))[2] == SUB


def test_jwt_audience(jwt_api: tuple[ApiClient, JwtApp]) -> None:
    """aud must be Box's token URL or the fake's own; anything else is refused."""
    api, app = jwt_api
    own = _token(api, app.form(app.assertion(aud="http://localhost/oauth2/token")))
    assert own.status_code == 200  # type: ignore[attr-defined]
    other = _token(api, app.form(app.assertion(aud="https://example.com/token")))
    assert _oauth(other)[2] == "Please check the 'aud' claim."


def test_jwt_signed_by_another_key(jwt_api: tuple[ApiClient, JwtApp]) -> None:
    """An assertion signed with a key the fake does not hold for that kid is refused."""
    api, app = jwt_api
    stranger = create_jwt_app(api.state)
    forged = JwtApp(app.client_id, app.client_secret, app.public_key_id,
                    stranger.private_key_pem, app.enterprise_id)
    assert _oauth(_token(api, app.form(forged.assertion())))[1] == "invalid_grant"


def test_jwt_garbage_assertion(jwt_api: tuple[ApiClient, JwtApp]) -> None:
    """A malformed assertion gets invalid_grant, not a 500."""
    api, app = jwt_api
    assert _oauth(_token(api, app.form("not.a.jwt")))[1] == "invalid_grant"
    assert api.state.errors == []
