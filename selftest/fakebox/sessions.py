"""Chunked upload sessions (https://developer.box.com/guides/uploads/chunked/).

    POST   {upload}/files/upload_sessions            {folder_id, file_size, file_name} -> 201
    PUT    {upload}/files/upload_sessions/{id}       one part: Digest + Content-Range
    GET    {upload}/files/upload_sessions/{id}[/parts]
    POST   {upload}/files/upload_sessions/{id}/commit {parts} + whole-file Digest -> 201 / 202
    DELETE {upload}/files/upload_sessions/{id}       abort

Errors: invalid_upload_session_id (malformed id), forbidden (another user's session),
session_expired (410, after `config.session_ttl_s` = 7 days on the fake clock),
range_not_satisfiable (416, a Content-Range that does not fit), bad_digest,
range_overlaps_existing_part (409, a different part at an offset already filled),
upload_failed (410: the session broke after too many conflicts or too many part attempts),
session_conflict (409, a commit whose parts list differs from the parts received),
length_required (411, a part with neither Content-Length nor chunked Transfer-Encoding: Box
takes a chunked part, as box-typescript-sdk-gen sends every part, tests/with_servers/
test_sdk_node.py). Memory stays bounded: parts are written straight into the session's
spool file (content.py) at their offset, so parts may arrive in any order and the commit still
checks the whole-file Digest against the bytes received. The spool file is counted against
`config.spool_max_bytes` from the session's creation (403 storage_limit_exceeded beyond it).
At most `config.max_sessions` live sessions: when the cap is reached, sessions idle for
`config.session_idle_evict_s` make room (oldest first); only when none is idle is a new one
refused (400). Lifetime: `config.session_ttl_s` (Box: 7 days).
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import re
import secrets
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Response

from . import tree
from .clock import iso
from .content import Blob
from .errors import BoxApiError, invalid_parameter
from .http import RETRY_AFTER, Ctx, check_id, empty, json_response
from .reserve import reserve
from .routing import Route
from .state import State
from .uploads import admit, create_file
from .views import file_full

_SESSION_ID = re.compile(r"^[0-9A-Fa-f]{32}$")
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
_CHUNK = 64 * 1024


@dataclass
class Part:
    part_id: str
    offset: int
    size: int
    sha1: str

    def view(self) -> dict[str, Any]:
        return {"part_id": self.part_id, "offset": self.offset, "size": self.size,
                "sha1": self.sha1}


@dataclass
class UploadSession:
    id: str
    user_id: str
    folder_id: str
    file_name: str
    file_size: int
    part_size: int
    expires_at: float
    #: The spool file the parts are written into (sparse until every part arrived).
    path: Path
    touched_at: float = 0.0
    parts: dict[int, Part] = field(default_factory=dict)
    #: Offsets whose bytes are being written right now (a second writer gets 409).
    in_flight: set[int] = field(default_factory=set)
    #: The whole file's SHA-1 once a commit has hashed it.
    whole_sha1: str | None = None
    conflicts: int = 0
    attempts: int = 0
    failed: bool = False
    commit_started: float | None = None
    #: Deletes the spool file and frees its bytes when the session goes (None once adopted).
    release: Any = None

    @property
    def total_parts(self) -> int:
        return max(1, math.ceil(self.file_size / self.part_size))


def _view(ctx: Ctx, session: UploadSession) -> dict[str, Any]:
    base = f"{ctx.url_root}/api/2.0/files/upload_sessions/{session.id}"
    return {"id": session.id, "type": "upload_session",
            "session_expires_at": iso(session.expires_at), "part_size": session.part_size,
            "total_parts": session.total_parts, "num_parts_processed": len(session.parts),
            "session_endpoints": {"upload_part": base, "commit": f"{base}/commit",
                                  "abort": base, "list_parts": f"{base}/parts",
                                  "status": base, "log_event": f"{base}/log"}}


def create_session(ctx: Ctx) -> Response:
    """POST /files/upload_sessions: admit the file, then open a session."""
    doc = ctx.json()
    size, name = doc.get("file_size"), doc.get("file_name")
    state, cfg = ctx.state, ctx.state.config
    if not isinstance(size, int) or isinstance(size, bool) or size < cfg.min_session_file_size:
        raise invalid_parameter("file_size", size, f"'file_size' must be an integer of at least "
                                f"{cfg.min_session_file_size} bytes for a chunked upload")
    with state.lock:
        folder_id = check_id(str(doc.get("folder_id", "")), "folder_id")
        folder = tree.find(state, folder_id, ctx.user, "folder")
        admit(state, ctx.user, folder, str(name) if isinstance(name, str) else "", size)
        _make_room(state)
        store = state.content
        store.claim(size)
        path = store.new_path("session-")
        os.truncate(path, size)
        now = state.clock.now()
        session = UploadSession(secrets.token_hex(16).upper(), ctx.user.id, folder.id, str(name),
                                size, cfg.part_size, now + cfg.session_ttl_s, path, now)
        session.release = weakref.finalize(session, store.forget, str(path), size)
        state.sessions[session.id] = session
        return json_response(_view(ctx, session), 201)


def _make_room(state: State) -> None:
    """Drop expired sessions, then idle ones (oldest first) while at the cap; else a 400."""
    now, cfg = state.clock.now(), state.config
    for sid in [s.id for s in state.sessions.values() if s.expires_at <= now]:
        del state.sessions[sid]
    idle = sorted((s for s in state.sessions.values()
                   if now - s.touched_at >= cfg.session_idle_evict_s),
                  key=lambda s: s.touched_at)
    while len(state.sessions) >= cfg.max_sessions and idle:
        del state.sessions[idle.pop(0).id]
    if len(state.sessions) >= cfg.max_sessions:
        raise BoxApiError("bad_request", f"The fake Box holds at most {cfg.max_sessions} upload "
                          f"sessions and none has been idle for {cfg.session_idle_evict_s:g} s; "
                          "commit or abort one (or raise max_sessions)")


def _session(ctx: Ctx, upload_session_id: str) -> UploadSession:
    """The caller's live session, or the Box error for why not."""
    if not _SESSION_ID.match(upload_session_id):
        raise BoxApiError("invalid_upload_session_id")
    session: UploadSession | None = ctx.state.sessions.get(upload_session_id.upper())
    if session is None:
        raise BoxApiError("not_found")
    if session.user_id != ctx.user.id:
        raise BoxApiError("forbidden")
    now = ctx.state.clock.now()
    if session.expires_at <= now:
        raise BoxApiError("session_expired")
    if session.failed:
        raise BoxApiError("upload_failed")
    session.touched_at = now
    return session


