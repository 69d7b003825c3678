"""Who is calling the API: the bearer token, the account's state, the token's scopes.

Box answers a missing, unknown or expired token with 401, an EMPTY body and a Bearer challenge
(docs/facts.md §1); an account the admin has put in a blocking state with that state's code;
a token whose app lacks a scope with 403 insufficient_scope.
"""

from __future__ import annotations

from werkzeug.wrappers import Request

from .errors import BoxApiError, Unauthorized
from .model import User
from .routing import Scope
from .state import State
from .tokens import AccessToken

#: User flag -> the Box code every API call of that user then gets.
ACCOUNT_FLAGS = (
    ("location_blocked", "access_from_location_blocked"),
    ("password_reset_required", "password_reset_required"),
    ("terms_of_service_required", "terms_of_service_required"),
    ("email_confirmation_required", "user_email_confirmation_required"),
)

#: Route scope -> token scopes any one of which allows it.
SCOPE_GRANTS: dict[Scope, frozenset[str]] = {
    "read": frozenset({"root_readonly", "root_readwrite"}),
    "write": frozenset({"root_readwrite"}),
    "users": frozenset({"manage_managed_users"}),
    "none": frozenset(),
}

INSUFFICIENT_SCOPE_CHALLENGE = (
    'Bearer realm="Service", error="insufficient_scope", error_description="The request '
    'requires higher privileges than provided by the access token."')


def authenticate(state: State, request: Request, scope: Scope) -> tuple[User, AccessToken]:
    """The calling user and token, or raise the error Box would answer with."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized()
    record = state.tokens.check_access(value.strip())
    user = state.users.get(record.user_id) if record else None
    if record is None or user is None:
        raise Unauthorized()
    for flag, code in ACCOUNT_FLAGS:
        if getattr(user, flag):
            raise BoxApiError(code)
    allowed = SCOPE_GRANTS[scope]
    if allowed and not allowed & record.scopes:
        raise BoxApiError("insufficient_scope",
                          headers={"WWW-Authenticate": INSUFFICIENT_SCOPE_CHALLENGE})
    return user, record
