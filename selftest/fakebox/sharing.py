"""Shared links: set one with PUT {"shared_link": {...}}, open one with GET /shared_items.

A link with a password answers incorrect_shared_item_password (403) when the `BoxApi` header's
`shared_link_password` is missing or wrong (https://developer.box.com/reference/get-shared-items/).
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs

from werkzeug.wrappers import Response

from .errors import BoxApiError, invalid_parameter
from .http import Ctx, json_response, one_of
from .model import Item, SharedLink
from .routing import Route
from .views import full

ACCESS_LEVELS = frozenset({"open", "company", "collaborators"})
LINK_BASE = "https://app.box.com/s/"


def apply_shared_link(ctx: Ctx, item: Item, doc: dict[str, Any]) -> None:
    """Create, change or (with null) remove the item's shared link."""
    if "shared_link" not in doc:
        return
    spec = doc["shared_link"]
    if spec is None:
        item.shared_link = None
        return
    if not isinstance(spec, dict):
        raise invalid_parameter("shared_link", spec)
    access = one_of(spec.get("access", "open"), ACCESS_LEVELS, "shared_link.access")
    password = spec.get("password")
    if password is not None and (not isinstance(password, str) or len(password) < 8):
        raise invalid_parameter("shared_link.password", "***",
                                "Password must be at least 8 characters")
    url = item.shared_link.url if item.shared_link else LINK_BASE + secrets.token_hex(16)
    item.shared_link = SharedLink(url, access, password)


def _boxapi_header(ctx: Ctx) -> dict[str, str]:
    raw = ctx.request.headers.get("BoxApi", "")
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def get_shared_item(ctx: Ctx) -> Response:
    """GET /shared_items with `BoxApi: shared_link=URL&shared_link_password=PW`."""
    params = _boxapi_header(ctx)
    url = params.get("shared_link")
    if not url:
        raise BoxApiError("bad_request", "The BoxApi header must name a shared_link")
    with ctx.state.lock:
        item = next((i for i in ctx.state.items.values()
                     if i.shared_link and i.shared_link.url == url and i.trashed_at is None), None)
        if item is None or item.shared_link is None:
            raise BoxApiError("not_found")
        wanted = item.shared_link.password
        if wanted is not None and params.get("shared_link_password") != wanted:
            raise BoxApiError("incorrect_shared_item_password")
        return json_response(full(ctx.state, item))


ROUTES = [Route("GET", "/shared_items", get_shared_item)]