def get_session(ctx: Ctx, upload_session_id: str) -> Response:
    with ctx.state.lock:
        return json_response(_view(ctx, _session(ctx, upload_session_id)))


def list_parts(ctx: Ctx, upload_session_id: str) -> Response:
    with ctx.state.lock:
        session = _session(ctx, upload_session_id)
        parts = [p.view() for _, p in sorted(session.parts.items())]
    return json_response({"total_count": len(parts), "entries": parts, "offset": 0,
                          "limit": max(len(parts), 1000)})


def abort(ctx: Ctx, upload_session_id: str) -> Response:
    with ctx.state.lock:
        session = _session(ctx, upload_session_id)
        del ctx.state.sessions[session.id]
    return empty()


def _range(ctx: Ctx, session: UploadSession) -> tuple[int, int]:
    """(offset, size) from Content-Range, checked against the session's part grid."""
    match = _RANGE.match(ctx.request.headers.get("Content-Range", "").strip())
    if match is None:
        raise BoxApiError("range_not_satisfiable", "Content-Range must be 'bytes lo-hi/total'")
    lo, hi, total = (int(g) for g in match.groups())
    size = hi - lo + 1
    last = hi == session.file_size - 1
    if total != session.file_size or hi < lo or hi >= total or lo % session.part_size \
            or size > session.part_size or (size != session.part_size and not last):
        raise BoxApiError("range_not_satisfiable", context_info={
            "part_size": session.part_size, "file_size": session.file_size})
    return lo, size


