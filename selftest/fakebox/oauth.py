"""POST /oauth2/token: Box's token endpoint, with its exact error shapes.

Errors are `{"error", "error_description"}` with status 400 (also for invalid_client, as Box
does), `Cache-Control: no-store` on every answer, and 429 temporarily_unavailable when the
endpoint's own limit (`config.token_requests_per_window` per client) is reached.
Grants: authorization_code, refresh_token (rotating, single use, 60 days), client_credentials
and the JWT bearer grant (jwtgrant.py). Access tokens live 60 minutes on the fake clock.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json

from werkzeug.wrappers import Request, Response

from .errors import OAuthFailure
from .http import RETRY_AFTER
from .jwtgrant import BOX_AUDIENCE, jwt_grant
from .state import State
from .tokens import GRANT_TYPES, App

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
OVERLOADED = ("The server is currently unable to handle the request due to a temporary "
              "overloading of the server")
#: Box answers a little over an hour for expires_in.
EXPIRES_IN_S = 3600


def oauth_response(doc: dict[str, object], status: int = 200,
                   headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(doc), status=status, content_type="application/json",
                    headers={**NO_STORE, **(headers or {})})


def _client(state: State, request: Request) -> tuple[str, str]:
    """client_id and client_secret, from the form or HTTP Basic."""
    form = request.form
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    auth = request.headers.get("Authorization", "")
    if not client_id and auth.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id = secret = ""
    return client_id, secret


def _authenticated_app(state: State, client_id: str, secret: str, grant: str) -> App:
    app = state.tokens.apps.get(client_id)
    valid = app is not None and hmac.compare_digest(app.client_secret, secret)
    if app is None or not valid:
        if grant == "client_credentials":
            raise OAuthFailure("invalid_grant", "Grant credentials are invalid")
        raise OAuthFailure("invalid_client", "The client credentials are invalid")
    if not app.approved:
        raise OAuthFailure("unauthorized_client", "This app is not authorized by the "
                           "enterprise admin")
    if grant not in app.grant_types:
        raise OAuthFailure("unauthorized_client", "The grant type is unauthorized for this "
                           "client_id")
    return app


def token_endpoint(state: State, request: Request) -> Response:
    """Answer one token request; OAuthFailure for Box's error bodies."""
    if request.mimetype != "application/x-www-form-urlencoded":
        raise OAuthFailure("invalid_request", "Invalid grant_type parameter or parameter missing")
    grant = request.form.get("grant_type", "")
    if grant not in GRANT_TYPES:
        raise OAuthFailure("invalid_request", "Invalid grant_type parameter or parameter missing")
    client_id, secret = _client(state, request)
    assert state.limiter is not None
    wait = state.limiter.hit(f"token:{client_id}", state.config.token_requests_per_window,
                             state.config.rate_window_s)
    if wait:
        raise OAuthFailure("temporarily_unavailable", OVERLOADED, status=429,
                           headers={RETRY_AFTER: str(wait)})
    app = _authenticated_app(state, client_id, secret, grant)
    user_id, refresh = _grant(state, app, request, grant)
    doc: dict[str, object] = {
        "access_token": state.tokens.issue_access(user_id, scopes=app.scopes),
        "expires_in": EXPIRES_IN_S, "restricted_to": [], "token_type": "bearer"}
    if refresh:
        doc["refresh_token"] = state.tokens.issue_refresh(user_id, app.client_id)
    return oauth_response(doc)


def _grant(state: State, app: App, request: Request, grant: str) -> tuple[str, bool]:
    """(user id, whether a refresh token comes with the answer) for one grant type."""
    form = request.form
    if grant == "refresh_token":
        record = state.tokens.spend_refresh(form.get("refresh_token", ""), app.client_id)
        if isinstance(record, str):
            raise OAuthFailure("invalid_grant", record)
        return record.user_id, True
    if grant == "authorization_code":
        spent = state.tokens.spend_code(form.get("code", ""), app.client_id)
        if isinstance(spent, str):
            raise OAuthFailure("invalid_grant", spent)
        return spent[0], True
    if grant == "client_credentials":
        return _client_credentials(state, app, form.get("box_subject_type", "enterprise"),
                                   form.get("box_subject_id", "")), False
    own_url = request.host_url.rstrip("/") + "/oauth2/token"
    return jwt_grant(state, app, form.get("assertion", ""), {BOX_AUDIENCE, own_url}), False


def _client_credentials(state: State, app: App, kind: str, subject_id: str) -> str:
    if kind == "enterprise" and subject_id == app.enterprise_id:
        return app.service_user_id
    user = state.users.get(subject_id)
    if kind == "user" and user is not None and user.enterprise_id == app.enterprise_id:
        return user.id
    raise OAuthFailure("invalid_grant", "Grant credentials are invalid")


def revoke_endpoint(state: State, request: Request) -> Response:
    """POST /oauth2/revoke: forget the token (always 200, as Box does)."""
    state.tokens.revoke(request.form.get("token", ""))
    return oauth_response({})
