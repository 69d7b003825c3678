"""Folders: create, read, update (rename, move, sync_state, shared link), delete, copy, list.

Triggers that live here: item_name_in_use (conflicts as a LIST for folders),
name_temporarily_reserved, cyclical_folder_structure, sync_item_move_failure,
cannot_make_collaborated_subfolder_private, folder_not_empty, operation_blocked_temporary
(a folder held by a slow move/copy/delete), invalid_limit / invalid_offset, 412 on If-Match.
Listing pages by offset or, with usemarker=true, by marker (next_marker).
"""

from __future__ import annotations

import base64
from typing import Any

from werkzeug.wrappers import Response

from . import tree
from .errors import BoxApiError
from .http import (
    RETRY_AFTER,
    Ctx,
    check_id,
    empty,
    if_match,
    is_small_number,
    json_response,
    one_of,
    query_int,
    ref_id,
)
from .model import SYNCED_STATES, Item
from .names import check_name
from .reserve import reserve
from .routing import Route
from .sharing import apply_shared_link
from .views import folder_full, full, item_mini, trim

#: Box answers 503 when a folder operation outlasts this, and carries on in the background.
SYNC_OPERATION_LIMIT_S = 60
SYNC_STATES = frozenset({"synced", "not_synced", "partially_synced"})


def _name_conflict(state: Any, parent: Item, name: str, exclude: str = "") -> None:
    found = tree.conflict(state, parent, name, exclude)
    if found is not None:
        raise BoxApiError("item_name_in_use", context_info={"conflicts": [item_mini(found)]})


def create_folder(ctx: Ctx) -> Response:
    """POST /folders {name, parent: {id}}."""
    doc = ctx.json()
    name = check_name(doc.get("name"))
    parent_id = ref_id(doc, "parent")
    state = ctx.state
    with state.lock:
        parent = tree.find(state, parent_id, ctx.user, "folder")
        tree.require_write(state, ctx.user, parent)
        _name_conflict(state, parent, name)
    with reserve(state, parent.id, name), state.lock:
        _name_conflict(state, parent, name)
        now = state.clock.now()
        folder = tree.add_item(state, Item(state.next_id(), "folder", name, parent.id,
                                           parent.owner_id, now, now))
        return json_response(folder_full(state, folder, []), 201)


def get_folder(ctx: Ctx, folder_id: str) -> Response:
    """GET /folders/{id} with its first page of items."""
    check_id(folder_id, "folder_id")
    with ctx.state.lock:
        folder = tree.find(ctx.state, folder_id, ctx.user, "folder")
        doc = folder_full(ctx.state, folder, tree.children(ctx.state, folder))
        return json_response(trim(doc, ctx.fields()))


def list_items(ctx: Ctx, folder_id: str) -> Response:
    """GET /folders/{id}/items?limit&offset: non-numeric values get invalid_limit/offset.

    With usemarker=true the page is marker-based, as Box's: `marker` says where it starts
    (offset is ignored), the answer has `limit` and `next_marker` (null on the last page) and
    no total_count or offset. The fake's marker is the next entry's position, opaque to clients.
    """
    check_id(folder_id, "folder_id")
    limit = min(query_int(ctx.request, "limit", "invalid_limit", 100), 1000)
    by_marker = ctx.request.args.get("usemarker", "").strip().lower() == "true"
    offset = _marker(ctx.request.args.get("marker")) if by_marker \
        else query_int(ctx.request, "offset", "invalid_offset", 0)
    with ctx.state.lock:
        folder = tree.find(ctx.state, folder_id, ctx.user, "folder")
        entries = tree.children(ctx.state, folder)
        page = [trim(full(ctx.state, i), ctx.fields()) if ctx.fields() else item_mini(i)
                for i in entries[offset:offset + limit]]
    order = [{"by": "type", "direction": "ASC"}, {"by": "name", "direction": "ASC"}]
    if by_marker:
        following = offset + len(page)
        next_marker = _marker_of(following) if page and following < len(entries) else None
        return json_response({"entries": page, "limit": limit, "next_marker": next_marker,
                              "order": order})
    return json_response({"total_count": len(entries), "entries": page, "offset": offset,
                          "limit": limit, "order": order})


def _marker_of(position: int) -> str:
    return base64.urlsafe_b64encode(f"fakebox:{position}".encode()).decode().rstrip("=")


def _marker(raw: str | None) -> int:
    """The position a marker names; no marker is the first page, a foreign one 400."""
    if not raw:
        return 0
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        text = ""
    prefix, _, position = text.partition(":")
    if prefix != "fakebox" or not is_small_number(position):
        raise BoxApiError("bad_request", "Invalid marker")
    return int(position)


