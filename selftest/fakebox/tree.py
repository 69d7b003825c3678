"""The folder tree: finding items as a user sees them, access rules, conflicts, trash.

Access: a user sees an item they own, or one inside a folder they collaborate on (accepted).
Writes need the owner, co-owner or editor role (uploader may upload); a viewer gets
access_denied_insufficient_permissions. An item a user cannot see is `not_found`, as on Box.
Callers hold `state.lock`.
"""

from __future__ import annotations

from collections.abc import Iterator

from .errors import BoxApiError
from .model import Item, ItemType, User
from .names import fold
from .state import State

WRITE_ROLES = frozenset({"owner", "co-owner", "editor"})
UPLOAD_ROLES = WRITE_ROLES | {"uploader", "viewer uploader", "previewer uploader"}


def ancestors(state: State, item: Item) -> Iterator[Item]:
    """The item's parents, nearest first, up to the root."""
    parent_id = item.parent_id
    while parent_id is not None and parent_id in state.items:
        parent = state.items[parent_id]
        yield parent
        parent_id = parent.parent_id


def role(state: State, user: User, item: Item) -> str | None:
    """The user's role on the item (owner, or the nearest collaboration), None for no access."""
    if item.owner_id == user.id:
        return "owner"
    chain = [item, *ancestors(state, item)]
    for node in chain:
        for collab in state.collaborations.values():
            if collab.item_id == node.id and collab.user_id == user.id:
                return collab.role if collab.status == "accepted" else None
    return None


def find(state: State, item_id: str, user: User, kind: ItemType,
         *, trashed: bool | None = False) -> Item:
    """The item as `user` may see it. `trashed`: False live only, True trash only, None both."""
    real_id = user.root_id if item_id == "0" and kind == "folder" else item_id
    item = state.items.get(real_id)
    if item is None or item.type != kind or role(state, user, item) is None:
        raise BoxApiError("not_found", context_info={"errors": [
            {"reason": "invalid_parameter", "name": f"{kind}_id",
             "message": f"Invalid value '{item_id}'. '{kind}' with value '{item_id}' not found"}]})
    if trashed is False and item.trashed_at is not None:
        raise BoxApiError("trashed")
    if trashed is True and item.trashed_at is None:
        raise BoxApiError("not_trashed")
    return item


def require_write(state: State, user: User, item: Item, roles: frozenset[str] = WRITE_ROLES
                  ) -> None:
    """Refuse a change by a user without write access, or to an item someone else locked."""
    if role(state, user, item) not in roles:
        raise BoxApiError("access_denied_insufficient_permissions")
    if item.lock is not None and item.lock.by_user_id != user.id:
        raise BoxApiError("access_denied_item_locked")
    require_idle(state, item)


def require_idle(state: State, item: Item) -> None:
    """Refuse to touch a folder (or anything under one) that a slow operation holds."""
    now = state.clock.now()
    for node in [item, *ancestors(state, item)]:
        if node.busy_until > now:
            raise BoxApiError("operation_blocked_temporary", context_info={
                "conflicts": [{"type": "folder", "id": node.id}]})


def children(state: State, folder: Item, *, trashed: bool = False) -> list[Item]:
    """The folder's direct children, live (or trashed), folders first then by name."""
    found = [i for i in state.items.values()
             if i.parent_id == folder.id and (i.trashed_at is not None) == trashed]
    return sorted(found, key=lambda i: (i.type != "folder", fold(i.name), i.id))


def subtree(state: State, item: Item) -> list[Item]:
    """The item and everything under it."""
    out, todo = [], [item]
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(i for i in state.items.values() if i.parent_id == node.id)
    return out


def conflict(state: State, parent: Item, name: str, exclude_id: str = "") -> Item | None:
    """The live item already named `name` in `parent` (case-insensitive), if any."""
    wanted = fold(name)
    return next((i for i in state.items.values()
                 if i.parent_id == parent.id and i.trashed_at is None and i.id != exclude_id
                 and fold(i.name) == wanted), None)


def is_inside(state: State, candidate: Item, ancestor: Item) -> bool:
    """True when `candidate` is `ancestor` or lies under it."""
    return candidate.id == ancestor.id or any(
        a.id == ancestor.id for a in ancestors(state, candidate))


def is_collaborated(state: State, item: Item) -> bool:
    """True when the item or a folder above it has a collaboration."""
    ids = {item.id, *(a.id for a in ancestors(state, item))}
    return any(c.item_id in ids for c in state.collaborations.values())


def trash(state: State, item: Item) -> None:
    """Move the item (and what it holds) to the trash; space stays used until purged."""
    now = state.clock.now()
    for node in subtree(state, item):
        if node.trashed_at is None:
            node.trashed_at = now
    item.trashed_root = True
    item.touch(now)


def restore(state: State, item: Item) -> None:
    """Bring a trashed item back with everything trashed along with it."""
    when = item.trashed_at
    for node in subtree(state, item):
        if node.trashed_at == when:
            node.trashed_at = None
    item.trashed_root = False
    item.touch(state.clock.now())


def purge(state: State, item: Item) -> None:
    """Delete permanently: the owner's space_used drops by the files' sizes."""
    for node in subtree(state, item):
        owner = state.users.get(node.owner_id)
        if owner is not None and node.type == "file":
            owner.space_used = max(0, owner.space_used - node.size)
        del state.items[node.id]
    for collab_id in [c.id for c in state.collaborations.values()
                      if c.item_id not in state.items]:
        del state.collaborations[collab_id]  # a collaboration dies with its folder


def add_item(state: State, item: Item) -> Item:
    """Store a new item, within the fake's item cap (a bounded memory promise)."""
    if len(state.items) >= state.config.max_items:
        raise BoxApiError("bad_request", "The fake Box holds its maximum number of items")
    state.items[item.id] = item
    return item