def _digest(header: str | None) -> str:
    """The hex SHA-1 named by a `Digest: sha=<base64>` header."""
    if not header or not header.lower().startswith("sha="):
        raise invalid_parameter("digest", header, "A 'Digest: sha=<base64 SHA-1>' header "
                                "is required")
    try:
        return base64.b64decode(header[4:].strip(), validate=True).hex()
    except ValueError:
        raise invalid_parameter("digest", header, "The digest is not valid base64") from None


def _read_part(ctx: Ctx, size: int, target: tuple[Path, int] | None) -> tuple[str, bytes]:
    """Read exactly `size` body bytes: (sha1 hex, the bytes when not written to `target`).

    With `target` (spool file, offset) the bytes go to disk as they arrive; without it (a part
    at an offset already filled) they are held to compare, never written over the first part.
    """
    request = ctx.request
    chunked = request.headers.get("Transfer-Encoding", "").strip().lower() == "chunked"
    if request.content_length is None and not chunked:
        raise BoxApiError("length_required")
    if request.content_length is not None and request.content_length != size:
        raise BoxApiError("range_not_satisfiable", "Content-Length differs from Content-Range")
    digest, kept, left = hashlib.sha1(), bytearray(), size  # noqa: S324 - Box uses SHA-1
    stream = ctx.request.stream
    handle = os.open(target[0], os.O_WRONLY) if target else None
    try:
        position = target[1] if target else 0
        while left and (chunk := stream.read(min(_CHUNK, left))):
            digest.update(chunk)
            if handle is not None:
                os.pwrite(handle, chunk, position)
                position += len(chunk)
            else:
                kept.extend(chunk)
            left -= len(chunk)
    finally:
        if handle is not None:
            os.close(handle)
    if left:
        raise BoxApiError("bad_request", "The part body ended early")
    if chunked and request.content_length is None and stream.read(1):
        raise BoxApiError("range_not_satisfiable", "The part body is longer than its "
                          "Content-Range")
    return digest.hexdigest(), bytes(kept)


def upload_part(ctx: Ctx, upload_session_id: str) -> Response:
    """PUT /files/upload_sessions/{id}: one part, written at its offset as it arrives."""
    state = ctx.state
    with state.lock:
        session = _session(ctx, upload_session_id)
        lo, size = _range(ctx, session)
        wanted = _digest(ctx.request.headers.get("Digest"))
        session.attempts += 1
        if session.attempts > 3 * session.total_parts + 10:
            session.failed = True
            raise BoxApiError("upload_failed", "The maximum number of parts was exceeded")
        if lo in session.in_flight:
            raise BoxApiError("range_overlaps_existing_part", "A part at this offset is "
                              "being uploaded right now")
        filled = lo in session.parts
        if not filled:
            session.in_flight.add(lo)
    try:
        sha1, _ = _read_part(ctx, size, None if filled else (session.path, lo))
        if sha1 != wanted:
            raise BoxApiError("bad_digest")
        with state.lock:
            return json_response({"part": _store(state, session, lo, size, sha1)})
    finally:
        if not filled:
            with state.lock:
                session.in_flight.discard(lo)


def _store(state: State, session: UploadSession, lo: int, size: int, sha1: str
           ) -> dict[str, Any]:
    old = session.parts.get(lo)
    if old is not None and (old.size, old.sha1) == (size, sha1):
        return old.view()  # a retried part: idempotent
    if old is not None:
        session.conflicts += 1
        if session.conflicts >= state.config.session_conflicts_before_failure:
            session.failed = True
            raise BoxApiError("upload_failed", "Overlapping parts broke the session")
        raise BoxApiError("range_overlaps_existing_part", context_info={"conflicts": old.view()})
    part = Part(secrets.token_hex(4).upper(), lo, size, sha1)
    session.parts[lo] = part
    session.whole_sha1 = None
    return part.view()


