"""Files: read, update (rename, move, lock, shared link, description), delete.

Downloads live in downloads.py (a 302 to the download host, as on Box).

Triggers here: trashed (reading a trashed file), access_denied_item_locked (someone else's
lock), conflict (locking a file that is already locked), item_name_in_use on rename/move,
precondition_failed (If-Match with a stale etag).
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from . import tree
from .errors import BoxApiError, invalid_parameter
from .http import Ctx, check_id, empty, if_match, json_response, ref_id
from .model import Item, Lock
from .names import check_name
from .routing import Route
from .sharing import apply_shared_link
from .views import file_full, item_mini, trim


def get_file(ctx: Ctx, file_id: str) -> Response:
    """GET /files/{id}."""
    check_id(file_id, "file_id")
    with ctx.state.lock:
        item = tree.find(ctx.state, file_id, ctx.user, "file")
        return json_response(trim(file_full(ctx.state, item), ctx.fields()))


def update_file(ctx: Ctx, file_id: str) -> Response:
    """PUT /files/{id}: name, parent.id, description, lock, shared_link."""
    check_id(file_id, "file_id")
    doc = ctx.json()
    state = ctx.state
    with state.lock:
        item = tree.find(state, file_id, ctx.user, "file")
        if_match(ctx, item.etag)
        tree.require_write(state, ctx.user, item)
        _apply_lock(ctx, item, doc)
        parent = state.items[item.parent_id or ""]
        if "parent" in doc:
            parent = tree.find(state, ref_id(doc, "parent"), ctx.user, "folder")
            tree.require_write(state, ctx.user, parent)
        name = check_name(doc["name"]) if "name" in doc else item.name
        found = tree.conflict(state, parent, name, item.id)
        if found is not None:
            raise BoxApiError("item_name_in_use", context_info={"conflicts": item_mini(found)})
        item.name, item.parent_id = name, parent.id
        if isinstance(doc.get("description"), str):
            item.description = doc["description"]
        apply_shared_link(ctx, item, doc)
        item.touch(state.clock.now())
        return json_response(file_full(state, item))


def _apply_lock(ctx: Ctx, item: Item, doc: dict[str, Any]) -> None:
    """{"lock": {"type": "lock"}} locks; {"lock": null} unlocks. Locking twice: 409 conflict."""
    if "lock" not in doc:
        return
    spec = doc["lock"]
    if spec is None:
        item.lock = None
        return
    if not isinstance(spec, dict) or spec.get("type", "lock") != "lock":
        raise invalid_parameter("lock", spec)
    if item.lock is not None:
        raise BoxApiError("conflict", "The file is already locked")
    item.lock = Lock(ctx.state.next_id(), ctx.user.id, ctx.state.clock.now(),
                     bool(spec.get("is_download_prevented", False)))


def delete_file(ctx: Ctx, file_id: str) -> Response:
    """DELETE /files/{id}: to the trash."""
    check_id(file_id, "file_id")
    with ctx.state.lock:
        item = tree.find(ctx.state, file_id, ctx.user, "file")
        if_match(ctx, item.etag)
        tree.require_write(ctx.state, ctx.user, item)
        tree.trash(ctx.state, item)
        return empty()


ROUTES = [
    Route("GET", "/files/{file_id}", get_file),
    Route("PUT", "/files/{file_id}", update_file, scope="write"),
    Route("DELETE", "/files/{file_id}", delete_file, scope="write"),
]