def update_folder(ctx: Ctx, folder_id: str) -> Response:
    """PUT /folders/{id}: rename, move (parent.id), sync_state, shared_link."""
    check_id(folder_id, "folder_id")
    doc = ctx.json()
    state = ctx.state
    with state.lock:
        folder = tree.find(state, folder_id, ctx.user, "folder")
        if_match(ctx, folder.etag, sync_state_change="sync_state" in doc,
                 synced=folder.sync_state in SYNCED_STATES)
        tree.require_write(state, ctx.user, folder)
        moved = "parent" in doc and _move(ctx, folder, doc)
        if "name" in doc:
            name = check_name(doc["name"])
            if folder.parent_id is None:  # found by the fuzzer: "All Files" has no parent
                raise BoxApiError("bad_request", "The root folder cannot be renamed")
            _name_conflict(state, state.items[folder.parent_id], name, folder.id)
            folder.name = name
        _set_sync_state(folder, doc)
        apply_shared_link(ctx, folder, doc)
        folder.touch(state.clock.now())
        if moved:
            _slow_operation(state, folder)
        return json_response(folder_full(state, folder, tree.children(state, folder)))


def _set_sync_state(folder: Item, doc: dict[str, Any]) -> None:
    if "sync_state" in doc:
        folder.sync_state = one_of(doc["sync_state"], SYNC_STATES, "sync_state")


def _move(ctx: Ctx, folder: Item, doc: dict[str, Any]) -> bool:
    """Box's checks before a folder move, most specific first; True when it moved."""
    state = ctx.state
    target = tree.find(state, ref_id(doc, "parent"), ctx.user, "folder")
    if target.id == folder.parent_id:
        return False
    if folder.parent_id is None:
        raise BoxApiError("bad_request", "The root folder cannot be moved")
    tree.require_write(state, ctx.user, target)
    if folder.sync_state in SYNCED_STATES:
        raise BoxApiError("sync_item_move_failure")
    if tree.is_inside(state, target, folder):
        raise BoxApiError("cyclical_folder_structure")
    owner_given = isinstance(doc.get("owned_by"), dict) and doc["owned_by"].get("id")
    parent = state.items[folder.parent_id]
    if tree.is_collaborated(state, parent) and not tree.is_collaborated(state, target) \
            and not owner_given:
        raise BoxApiError("cannot_make_collaborated_subfolder_private")
    _name_conflict(state, target, str(doc.get("name", folder.name)), folder.id)
    folder.parent_id = target.id
    return True


def _slow_operation(state: Any, folder: Item) -> None:
    """Hold the folder busy for config.folder_op_s; past Box's 60 s limit answer 503 now."""
    seconds = state.config.folder_op_s
    if seconds <= 0:
        return
    folder.busy_until = state.clock.now() + seconds
    if seconds > SYNC_OPERATION_LIMIT_S:
        raise BoxApiError("unavailable", "The operation is taking longer than expected and "
                          "continues in the background", headers={RETRY_AFTER: str(int(seconds))})


def delete_folder(ctx: Ctx, folder_id: str) -> Response:
    """DELETE /folders/{id}?recursive=true: to the trash; non-empty needs recursive."""
    check_id(folder_id, "folder_id")
    state = ctx.state
    with state.lock:
        folder = tree.find(state, folder_id, ctx.user, "folder")
        if_match(ctx, folder.etag)
        tree.require_write(state, ctx.user, folder)
        if folder.parent_id is None:
            raise BoxApiError("bad_request", "The root folder cannot be deleted")
        recursive = ctx.request.args.get("recursive", "false").lower() == "true"
        if tree.children(state, folder) and not recursive:
            raise BoxApiError("folder_not_empty")
        tree.trash(state, folder)
        _slow_operation(state, folder)
        return empty()


def copy_folder(ctx: Ctx, folder_id: str) -> Response:
    """POST /folders/{id}/copy {parent: {id}, name?}: a deep copy (files keep their SHA-1)."""
    check_id(folder_id, "folder_id")
    doc = ctx.json()
    state = ctx.state
    with state.lock:
        source = tree.find(state, folder_id, ctx.user, "folder")
        target = tree.find(state, ref_id(doc, "parent"), ctx.user, "folder")
        tree.require_write(state, ctx.user, target)
        tree.require_idle(state, source)
        if tree.is_inside(state, target, source):
            raise BoxApiError("cyclical_folder_structure")
        name = check_name(doc.get("name", source.name))
        _name_conflict(state, target, name)
        copy = _copy_tree(state, source, target.id, name, ctx.user.id)
        _slow_operation(state, source)
        return json_response(folder_full(state, copy, tree.children(state, copy)), 201)


def _copy_tree(state: Any, node: Item, parent_id: str, name: str, owner_id: str) -> Item:
    now = state.clock.now()
    copy = tree.add_item(state, Item(state.next_id(), node.type, name, parent_id, owner_id,
                                     now, now, size=node.size, sha1=node.sha1,
                                     content=node.content, version_id=state.next_id()))
    if node.type == "file":
        owner = state.users[owner_id]
        owner.space_used += node.size
    for child in tree.children(state, node):
        _copy_tree(state, child, copy.id, child.name, owner_id)
    return copy


ROUTES = [
    Route("POST", "/folders", create_folder, scope="write"),
    Route("GET", "/folders/{folder_id}", get_folder),
    Route("PUT", "/folders/{folder_id}", update_folder, scope="write"),
    Route("DELETE", "/folders/{folder_id}", delete_folder, scope="write"),
    Route("GET", "/folders/{folder_id}/items", list_items),
    Route("POST", "/folders/{folder_id}/copy", copy_folder, scope="write"),
]