def _check_parts(session: UploadSession, listed: object) -> None:
    """A commit's parts list must name exactly the parts received, covering the file."""
    if not isinstance(listed, list) or not all(isinstance(p, dict) for p in listed):
        raise invalid_parameter("parts", "...", "'parts' must be a list of part objects")
    have = sorted(((p.part_id, p.offset, p.size, p.sha1) for p in session.parts.values()),
                  key=repr)
    got = sorted(((str(p.get("part_id")), p.get("offset"), p.get("size"), str(p.get("sha1")))
                  for p in listed), key=repr)  # repr: offsets may be of any JSON type
    if got != have:
        raise BoxApiError("session_conflict", context_info={"expected_parts": len(have)})
    if sum(p.size for p in session.parts.values()) != session.file_size:
        raise BoxApiError("bad_request", "Not every part of the file has been uploaded")


def _hash_file(path: Path, size: int) -> str:
    """The SHA-1 of the first `size` bytes of a spool file, read in 1 MiB chunks."""
    digest = hashlib.sha1()  # noqa: S324 - Box uses SHA-1
    with open(path, "rb") as stream:
        while size > 0 and (chunk := stream.read(min(1024 * 1024, size))):
            digest.update(chunk)
            size -= len(chunk)
    return digest.hexdigest()


def _blob(state: State, session: UploadSession) -> Blob | None:
    """The committed file's bytes: the spool file itself, or memory when small, or none."""
    cfg, size = state.config, session.file_size
    if size <= cfg.keep_content_bytes:
        with open(session.path, "rb") as stream:
            return Blob(size, data=stream.read(size))
    if not cfg.retain_content:
        return None
    session.release.detach()
    session.release = None
    return state.content.adopt(session.path, size)


def commit(ctx: Ctx, upload_session_id: str) -> Response:
    """POST /files/upload_sessions/{id}/commit: 201 with the file, or 202 while processing."""
    doc = ctx.json()
    state = ctx.state
    with state.lock:
        session = _session(ctx, upload_session_id)
        wanted = _digest(ctx.request.headers.get("Digest"))
        _check_parts(session, doc.get("parts"))
        actual = session.whole_sha1
    if actual is None:  # hashed outside the lock: a 2 GB file takes seconds
        actual = _hash_file(session.path, session.file_size)
        with state.lock:
            session.whole_sha1 = actual
    if actual != wanted:
        raise BoxApiError("bad_digest")
    with state.lock:
        now, delay = state.clock.now(), state.config.commit_processing_s
        session.commit_started = session.commit_started or now
        if now < session.commit_started + delay:
            wait = math.ceil(session.commit_started + delay - now)
            return empty(202, {RETRY_AFTER: str(wait)})
        folder = tree.find(state, session.folder_id, ctx.user, "folder")
        attributes = doc.get("attributes")
        name = str(attributes.get("name", session.file_name)) if isinstance(attributes, dict) \
            else session.file_name
    with reserve(state, folder.id, name), state.lock:
        if state.sessions.get(session.id) is not session:
            raise BoxApiError("not_found")  # a concurrent commit of this session won
        admit(state, ctx.user, folder, name, session.file_size)
        item = create_file(state, folder, name, session.file_size, wanted,
                           _blob(state, session))
        state.sessions.pop(session.id, None)
        return json_response({"total_count": 1, "entries": [file_full(state, item)]}, 201)


ROUTES = [
    Route("POST", "/files/upload_sessions", create_session, scope="write", upload=True),
    Route("GET", "/files/upload_sessions/{upload_session_id}", get_session),
    Route("PUT", "/files/upload_sessions/{upload_session_id}", upload_part, scope="write",
          upload=True),
    Route("DELETE", "/files/upload_sessions/{upload_session_id}", abort, scope="write"),
    Route("GET", "/files/upload_sessions/{upload_session_id}/parts", list_parts),
    Route("POST", "/files/upload_sessions/{upload_session_id}/commit", commit, scope="write",
          upload=True),
]
