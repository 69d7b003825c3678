"""Downloads as Box does them: a 302 from the API to a download host, which serves the bytes.

    GET {api}/2.0/files/{id}/content      302, Location: {download}/d/1/{ticket}/download
    GET {download}/d/1/{ticket}/download  200 with the bytes, or 206 for one `Range`, or 416

Box answers `GET /files/{id}/content` with 302 and a `Location` on `dl.boxcloud.com`
(https://developer.box.com/reference/get-files-id-content/); both official SDKs read that
header ("get download URL") before fetching. The ticket in the URL is the authorization (no
bearer token is needed there, as on Box's download host), lives `TICKET_TTL_S` fake seconds,
and names one file version. `running()` serves the download host on a port of its own (its URL
is `state.download_base`); in-process, the API's own host stands in for it.

Ranges: a single `bytes=lo-hi`, `bytes=lo-` or `bytes=-n` gives 206 with `Content-Range`; a
range that starts past the end gives 416 with `Content-Range: bytes */size`; several ranges or
a malformed header are ignored (200 with everything), as RFC 9110 §14.2 allows.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from . import tree
from .content import Blob
from .errors import BoxApiError
from .http import Ctx, check_id, empty
from .routing import Route
from .state import State

TICKET_TTL_S = 15 * 60
MAX_TICKETS = 10_000
_RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")


@dataclass(frozen=True)
class Ticket:
    """What one download URL serves, until when."""

    file_id: str
    name: str
    sha1: str
    blob: Blob
    expires_at: float


def redirect(ctx: Ctx, file_id: str) -> Response:
    """GET /files/{id}/content: 302 to the download host (404 when the bytes were not kept)."""
    check_id(file_id, "file_id")
    state = ctx.state
    with state.lock:
        item = tree.find(state, file_id, ctx.user, "file")
        if item.content is None:
            # retain_content is off and the file was larger than the memory limit.
            raise BoxApiError("not_found", "The fake Box did not keep this file's bytes "
                              "(retain_content is off)")
        ticket = "1!" + secrets.token_urlsafe(32)
        state.downloads[ticket] = Ticket(item.id, item.name, item.sha1, item.content,
                                         state.clock.now() + TICKET_TTL_S)
        if len(state.downloads) > MAX_TICKETS:
            del state.downloads[next(iter(state.downloads))]
    base = state.download_base or ctx.url_root
    return empty(302, {"Location": f"{base}/d/1/{quote(ticket, safe='')}/download"})


def serve(state: State, request: Request, ticket: str) -> Response:
    """GET /d/1/{ticket}/download on the download host: the bytes, whole or one range."""
    with state.lock:
        found = state.downloads.get(ticket)
    if found is None or found.expires_at <= state.clock.now():
        raise BoxApiError("not_found", "The download URL is unknown or has expired")
    size = found.blob.size
    headers = {"Accept-Ranges": "bytes", "ETag": f'"{found.sha1}"',
               "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.name)}"}
    wanted = _single_range(request.headers.get("Range"), size)
    if wanted == "unsatisfiable":
        return Response(b"", status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    start, end, status = (0, size, 200) if wanted is None else (*wanted, 206)
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    body: Iterator[bytes] = found.blob.chunks(start, end)
    return Response(body, status=status, headers=headers,
                    content_type="application/octet-stream", direct_passthrough=True)


def _single_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """(start, end exclusive) of one satisfiable range; "unsatisfiable"; None: serve it all."""
    match = _RANGE.match((header or "").strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last n bytes
        suffix = int(last)
        return (max(0, size - suffix), size) if suffix > 0 and size > 0 else "unsatisfiable"
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if start >= size:
        return "unsatisfiable"
    if last and int(last) < start:
        return None  # invalid: ignored, as RFC 9110 says
    return start, end


ROUTES = [
    Route("GET", "/files/{file_id}/content", redirect),
    Route("GET", "/d/1/{ticket}/download", serve, scope="none", bearer=False, prefixed=False),
]
