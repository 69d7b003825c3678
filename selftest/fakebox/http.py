"""Request context and response helpers shared by every handler.

A handler receives a `Ctx` (the request, the world, the authenticated user) and returns a
werkzeug Response or raises a Box error. Malformed input — a body that is not a JSON object, a
form where JSON was due, an id that is not a number — becomes a Box 400 `bad_request` here,
never a traceback. The fake is a server other people point their tools at, so the hostile
shapes are refused here too: JSON nested deeper than the parser's recursion limit, a body over
1 MB whether it has a Content-Length or arrives chunked, strings holding lone surrogates (they
cannot be echoed as valid UTF-8), numbers written with non-ASCII digits (`²`) or thousands of
them.
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
_SURROGATE = re.compile("[\ud800-\udfff]")
#: JSON bodies above this size are refused (Box's own JSON requests are a few kB at most).
MAX_JSON_BYTES = 1024 * 1024
#: Query integers longer than this are refused before int() (no 5,000-digit conversions).
MAX_QUERY_DIGITS = 18
#: Box sends `retry-after` in lower case (docs/facts.md §1, 429); the fake uses that
#: spelling on every response that carries it (429, 202, 503, injected faults).
RETRY_AFTER = "retry-after"
_JSON_CACHE = "selftest.fakebox.json"


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
    cached = request.environ.get(_JSON_CACHE)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    mimetype = request.mimetype
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise BoxApiError("bad_request", f"Content type '{mimetype}' is not supported; "
                          "send application/json")
    doc = parse_json_object(bounded_body(request, MAX_JSON_BYTES), "request body")
    request.environ[_JSON_CACHE] = doc
    return doc


def bounded_body(request: Request, limit: int) -> bytes:
    """The whole body, at most `limit` bytes: also for `Transfer-Encoding: chunked` (no length)."""
    if (request.content_length or 0) > limit:
        raise BoxApiError("request_entity_too_large")
    raw, stream = bytearray(), request.stream
    while len(raw) <= limit and (chunk := stream.read(limit + 1 - len(raw))):
        raw.extend(chunk)
    if len(raw) > limit:
        raise BoxApiError("request_entity_too_large")
    return bytes(raw)


def parse_json_object(raw: bytes | str, what: str) -> dict[str, Any]:
    """A JSON object from `raw`, or bad_request; an empty body is an empty object."""
    if not raw.strip():
        return {}
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BoxApiError("bad_request", f"Invalid JSON in {what}") from None
    if not isinstance(doc, dict):
        raise BoxApiError("bad_request", f"The {what} must be a JSON object")
    if _has_lone_surrogate(doc):
        raise BoxApiError("bad_request", f"The {what} holds text that is not valid Unicode "
                          "(a lone surrogate)")
    return doc


def _has_lone_surrogate(doc: Any) -> bool:
    """True when any key or string in `doc` holds U+D800..U+DFFF (iterative: no recursion)."""
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node):
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def one_of(value: Any, allowed: frozenset[str], name: str) -> str:
    """`value` when it is one of the allowed strings; anything else (also {} or []) is a 400."""
    if not isinstance(value, str) or value not in allowed:
        raise invalid_parameter(name, value if isinstance(value, str) else type(value).__name__)
    return value


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
    if not is_small_number(raw):
        raise BoxApiError(code)
    return int(raw)


def is_small_number(raw: str) -> bool:
    """ASCII digits only (`²` is a digit to str.isdigit), and few enough for int()."""
    return raw.isascii() and raw.isdigit() and len(raw) <= MAX_QUERY_DIGITS


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
