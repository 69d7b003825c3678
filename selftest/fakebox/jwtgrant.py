"""The JWT bearer grant: Box's checks of an assertion, against the FAKE's clock.

Wordings are Box's, as real responses carry them (docs/facts.md §1), including the double
space in the nbf/iat text. Box allows no leeway on iat/nbf and at most 60 s between now and exp,
which is why a web host whose clock is off by a minute or two cannot authenticate: with the
fake's clock offset by ±120 s a correct client reproduces both failures.
"""

from __future__ import annotations

from typing import Any

import jwt

from selftest.boxauth import BOX_TOKEN_URL

from .errors import OAuthFailure
from .state import State
from .tokens import App

BOX_AUDIENCE = BOX_TOKEN_URL
MAX_EXP_AHEAD_S = 60
ALGORITHMS = ["RS256", "RS384", "RS512"]

EXP_PAST = "Current date/time MUST be before the expiration date/time listed in the 'exp' claim"
EXP_TOO_FAR = ("Please check the 'exp' claim. The 'exp' value exceeds the maximum value of 60 "
               "seconds beyond the issue time.")
NOT_YET = ("Current date/time MUST be after or equal to the not-before date/time  listed in the "
           "'nbf' or 'iat' claim")
JTI = "Please check the 'jti' claim. A unique 'jti' value is required."
SUB = "Please check the 'sub' claim. The 'sub' specified is invalid."


def _grant_error(description: str) -> OAuthFailure:
    return OAuthFailure("invalid_grant", description)


def verified_claims(app: App, assertion: str, audiences: set[str]) -> dict[str, Any]:
    """Check the signature and audience; the claims, or invalid_grant."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise _grant_error("Please check the JWT format.") from None
    key = app.public_keys.get(str(header.get("kid", "")))
    if key is None:
        # UNCONFIRMED wording: Box's text for an unknown public key id.
        raise _grant_error("Please check the 'kid' header parameter.")
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion, key, algorithms=ALGORITHMS, audience=sorted(audiences),
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                     "require": ["iss", "sub", "aud", "exp", "jti"]})
    except jwt.InvalidAudienceError:
        raise _grant_error("Please check the 'aud' claim.") from None
    except jwt.MissingRequiredClaimError as exc:
        raise _grant_error(f"Please check the '{exc.claim}' claim.") from None
    except jwt.PyJWTError:
        raise _grant_error("Please check the JWT signature.") from None
    return claims


def check_times(state: State, claims: dict[str, Any]) -> None:
    """exp in the future but at most 60 s ahead; iat and nbf not in the future (no leeway)."""
    now = state.clock.now()
    exp = claims.get("exp")
    if not isinstance(exp, int | float):
        raise _grant_error("Please check the 'exp' claim.")
    if exp <= now:
        raise _grant_error(EXP_PAST)
    if exp > now + MAX_EXP_AHEAD_S:
        raise _grant_error(EXP_TOO_FAR)
    for name in ("iat", "nbf"):
        value = claims.get(name)
        if value is not None and (not isinstance(value, int | float) or value > now):
            raise _grant_error(NOT_YET)


def subject(state: State, app: App, claims: dict[str, Any]) -> str:
    """The user the token is for: the app's service account, or an app user."""
    sub, kind = str(claims.get("sub", "")), claims.get("box_sub_type", "enterprise")
    if kind == "enterprise" and sub == app.enterprise_id:
        return app.service_user_id
    user = state.users.get(sub)
    if kind == "user" and user is not None and user.enterprise_id == app.enterprise_id:
        return user.id
    raise _grant_error(SUB)


def jwt_grant(state: State, app: App, assertion: str, audiences: set[str]) -> str:
    """Validate an assertion in Box's order; the user id to issue a token for."""
    claims = verified_claims(app, assertion, audiences)
    if claims.get("iss") != app.client_id:
        raise _grant_error("Please check the 'iss' claim.")
    check_times(state, claims)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 16 <= len(jti) <= 128:
        raise _grant_error(JTI)
    user_id = subject(state, app, claims)
    if not state.tokens.remember_jti(jti, float(claims["exp"])):
        raise _grant_error(JTI)
    return user_id
