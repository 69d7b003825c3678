"""Is it Box that answered? The shapes of the answers a preflight accepts as Box's.

A captive portal, a hotel Wi-Fi login, a WAF block page or a wrong `--api-base` answers
`200 OK` as readily as Box does; judged by the status alone, each would pass the token and quota
checks. So a 200 counts only in Box's shape (https://developer.box.com/reference/):

    GET /2.0/users/me              {"type": "user", "id": "...", "login": "...", ...}
    OPTIONS /2.0/files/content     {"upload_url": "...", "upload_token": ...}

and anything else is named for what it is: an HTML page, a non-JSON body, JSON of another shape.
"""

from __future__ import annotations

import json
from typing import Any

from selftest.checks import Finding
from selftest.observe import Observation

#: Printed when something that is not Box answers in its place.
NOT_BOX_REMEDY = ("Something answers in Box's place: a captive portal or Wi-Fi/hotel login "
                  "page, a filtering proxy or WAF, or a wrong --api-base or DNS answer. Run "
                  "`curl -si {url}` on this machine to see who answers; log in to the portal, "
                  "fix the address, or ask the network administrator to let *.box.com, "
                  "*.boxcloud.com and redirect.wp-migration.com through unmodified.")


def json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object; None when it is not one."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def _text(value: Any) -> bool:
    """A non-empty string."""
    return isinstance(value, str) and value != ""


def is_user(doc: dict[str, Any] | None) -> bool:
    """users/me in Box's shape: type "user", an id and a login."""
    return (doc is not None and doc.get("type") == "user" and _text(doc.get("id"))
            and _text(doc.get("login")))


def is_upload_preflight(doc: dict[str, Any] | None) -> bool:
    """The upload preflight's 200 in Box's shape: an upload_url."""
    return doc is not None and _text(doc.get("upload_url"))


def speaks_box_errors(obs: Observation) -> bool:
    """A refusal Box could have sent: a Box ClientError body or an OAuth error (a body, or a
    WWW-Authenticate Bearer challenge, which is all Box's 401 carries)."""
    return obs.box_error is not None or obs.oauth_error is not None or (
        obs.headers.get("www-authenticate", "").lower().startswith("bearer"))


def impostor(obs: Observation | None, box_shaped: bool = False) -> bool:
    """Whether an answer that is not the Box-shaped success came from something else: any 2xx
    (Box's would have been `box_shaped`), or a refusal below 500 that carries neither a Box
    nor an OAuth error (an HTML login page, a WAF's 403, a redirect to a portal). Box's
    gateways may answer 5xx in any shape, so those stay Box's trouble."""
    if obs is None or obs.curl_code or obs.http_status is None or obs.http_status >= 500:
        return False
    if obs.http_status < 300:
        return not box_shaped
    return not speaks_box_errors(obs)


def describe(obs: Observation) -> str:
    """What answered, in a few words: an HTML page, a non-JSON body, JSON of another shape."""
    kind = obs.headers.get("content-type", "").split(";")[0].strip() or "no content type"
    size = len(obs.body)
    start = obs.body[:200].lstrip().lower()
    status = f"HTTP {obs.http_status}" if obs.http_status is not None else "an answer"
    if not obs.body:
        return f"{status} with an empty body ({kind})"
    if "html" in kind or start.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return f"{status} with an HTML page ({kind}, {size} bytes)"
    doc: Any
    try:
        doc = json.loads(obs.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return f"{status} with a non-JSON body ({kind}, {size} bytes)"
    if isinstance(doc, dict):
        keys = ", ".join(sorted(str(k) for k in doc)[:6]) or "none"
        return f"{status} with JSON of another shape (keys: {keys})"
    return f"{status} with JSON of another shape (a {type(doc).__name__}, not an object)"


def not_box(host: str, request: str, obs: Observation, url: str) -> Finding:
    """The finding for an answer that is not Box's: what answered instead, and what to do."""
    return Finding("fail", f"something that is not Box answers for {host}: {request} got "
                   f"{describe(obs)}", NOT_BOX_REMEDY.format(url=url))
