"""How the fake's records look on the wire (Box's File/Folder/User "full" and "mini" forms).

Field sets follow Box's OpenAPI schemas (File--Full, Folder--Full, User--Full); the contract
test validates every response against them. `?fields=` trims a full record to `type`, `id`
(and `etag` for items) plus the requested names, as Box does.
"""

from __future__ import annotations

from typing import Any

from .clock import iso
from .model import Item, User
from .state import State
from .tree import ancestors, is_collaborated


def trim(doc: dict[str, Any], fields: set[str] | None) -> dict[str, Any]:
    """Keep only the requested fields (plus the identifying ones)."""
    if not fields:
        return doc
    keep = fields | {"type", "id", "etag"}
    return {k: v for k, v in doc.items() if k in keep}


def user_mini(state: State, user_id: str) -> dict[str, Any]:
    user = state.users.get(user_id)
    return {"type": "user", "id": user_id, "name": user.name if user else "",
            "login": user.login if user else ""}


def user_full(user: User) -> dict[str, Any]:
    return {
        "type": "user", "id": user.id, "name": user.name, "login": user.login,
        "created_at": iso(user.created_at), "modified_at": iso(user.created_at),
        "language": "en", "timezone": "America/Los_Angeles",
        "space_amount": user.space_amount, "space_used": user.space_used,
        "max_upload_size": user.max_upload_size, "status": user.status,
        "job_title": "", "phone": "", "address": "", "avatar_url": "",
        "role": user.role, "enterprise": {"type": "enterprise", "id": user.enterprise_id,
                                          "name": "Example Enterprise"},
    }


def _public_id(item: Item) -> str:
    # Every user's root folder is "0" to that user, as on Box.
    return "0" if item.parent_id is None and item.type == "folder" else item.id


def item_mini(item: Item) -> dict[str, Any]:
    root = item.parent_id is None
    doc: dict[str, Any] = {"type": item.type, "id": _public_id(item),
                           "sequence_id": None if root else str(item.etag),
                           "etag": None if root else str(item.etag), "name": item.name}
    if item.type == "file":
        doc["sha1"] = item.sha1
        doc["file_version"] = {"type": "file_version", "id": item.version_id, "sha1": item.sha1}
    return doc


def path_collection(state: State, item: Item) -> dict[str, Any]:
    chain = list(reversed(list(ancestors(state, item))))
    return {"total_count": len(chain), "entries": [item_mini(a) for a in chain]}


def shared_link(item: Item) -> dict[str, Any] | None:
    link = item.shared_link
    if link is None:
        return None
    return {"url": link.url, "download_url": None, "vanity_url": None, "vanity_name": None,
            "access": link.access, "effective_access": link.access,
            "effective_permission": "can_download", "unshared_at": None,
            "is_password_enabled": link.password is not None,
            "permissions": {"can_download": True, "can_preview": True, "can_edit": False},
            "download_count": 0, "preview_count": 0}


def _common(state: State, item: Item) -> dict[str, Any]:
    parent = state.items.get(item.parent_id or "")
    doc = {
        **item_mini(item),
        "description": item.description, "size": item.size,
        "path_collection": path_collection(state, item),
        "created_at": iso(item.created_at), "modified_at": iso(item.modified_at),
        "trashed_at": iso(item.trashed_at) if item.trashed_at is not None else None,
        "purged_at": None,
        "content_created_at": iso(item.created_at), "content_modified_at": iso(item.modified_at),
        "created_by": user_mini(state, item.owner_id),
        "modified_by": user_mini(state, item.owner_id),
        "owned_by": user_mini(state, item.owner_id),
        "parent": item_mini(parent) if parent else None,
        "item_status": "trashed" if item.trashed_at is not None else "active",
        "has_collaborations": is_collaborated(state, item),
    }
    if item.shared_link is not None:  # Box's schema has no null shared_link: leave it out
        doc["shared_link"] = shared_link(item)
    return doc


def folder_full(state: State, item: Item, entries: list[Item] | None = None) -> dict[str, Any]:
    doc = _common(state, item)
    doc["sync_state"] = item.sync_state
    if entries is not None:
        doc["item_collection"] = {"total_count": len(entries), "offset": 0, "limit": 100,
                                  "entries": [item_mini(i) for i in entries[:100]]}
    return doc


def file_full(state: State, item: Item) -> dict[str, Any]:
    doc = _common(state, item)
    ext = item.name.rpartition(".")[2] if "." in item.name else ""
    doc.update({"extension": ext, "version_number": "1", "comment_count": sum(
        1 for c in state.comments if c.item_id == item.id), "is_package": False})
    doc["lock"] = None if item.lock is None else {
        "type": "lock", "id": item.lock.id, "created_by": user_mini(state, item.lock.by_user_id),
        "created_at": iso(item.lock.created_at),
        "is_download_prevented": item.lock.is_download_prevented}
    return doc


def full(state: State, item: Item) -> dict[str, Any]:
    return file_full(state, item) if item.type == "file" else folder_full(state, item)
