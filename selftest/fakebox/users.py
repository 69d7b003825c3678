"""Users: GET /users/me (the quota a preflight reads), GET /users/{id}, POST /users."""

from __future__ import annotations

from werkzeug.wrappers import Response

from .errors import BoxApiError, invalid_parameter
from .http import Ctx, check_id, json_response
from .routing import Route
from .views import trim, user_full


def get_me(ctx: Ctx) -> Response:
    """The caller's account: space_amount, space_used, max_upload_size, status, ..."""
    with ctx.state.lock:
        return json_response(trim(user_full(ctx.user), ctx.fields()))


def get_user(ctx: Ctx, user_id: str) -> Response:
    """Another user of the enterprise."""
    check_id(user_id, "user_id")
    with ctx.state.lock:
        user = ctx.state.users.get(user_id)
        if user is None:
            raise BoxApiError("not_found")
        return json_response(trim(user_full(user), ctx.fields()))


def create_user(ctx: Ctx) -> Response:
    """Create a managed user; a login already taken gets 409 user_login_already_used."""
    doc = ctx.json()
    login, name = doc.get("login"), doc.get("name")
    if not isinstance(login, str) or "@" not in login:
        raise invalid_parameter("login", login)
    if not isinstance(name, str) or not name:
        raise invalid_parameter("name", name)
    with ctx.state.lock:
        if ctx.state.user_by_login(login) is not None:
            raise BoxApiError("user_login_already_used")
        user = ctx.state.add_user(login, name, enterprise_id=ctx.user.enterprise_id)
        return json_response(user_full(user), 201)


ROUTES = [
    Route("GET", "/users/me", get_me),
    Route("GET", "/users/{user_id}", get_user),
    Route("POST", "/users", create_user, scope="users"),
]
