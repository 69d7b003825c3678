"""The few Box API calls a preflight makes, each at most once per run and shared between checks.

    jwt_grant(ctx)   POST /oauth2/token with a JWT assertion (only with --box-config)
    access_token(ctx) BOX_ACCESS_TOKEN / --token-file, else the token the JWT grant returned
    users_me(ctx)    GET /2.0/users/me (token and quota both read it)

No refresh grant is ever sent: a Box refresh token is single-use, and spending it behind the
plugin's back logs the plugin out (docs/facts.md §3). Tokens stay in memory only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from selftest.checks.probes.boxconfig import grant_form
from selftest.checks.probes.boxshape import is_user, json_object
from selftest.checks.probes.context import Context
from selftest.observe import Observation

#: The users/me fields quota needs (docs/facts.md §4).
USER_FIELDS = "id,name,login,status,space_amount,space_used,max_upload_size"


@dataclass(frozen=True)
class Call:
    """One shared API call: its observation (None when the budget was spent) and JSON body."""

    obs: Observation | None
    doc: dict[str, Any]

    @property
    def ok(self) -> bool:
        """The call completed with 200 (whoever answered: see `is_box_user`)."""
        return self.obs is not None and self.obs.curl_code == 0 and self.obs.http_status == 200

    @property
    def is_box_user(self) -> bool:
        """users/me answered 200 in Box's shape (not a portal's or another API's 200)."""
        return self.ok and is_user(self.doc)


def _json(obs: Observation | None) -> dict[str, Any]:
    """The answer's JSON object, {} when there is none (no answer, not JSON, not an object)."""
    return (json_object(obs.body) if obs is not None else None) or {}


def token_url(ctx: Context) -> str:
    """Box's token endpoint under the run's --api-base."""
    return ctx.api_url("/oauth2/token")


def jwt_grant(ctx: Context) -> Call | None:
    """The JWT grant's result (None without --box-config); sent once per run."""
    config = ctx.options.box_config
    if config is None:
        return None

    def send() -> Call:
        """POST the JWT grant (at most once per run, shared by the checks that ask)."""
        url = token_url(ctx)
        body = urlencode(grant_form(config, url)).encode()
        request = ctx.request(url, method="POST", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
        obs = ctx.api_call("POST /oauth2/token", request)
        return Call(obs, _json(obs))

    return ctx.once("jwt_grant", send)


def access_token(ctx: Context) -> tuple[str, str] | None:
    """(token, where it came from), or None when there is none to use."""
    if ctx.options.token:
        return ctx.options.token, "BOX_ACCESS_TOKEN / --token-file"
    grant = jwt_grant(ctx)
    if grant is not None and grant.ok and isinstance(grant.doc.get("access_token"), str):
        return grant.doc["access_token"], "JWT grant (--box-config)"
    return None


def users_me(ctx: Context) -> Call | None:
    """GET /2.0/users/me with the access token; None when there is no token."""
    found = access_token(ctx)
    if found is None:
        return None
    token = found[0]

    def send() -> Call:
        """GET users/me with the token (at most once per run, shared by token and quota)."""
        request = ctx.request(ctx.api_url(f"/2.0/users/me?fields={USER_FIELDS}"),
                              headers=ctx.bearer(token))
        obs = ctx.api_call("GET /2.0/users/me", request)
        return Call(obs, _json(obs))

    return ctx.once("users_me", send)
