"""The trash: look at, restore, and permanently delete trashed files and folders.

A permanent delete of an item that is not in the trash is 404 not_trashed; reading a trashed
item through the ordinary endpoints is 404 trashed (tree.find). Space is freed only by a
permanent delete, as Box's storage_limit_exceeded text warns.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from . import tree
from .errors import BoxApiError
from .http import Ctx, check_id, empty, json_response, query_int
from .model import ItemType
from .routing import Route
from .views import full, item_mini


def _trashed(ctx: Ctx, kind: ItemType, item_id: str) -> Response:
    check_id(item_id, f"{kind}_id")
    with ctx.state.lock:
        item = tree.find(ctx.state, item_id, ctx.user, kind, trashed=None)
        if item.trashed_at is None:
            raise BoxApiError("not_found", "Item is not in the trash")
        return json_response(full(ctx.state, item))


def _purge(ctx: Ctx, kind: ItemType, item_id: str) -> Response:
    check_id(item_id, f"{kind}_id")
    with ctx.state.lock:
        item = tree.find(ctx.state, item_id, ctx.user, kind, trashed=True)
        tree.require_write(ctx.state, ctx.user, item)
        tree.purge(ctx.state, item)
        return empty()


def _restore(ctx: Ctx, kind: ItemType, item_id: str) -> Response:
    check_id(item_id, f"{kind}_id")
    with ctx.state.lock:
        item = tree.find(ctx.state, item_id, ctx.user, kind, trashed=True)
        tree.require_write(ctx.state, ctx.user, item)
        parent = ctx.state.items.get(item.parent_id or "")
        if parent is None or parent.trashed_at is not None:
            raise BoxApiError("not_found", "The parent folder is gone; restore it first")
        if tree.conflict(ctx.state, parent, item.name, item.id) is not None:
            raise BoxApiError("item_name_in_use")
        tree.restore(ctx.state, item)
        return json_response(full(ctx.state, item), 201)


def get_trashed_file(ctx: Ctx, file_id: str) -> Response:
    return _trashed(ctx, "file", file_id)


def get_trashed_folder(ctx: Ctx, folder_id: str) -> Response:
    return _trashed(ctx, "folder", folder_id)


def purge_file(ctx: Ctx, file_id: str) -> Response:
    return _purge(ctx, "file", file_id)


def purge_folder(ctx: Ctx, folder_id: str) -> Response:
    return _purge(ctx, "folder", folder_id)


def restore_file(ctx: Ctx, file_id: str) -> Response:
    return _restore(ctx, "file", file_id)


def restore_folder(ctx: Ctx, folder_id: str) -> Response:
    return _restore(ctx, "folder", folder_id)


def list_trash(ctx: Ctx) -> Response:
    """GET /folders/trash/items: the caller's trashed items (the ones trashed by name)."""
    limit = min(query_int(ctx.request, "limit", "invalid_limit", 100), 1000)
    offset = query_int(ctx.request, "offset", "invalid_offset", 0)
    with ctx.state.lock:
        found = [i for i in ctx.state.items.values()
                 if i.trashed_root and i.trashed_at is not None and i.owner_id == ctx.user.id]
        page = [item_mini(i) for i in found[offset:offset + limit]]
    return json_response({"total_count": len(found), "entries": page, "offset": offset,
                          "limit": limit})


ROUTES = [
    Route("GET", "/files/{file_id}/trash", get_trashed_file),
    Route("DELETE", "/files/{file_id}/trash", purge_file, scope="write"),
    Route("POST", "/files/{file_id}", restore_file, scope="write"),
    Route("GET", "/folders/{folder_id}/trash", get_trashed_folder),
    Route("DELETE", "/folders/{folder_id}/trash", purge_folder, scope="write"),
    Route("POST", "/folders/{folder_id}", restore_folder, scope="write"),
    Route("GET", "/folders/trash/items", list_trash),
]
