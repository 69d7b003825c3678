"""Everything the fake remembers, behind one lock, plus the knobs tests turn.

`State` is what `running()` exposes as `box.state`: tests set user flags, add users, lock
items, advance the clock or inject a 5xx through it. Handlers take `state.lock` for any
read-modify-write; the lock is re-entrant so helpers can nest.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock
from .content import ContentStore
from .model import Collaboration, Comment, Item, Task, TaskAssignment, User
from .ratelimit import RateLimiter
from .runtime import FaultTable, RequestLog
from .tokens import App, TokenStore

MAIN_USER_ID = "11446498"
ENTERPRISE_ID = "900001"


@dataclass
class Config:
    """Behaviour knobs. Units are in the names; defaults follow Box where Box has a number."""

    requests_per_window: int = 100_000
    uploads_per_window: int = 100_000
    token_requests_per_window: int = 100_000
    rate_window_s: float = 60.0
    latency_ms: int = 0
    #: Chunked uploads: Box picks the part size (8 MiB for most files), refuses files < 20 MB.
    part_size: int = 8 * 1024 * 1024
    min_session_file_size: int = 20_000_000
    session_ttl_s: float = 7 * 86400
    max_sessions: int = 64
    #: At the session cap, sessions untouched this long (fake seconds) make room, oldest first.
    session_idle_evict_s: float = 3600.0
    #: Range conflicts a session survives before it breaks (410 upload_failed).
    session_conflicts_before_failure: int = 3
    #: Fake seconds a commit stays "processing" (202 + Retry-After) before it returns 201.
    commit_processing_s: float = 0.0
    #: Files up to this size keep their bytes in memory; larger ones are spooled to disk
    #: (content.py) while `retain_content`, else only their size and SHA-1 are kept.
    keep_content_bytes: int = 1024 * 1024
    retain_content: bool = True
    #: Total bytes the spool may hold (files and open upload sessions); past it uploads get
    #: 403 storage_limit_exceeded, as from a full account.
    spool_max_bytes: int = 4 * 1024**3
    #: Largest direct-upload body the fake reads (Box advises chunked uploads above 50 MB).
    max_direct_upload_bytes: int = 50 * 1024 * 1024
    #: Real milliseconds a create holds its name reserved (name_temporarily_reserved window).
    create_processing_ms: int = 0
    #: Fake seconds a folder move/copy/delete keeps the folder busy (operation_blocked_temporary);
    #: above 60 the request itself answers 503 while the operation goes on, as Box documents.
    folder_op_s: float = 0.0
    #: Same comment on the same file by the same user within this window: recent_similar_comment.
    comment_window_s: float = 60.0
    max_items: int = 100_000


#: Handler errors kept at most (the newest); each is a short text, never the request body.
MAX_ERRORS = 50
_TRACEBACK_CHARS = 4000


@dataclass(frozen=True)
class HandlerError:
    """An exception the catch-all turned into a 500: what was asked and a bounded traceback.

    The exception object itself is not kept: its frames hold the request and its body, and a
    server that other people fuzz must not grow by a body per crash.
    """

    method: str
    path: str
    error: str
    traceback: str

    @classmethod
    def of(cls, method: str, path: str, exc: BaseException) -> HandlerError:
        text = "".join(traceback.format_exception(exc))
        return cls(method, path[:200], f"{type(exc).__name__}: {exc}"[:300],
                   text[-_TRACEBACK_CHARS:])


@dataclass
class Injection:
    """A forced failure for the next `times` matching requests (for 500/502/503)."""

    status: int
    code: str
    path_prefix: str = ""
    times: int = 1
    retry_after_s: int | None = None
    #: True: run the handler first, so the write lands and the client still sees the error.
    after_handler: bool = False
    #: True: raise inside the app instead (exercises the catch-all).
    raise_exception: bool = False


@dataclass
class State:
    """The fake's world. Create with `State.create()`."""

    clock: Clock
    config: Config
    tokens: TokenStore
    lock: threading.RLock = field(default_factory=threading.RLock)
    users: dict[str, User] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    collaborations: dict[str, Collaboration] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    tasks: dict[str, Task] = field(default_factory=dict)
    assignments: dict[str, TaskAssignment] = field(default_factory=dict)
    #: Chunked upload sessions by id (see sessions.py).
    sessions: dict[str, Any] = field(default_factory=dict)
    injections: list[Injection] = field(default_factory=list)
    #: Unexpected exceptions the catch-all turned into a 500 (tests assert it stays empty);
    #: the newest MAX_ERRORS, see `record_error`.
    errors: list[HandlerError] = field(default_factory=list)
    #: (parent id, folded name) -> reservation token, while a create is processing.
    reservations: dict[tuple[str, str], str] = field(default_factory=dict)
    limiter: RateLimiter | None = None
    #: Faults and the request log of the control API (runtime.py, control.py).
    faults: FaultTable = field(default_factory=FaultTable)
    requests: RequestLog = field(default_factory=RequestLog)
    #: Set when the server stops: stalls end at once.
    stopping: threading.Event = field(default_factory=threading.Event)
    #: The settings at start, which POST /reset puts back (runtime.read_settings names).
    initial_settings: dict[str, Any] = field(default_factory=dict)
    #: Download URL tickets (downloads.py), and the download host's base URL when it has one.
    downloads: dict[str, Any] = field(default_factory=dict)
    download_base: str | None = None
    #: File bytes in memory or spooled to disk (content.py); made by `create`.
    content: ContentStore = field(default_factory=lambda: ContentStore(Config()))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100_000_001))

    @classmethod
    def create(cls, *, clock_offset_s: float = 0.0, config: Config | None = None) -> State:
        """A world with one main user (root folder "0") and one OAuth app."""
        clock = Clock(clock_offset_s)
        config = config or Config()
        state = cls(clock=clock, config=config, tokens=TokenStore(clock),
                    limiter=RateLimiter(clock), content=ContentStore(config))
        state.add_user("admin@example.com", "Site Admin", user_id=MAIN_USER_ID, root_id="0")
        service = state.add_user("AutomationUser_1@boxdevedition.com", "Service Account")
        state.tokens.apps["fakeclientid0000000000000000000"] = App(
            "fakeclientid0000000000000000000", "fakeclientsecret000000000000000",
            ENTERPRISE_ID, service.id)
        return state

    @property
    def main_user(self) -> User:
        return self.users[MAIN_USER_ID]

    @property
    def default_app(self) -> App:
        return next(iter(self.tokens.apps.values()))

    def next_id(self) -> str:
        """A fresh numeric id, as Box's ids look."""
        with self.lock:
            return str(next(self._ids))

    def add_user(self, login: str, name: str = "", *, user_id: str | None = None,
                 root_id: str | None = None, **fields: object) -> User:
        """Create a user with an empty root folder; `fields` set any User attribute."""
        with self.lock:
            uid = user_id or self.next_id()
            rid = root_id or self.next_id()
            now = self.clock.now()
            user = User(uid, login, name or login, rid, created_at=now)
            for key, value in fields.items():
                setattr(user, key, value)
            self.users[uid] = user
            self.items[rid] = Item(rid, "folder", "All Files", None, uid, now, now)
            return user

    def user_by_login(self, login: str) -> User | None:
        with self.lock:
            return next((u for u in self.users.values()
                         if u.login.casefold() == login.casefold()), None)

    def inject(self, status: int, code: str, **options: object) -> Injection:
        """Make the next matching request(s) fail with `status`/`code` (see Injection)."""
        injection = Injection(status, code, **options)  # type: ignore[arg-type]
        with self.lock:
            self.injections.append(injection)
        return injection

    def take_injection(self, path: str) -> Injection | None:
        """The first injection matching `path`, counted down; None when none applies."""
        with self.lock:
            for injection in self.injections:
                if path.startswith(injection.path_prefix) and injection.times > 0:
                    injection.times -= 1
                    if injection.times == 0:
                        self.injections.remove(injection)
                    return injection
        return None

    def reset(self) -> None:
        """Back to the world at start: settings, and no files, folders, sessions or faults.

        Users, apps and tokens stay, so the credentials a client was given keep working.
        """
        from .runtime import apply_settings

        with self.lock:
            for user in self.users.values():
                root = self.items[user.root_id]
                root.etag = 0
            roots = {user.root_id for user in self.users.values()}
            self.items = {k: v for k, v in self.items.items() if k in roots}
            for user in self.users.values():
                user.space_used = 0
            for store in (self.collaborations, self.tasks, self.assignments, self.sessions,
                          self.downloads, self.reservations):
                store.clear()
            self.comments.clear()
            self.injections.clear()
            self.errors.clear()
            self.faults.remove(None)
            self.requests.clear()
            if self.initial_settings:
                apply_settings(self, {k: v for k, v in self.initial_settings.items()
                                      if k not in ("spool_used_bytes", "upload_sessions",
                                                   "items")})

    def record_error(self, method: str, path: str, exc: BaseException) -> None:
        """Keep a short record of a handler exception; only the newest MAX_ERRORS stay."""
        with self.lock:
            self.errors.append(HandlerError.of(method, path, exc))
            del self.errors[:-MAX_ERRORS]

    def lock_item(self, item_id: str, by_user_id: str) -> None:
        """Lock a file as `by_user_id` (others then get access_denied_item_locked)."""
        from .model import Lock

        with self.lock:
            self.items[item_id].lock = Lock(self.next_id(), by_user_id, self.clock.now())

    def block_folder(self, folder_id: str, seconds: float) -> None:
        """Mark a folder busy with a slow operation for `seconds` of fake time."""
        with self.lock:
            self.items[folder_id].busy_until = self.clock.now() + seconds


def random_request_id() -> str:
    """A Box-looking request id (lower-case alphanumerics)."""
    return secrets.token_hex(8)
