"""The token check: does the access token work, and (with --box-config) does a JWT grant pass?

`GET /2.0/users/me` with BOX_ACCESS_TOKEN (or --token-file): a 401 means the token is invalid or
expired — Box does not say which (docs/facts.md §1). With --box-config, a real JWT grant
proves the app's key and this machine's clock together. No refresh grant is ever sent.
"""

from __future__ import annotations

from typing import Any

from selftest.checks import CheckResult, Finding, catalog_remedy, finding_from, fold, skipped
from selftest.checks.probes.boxapi import Call, access_token, jwt_grant, token_url, users_me
from selftest.checks.probes.boxshape import impostor, not_box
from selftest.checks.probes.context import Context
from selftest.checks.probes.reach import UNKNOWN, Reach
from selftest.classify import classify

NO_TOKEN = ("no Box token to test with",
            "Set BOX_ACCESS_TOKEN (a developer token from the Box developer console lasts 60 "
            "minutes) or pass --token-file FILE, or --box-config FILE for a JWT app.")

_EXPIRED = ("Access tokens live 60 minutes. In WordPress, open All-in-One WP Migration → "
            "Settings → Box, sign out and link the Box account again; for a developer token, "
            "generate a new one in the Box developer console.")

#: What to do after a failed JWT grant, by the catalog id of the OAuth error.
_GRANT_REMEDY = {
    "oauth:invalid_grant:exp": "The clock is behind Box: synchronise it with NTP.",
    "oauth:invalid_grant:exp-too-far": "The clock is ahead of Box: synchronise it with NTP.",
    "oauth:invalid_client": "Check clientID and clientSecret in the app config file.",
    "oauth:unauthorized_client": "Ask the Box admin to authorize the app (Admin Console → "
                                 "Apps → Custom Apps Manager).",
    "oauth:invalid_grant:sub": "Check enterpriseID in the app config file.",
}


def _call_budget_spent() -> Finding:
    """The finding of a call the run's budget of Box API calls no longer allowed."""
    return Finding("skip", "the run's budget of Box API calls is spent")


def grant_finding(ctx: Context, grant: Call) -> Finding:
    """What the JWT grant's answer says: accepted, not Box that answered, or Box's OAuth error."""
    if grant.obs is None:
        return _call_budget_spent()
    if grant.ok and grant.doc.get("access_token"):
        return Finding("pass", "JWT grant accepted")
    if impostor(grant.obs):
        return not_box(ctx.api.host, "POST /oauth2/token", grant.obs, token_url(ctx))
    diagnosis = classify(grant.obs)
    remedy = next((_GRANT_REMEDY[i] for i in diagnosis.ids if i in _GRANT_REMEDY), None)
    remedy = remedy or catalog_remedy(
        diagnosis, "Check the app config file (--box-config) and the app's status in Box.")
    return finding_from(diagnosis, "fail", "Box refused the JWT grant", remedy)


def me_finding(ctx: Context, me: Call) -> Finding:
    """What users/me with the token says: accepted, not Box that answered, or why Box refused it."""
    if me.obs is None:
        return _call_budget_spent()
    if me.is_box_user:
        return Finding("pass", "token accepted")
    url = ctx.api_url("/2.0/users/me")
    if impostor(me.obs):
        found = not_box(ctx.api.host, "GET /2.0/users/me", me.obs, url)
        return Finding(found.status, found.summary, found.remedy, classify(me.obs).ids)
    diagnosis = classify(me.obs)
    if me.obs.http_status == 401:
        return finding_from(diagnosis, "fail", "Box refused the access token (401): it is "
                            "invalid, revoked or expired", _EXPIRED)
    return finding_from(diagnosis, "fail", "GET /2.0/users/me failed", catalog_remedy(
        diagnosis, f"Retry later if Box is unavailable; `curl -si {url}` shows what answers."))


def run(ctx: Context, reach: Reach = UNKNOWN) -> CheckResult:
    """Test the token (and the JWT grant) against Box."""
    if not ctx.options.token and ctx.options.box_config is None:
        return skipped("token", *NO_TOKEN)
    findings: list[Finding] = []
    evidence: dict[str, Any] = {}
    grant = jwt_grant(ctx)
    if grant is not None:
        findings.append(grant_finding(ctx, grant))
        evidence["jwt_grant"] = grant.obs.to_dict() if grant.obs else None
    found = access_token(ctx)
    me = users_me(ctx)
    if found is not None and me is not None:
        evidence["token_source"] = found[1]
        findings.append(me_finding(ctx, me))
        if me.is_box_user:
            evidence["user"] = {k: me.doc.get(k) for k in ("id", "login", "name", "status")}
        elif me.obs is not None:
            evidence["users_me"] = me.obs.to_dict()
    user = evidence.get("user", {})
    who = user.get("login") or user.get("name") or "the user"
    all_clear = f"token works for {who}" + (" (JWT grant accepted)" if grant else "")
    return fold("token", findings, evidence, all_clear)
