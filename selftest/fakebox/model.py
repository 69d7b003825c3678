"""The records the fake keeps: users, items (files and folders) and what hangs off them.

Plain dataclasses with no behaviour beyond small predicates; `state.State` owns them and
serialises access with one lock. Times are fake-clock seconds since the epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .content import Blob

ItemType = Literal["file", "folder"]

#: sync_state values that make a folder "synced" (moving one: sync_item_move_failure).
SYNCED_STATES = frozenset({"synced", "partially_synced"})


@dataclass
class User:
    """A Box user; the four flags make every API call of theirs fail with that Box code."""

    id: str
    login: str
    name: str
    root_id: str
    space_amount: int = 10 * 1024**3
    space_used: int = 0
    max_upload_size: int = 5 * 1024**3
    status: str = "active"
    role: str = "admin"
    enterprise_id: str = "900001"
    created_at: float = 0.0
    password_reset_required: bool = False
    terms_of_service_required: bool = False
    email_confirmation_required: bool = False
    location_blocked: bool = False


@dataclass
class Lock:
    """A file lock: writes by anyone but `by_user_id` get access_denied_item_locked."""

    id: str
    by_user_id: str
    created_at: float
    is_download_prevented: bool = False


@dataclass
class SharedLink:
    """A shared link; `password` None means none is required."""

    url: str
    access: str = "open"
    password: str | None = None


@dataclass
class Item:
    """A file or folder. `content` is kept only for small files (memory bound)."""

    id: str
    type: ItemType
    name: str
    parent_id: str | None
    owner_id: str
    created_at: float
    modified_at: float
    etag: int = 0
    size: int = 0
    sha1: str = ""
    #: The bytes (content.Blob: memory or spool file); None when the fake kept only the SHA-1.
    content: Blob | None = None
    version_id: str = ""
    description: str = ""
    trashed_at: float | None = None
    #: True on the item a trash request named (its descendants are trashed with it).
    trashed_root: bool = False
    lock: Lock | None = None
    sync_state: str = "not_synced"
    shared_link: SharedLink | None = None
    #: Fake-clock time until which a slow move/copy/delete keeps this folder busy.
    busy_until: float = 0.0
    #: Pages of the item's paged representation (requested_page_out_of_range beyond it).
    page_count: int = 1

    def touch(self, now: float) -> None:
        """Record a modification: new etag, new modified_at."""
        self.etag += 1
        self.modified_at = now


@dataclass
class Collaboration:
    """A user's access to a folder; `status` pending until an invitee accepts."""

    id: str
    item_id: str
    user_id: str | None
    login: str
    role: str
    status: str
    created_by: str
    created_at: float


@dataclass
class Comment:
    """A comment on a file (recent_similar_comment rejects a quick duplicate)."""

    id: str
    item_id: str
    user_id: str
    message: str
    created_at: float


@dataclass
class Task:
    """A task on a file."""

    id: str
    item_id: str
    created_by: str
    action: str
    message: str
    created_at: float
    assignment_ids: list[str] = field(default_factory=list)


@dataclass
class TaskAssignment:
    """One user's share of a task."""

    id: str
    task_id: str
    item_id: str
    user_id: str
    assigned_by: str
    assigned_at: float
