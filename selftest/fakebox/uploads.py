"""Direct uploads, new versions and the upload preflight (`OPTIONS /files/content`).

Every path into a new file goes through `admit`, which applies Box's checks in one order:
name rules (item_name_invalid / _too_long), write access to the folder
(access_denied_insufficient_permissions), same name in the folder (item_name_in_use, with
`context_info.conflicts` as ONE object for uploads), the folder OWNER's max_upload_size
(file_size_limit_exceeded) and the owner's space (storage_limit_exceeded).

Direct uploads are multipart (`attributes` JSON, then the file). A `Content-MD5` header holds
the SHA-1 in hex, despite its name; a mismatch is bad_digest. Bodies are streamed: only the
bytes of files above `config.keep_content_bytes` are spooled to disk (content.py).
"""

from __future__ import annotations

import secrets
from typing import Any

from werkzeug.wrappers import Response

from . import tree
from .content import Blob
from .errors import BoxApiError, invalid_parameter
from .http import Ctx, check_id, if_match, json_body, json_response, parse_json_object, ref_id
from .model import Item, User
from .names import check_name
from .reserve import reserve
from .routing import Route
from .state import State
from .views import file_full, item_mini


def admit(state: State, user: User, parent: Item, name: str, size: int,
          replacing: Item | None = None) -> None:
    """Raise the Box error an upload of `size` bytes named `name` into `parent` would get."""
    check_name(name)
    tree.require_write(state, user, parent, tree.UPLOAD_ROLES)
    found = tree.conflict(state, parent, name, replacing.id if replacing else "")
    if found is not None:
        raise BoxApiError("item_name_in_use", context_info={"conflicts": item_mini(found)})
    owner = state.users[parent.owner_id]
    if size > owner.max_upload_size:
        raise BoxApiError("file_size_limit_exceeded")
    grows_by = size - (replacing.size if replacing else 0)
    if owner.space_used + grows_by > owner.space_amount:
        raise BoxApiError("storage_limit_exceeded")


def create_file(state: State, parent: Item, name: str, size: int, sha1: str,
                content: Blob | None) -> Item:
    """Store a new file and charge its size to the folder owner's space. Caller holds lock."""
    now = state.clock.now()
    item = tree.add_item(state, Item(state.next_id(), "file", name, parent.id, parent.owner_id,
                                     now, now, size=size, sha1=sha1, content=content,
                                     version_id=state.next_id(), page_count=1 + size // 4096))
    state.users[parent.owner_id].space_used += size
    return item


def _multipart(ctx: Ctx) -> tuple[dict[str, Any], tuple[int, str, Blob | None]]:
    """The attributes and the streamed file of a multipart upload, or Box's refusal."""
    request, cfg = ctx.request, ctx.state.config
    if request.content_length is None:
        raise BoxApiError("length_required")
    if request.content_length > cfg.max_direct_upload_bytes:
        raise BoxApiError("request_entity_too_large", "Use a chunked upload session for "
                          "files this large")
    if request.mimetype != "multipart/form-data":
        raise BoxApiError("unsupported_media_type", "Uploads must be multipart/form-data")
    request.max_content_length = cfg.max_direct_upload_bytes
    raw = request.form.get("attributes", "")
    if not raw.strip():
        raise invalid_parameter("attributes", "...", "'attributes' must be JSON")
    attributes = parse_json_object(raw, "attributes")
    upload = next(iter(request.files.values()), None)
    if not isinstance(attributes, dict) or upload is None:
        raise BoxApiError("bad_request", "A multipart upload needs 'attributes' and a file")
    return attributes, ctx.state.content.from_stream(upload.stream)


def _check_digest(ctx: Ctx, sha1: str) -> None:
    claimed = ctx.request.headers.get("Content-MD5")
    if claimed is not None and claimed.strip().lower() != sha1:
        raise BoxApiError("bad_digest")


def upload(ctx: Ctx) -> Response:
    """POST {upload}/files/content: a new file in one request."""
    attributes, (size, sha1, content) = _multipart(ctx)
    _check_digest(ctx, sha1)
    name = check_name(attributes.get("name"))
    parent_id = ref_id(attributes, "parent")
    state = ctx.state
    with state.lock:
        parent = tree.find(state, parent_id, ctx.user, "folder")
        admit(state, ctx.user, parent, name, size)
    with reserve(state, parent.id, name), state.lock:
        admit(state, ctx.user, parent, name, size)
        item = create_file(state, parent, name, size, sha1, content)
        return json_response({"total_count": 1, "entries": [file_full(state, item)]}, 201)


def upload_version(ctx: Ctx, file_id: str) -> Response:
    """POST {upload}/files/{id}/content: new bytes for an existing file."""
    check_id(file_id, "file_id")
    attributes, (size, sha1, content) = _multipart(ctx)
    _check_digest(ctx, sha1)
    state = ctx.state
    with state.lock:
        item = tree.find(state, file_id, ctx.user, "file")
        if_match(ctx, item.etag)
        tree.require_write(state, ctx.user, item)
        name = str(attributes.get("name", item.name))
        parent = state.items[item.parent_id or ""]
        admit(state, ctx.user, parent, name, size, replacing=item)
        state.users[parent.owner_id].space_used += size - item.size
        item.name, item.size, item.sha1, item.content = name, size, sha1, content
        item.version_id = state.next_id()
        item.touch(state.clock.now())
        return json_response({"total_count": 1, "entries": [file_full(state, item)]})


def preflight(ctx: Ctx) -> Response:
    """OPTIONS /files/content {name, size, parent: {id}}: would this upload be accepted?"""
    doc = json_body(ctx.request)
    size = doc.get("size", 0)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise invalid_parameter("size", size)
    parent_id = ref_id(doc, "parent")
    state = ctx.state
    with state.lock:
        parent = tree.find(state, parent_id, ctx.user, "folder")
        admit(state, ctx.user, parent, check_name(doc.get("name")), size)
    token = secrets.token_urlsafe(24)
    return json_response({"upload_url": f"{ctx.url_root}/api/2.0/files/content"
                          f"?upload_session_id={token}", "upload_token": token})


ROUTES = [
    Route("POST", "/files/content", upload, scope="write", upload=True),
    Route("OPTIONS", "/files/content", preflight, scope="write"),
    Route("POST", "/files/{file_id}/content", upload_version, scope="write", upload=True),
]
