"""Thumbnails and paged representations: the preview error codes.

- requested_preview_unavailable (400): a thumbnail in a format other than png/jpg, or larger
  than Box renders (320 px).
- preview_cannot_be_generated (404): a file type Box cannot preview — such as the plugin's own
  `.wpress` archives.
- requested_page_out_of_range (400): a page of a paged representation beyond the item's pages.
  Box serves those from its representation URLs
  (`/internal_files/{id}/versions/{vid}/representations/{rep}/content/{page}.png`); the fake
  serves the same path on its own host.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from . import tree
from .errors import BoxApiError
from .http import RETRY_AFTER, Ctx, check_id, empty, is_small_number
from .model import Item
from .routing import Route

THUMBNAIL_FORMATS = frozenset({"png", "jpg"})
MAX_THUMBNAIL_PX = 320
IMAGE_TYPES = frozenset({"png", "jpg", "jpeg", "gif", "bmp", "tiff"})
DOCUMENT_TYPES = frozenset({"pdf", "txt", "doc", "docx", "md", "csv", "html", "json", "xml"})
#: The smallest valid PNG (1x1), so a 200 carries a real image.
PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f9d0000000049454e44ae426082")


def _extension(item: Item) -> str:
    return item.name.rpartition(".")[2].lower() if "." in item.name else ""


def _previewable(item: Item) -> None:
    if _extension(item) not in IMAGE_TYPES | DOCUMENT_TYPES:
        raise BoxApiError("preview_cannot_be_generated")


def _size_ok(ctx: Ctx) -> bool:
    for name in ("min_height", "min_width", "max_height", "max_width"):
        raw = ctx.request.args.get(name, "0")
        if not is_small_number(raw) or (name.startswith("min") and int(raw) > MAX_THUMBNAIL_PX):
            return False
    return True


def thumbnail(ctx: Ctx, file_id: str, extension: str) -> Response:
    """GET /files/{id}/thumbnail.{png|jpg}: 200 for images, 202 while a document renders."""
    check_id(file_id, "file_id")
    with ctx.state.lock:
        item = tree.find(ctx.state, file_id, ctx.user, "file")
    if extension not in THUMBNAIL_FORMATS or not _size_ok(ctx):
        raise BoxApiError("requested_preview_unavailable")
    _previewable(item)
    if _extension(item) in IMAGE_TYPES:
        return Response(PIXEL_PNG, content_type=f"image/{extension}")
    return empty(202, {RETRY_AFTER: "1",
                       "Location": f"{ctx.url_root}/2.0/files/{file_id}/thumbnail.png"})


def representation_page(ctx: Ctx, file_id: str, version_id: str, representation: str,
                        page: str) -> Response:
    """GET .../representations/{rep}/content/{page}.png: one page of a paged preview."""
    check_id(file_id, "file_id")
    with ctx.state.lock:
        item = tree.find(ctx.state, file_id, ctx.user, "file")
    _previewable(item)
    number = page.removesuffix(".png")
    if not is_small_number(number):
        raise BoxApiError("bad_request", "The page must be a number")
    if not 1 <= int(number) <= item.page_count:
        raise BoxApiError("requested_page_out_of_range", context_info={
            "page": int(number), "page_count": item.page_count})
    return Response(PIXEL_PNG, content_type="image/png")


ROUTES = [
    Route("GET", "/files/{file_id}/thumbnail.{extension}", thumbnail),
    Route("GET", "/internal_files/{file_id}/versions/{version_id}/representations/"
          "{representation}/content/{page}", representation_page),
]
