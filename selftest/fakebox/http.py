"""Request context and response helpers shared by every handler.

A handler receives a `Ctx` (the request, the world, the authenticated user) and returns a
werkzeug Response or raises a Box error. Malformed input — a body that is not a JSON object, a
form where JSON was due, an id that is not a number — becomes a Box 400 `bad_request` here,
never a traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from .errors import BoxApiError, invalid_parameter
from .model import User
from .state import State
from .tokens import AccessToken

_NUMERIC_ID = re.compile(r"^[0-9]{1,20}$")
#: JSON bodies above this size are refused (Box's own JSON requests are a few kB at most).
MAX_JSON_BYTES = 1024 * 1024


@dataclass
class Ctx:
    """One authenticated API request."""

    request: Request
    state: State
    user: User
    token: AccessToken

    @property
    def url_root(self) -> str:
        """The fake's own base URL as the client reached it (no trailing slash)."""
        return self.request.host_url.rstrip("/")

    def json(self) -> dict[str, Any]:
        """The body as a JSON object; an empty body is an empty object."""
        return json_body(self.request)

    def fields(self) -> set[str] | None:
        """The `fields` query parameter as a set, None when absent."""
        raw = self.request.args.get("fields")
        return {f.strip() for f in raw.split(",") if f.strip()} if raw else None


def json_body(request: Request) -> dict[str, Any]:
    """Parse a JSON-object body or raise bad_request (wrong type, malformed, too big)."""
    mimetype = request.mimetype
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise BoxApiError("bad_request", f"Content type '{mimetype}' is not supported; "
                          "send application/json")
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise BoxApiError("request_entity_too_large")
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BoxApiError("bad_request", "Invalid JSON in request body") from None
    if not isinstance(doc, dict):
        raise BoxApiError("bad_request", "The request body must be a JSON object")
    return doc


def check_id(value: str, name: str) -> str:
    """Box ids are decimal numbers; anything else is a bad request."""
    if not _NUMERIC_ID.match(value):
        raise invalid_parameter(name, value)
    return value


def ref_id(doc: dict[str, Any], key: str, name: str | None = None) -> str:
    """The `id` inside a reference object such as {"parent": {"id": "0"}}."""
    ref = doc.get(key)
    if not isinstance(ref, dict) or not isinstance(ref.get("id"), str | int):
        raise invalid_parameter(name or key, ref, f"'{name or key}' must be an object with an id")
    return check_id(str(ref["id"]), name or f"{key}.id")


def query_int(request: Request, name: str, code: str, default: int) -> int:
    """A non-negative integer query parameter; non-numeric gives Box's `code` (invalid_limit)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise BoxApiError(code)
    return int(raw)


def json_response(doc: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    """A JSON response in Box's style (application/json, compact)."""
    body = json.dumps(doc, separators=(",", ":"))
    return Response(body, status=status, headers=headers, content_type="application/json")


def empty(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    """A response with no body (204 deletes, 202 processing)."""
    return Response(b"", status=status, headers=headers)


def if_match(ctx: Ctx, etag: int, *, sync_state_change: bool = False,
             synced: bool = False) -> None:
    """Honour If-Match: a stale etag gets 412 precondition_failed.

    The fake's own rule (Box documents the code without a trigger): when the request changes the
    `sync_state` of an item that is synced, the 412 carries sync_state_precondition_failed.
    """
    wanted = ctx.request.headers.get("If-Match")
    if wanted is None or wanted.strip('"') in {str(etag), "*"}:
        return
    code = "sync_state_precondition_failed" if sync_state_change and synced else \
        "precondition_failed"
    raise BoxApiError(code)


Handler = Callable[..., Response]
