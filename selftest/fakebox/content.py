"""File bytes: small ones in memory, large ones spooled to disk, under a total-size cap.

A backup round trip (upload, download, compare SHA-1) has to work at multi-GB sizes with
bounded memory, so:

    size <= config.keep_content_bytes       the bytes stay in memory (a `Blob` with `data`)
    larger, config.retain_content           a file in the spool directory (a `Blob` with `path`)
    larger, retain_content False            nothing: only size and SHA-1 (download: 404)

The spool directory (mode 0700) is made on first use and removed by `close()` — `running()`
calls it on stop — or when the store is garbage-collected. A blob's file is deleted as soon as
no item refers to it any more (a purge, a new version): `weakref.finalize` frees its bytes from
the cap at that moment. Writing past `config.spool_max_bytes` raises `SpoolFull`, which the
handlers answer as Box answers a full account: 403 storage_limit_exceeded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import BoxApiError

CHUNK = 1024 * 1024


class SpoolFull(BoxApiError):
    """Raised when the spool would pass its cap: Box's full-account answer."""

    def __init__(self) -> None:
        super().__init__("storage_limit_exceeded", "Account storage limit reached (the fake "
                         "Box's spool for file contents is full)")


class Blob:
    """The bytes of one file version; immutable once made."""

    def __init__(self, size: int, *, data: bytes | None = None, path: Path | None = None
                 ) -> None:
        self.size = size
        self.data = data
        self.path = path

    def chunks(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes from `start` up to `end` (exclusive; default: the end), in chunks."""
        stop = self.size if end is None else min(end, self.size)
        if self.data is not None:
            for pos in range(start, stop, CHUNK):
                yield self.data[pos:min(pos + CHUNK, stop)]
            return
        assert self.path is not None
        with open(self.path, "rb") as stream:
            stream.seek(start)
            left = stop - start
            while left > 0 and (chunk := stream.read(min(CHUNK, left))):
                left -= len(chunk)
                yield chunk

    def read(self) -> bytes:
        """All the bytes (tests only: large blobs are meant to be streamed)."""
        return b"".join(self.chunks())


class ContentStore:
    """Makes blobs; owns the spool directory and its byte count."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._used = 0
        self._directory: Path | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    @property
    def used_bytes(self) -> int:
        """Bytes on disk now (blobs and upload sessions)."""
        with self._lock:
            return self._used

    @property
    def directory(self) -> Path | None:
        return self._directory

    def claim(self, nbytes: int) -> None:
        """Count `nbytes` against the cap, or raise SpoolFull."""
        with self._lock:
            if self._used + nbytes > self.config.spool_max_bytes:
                raise SpoolFull()
            self._used += nbytes

    def release(self, nbytes: int) -> None:
        with self._lock:
            self._used = max(0, self._used - nbytes)

    def new_path(self, prefix: str) -> Path:
        """A fresh file name in the spool directory (made, 0700, on first use)."""
        with self._lock:
            if self._directory is None:
                self._directory = Path(tempfile.mkdtemp(prefix="fakebox-spool-"))
                self._finalizer = weakref.finalize(self, shutil.rmtree, str(self._directory),
                                                   True)
            handle, name = tempfile.mkstemp(prefix=prefix, dir=self._directory)
        os.close(handle)
        return Path(name)

    def adopt(self, path: Path, size: int) -> Blob:
        """A blob over a spooled file already counted by `claim`; freed when unreferenced."""
        blob = Blob(size, path=path)
        weakref.finalize(blob, self.forget, str(path), size)
        return blob

    def forget(self, path: str, size: int) -> None:
        with contextlib.suppress(OSError):
            os.unlink(path)
        self.release(size)

    def from_stream(self, stream: IO[bytes]) -> tuple[int, str, Blob | None]:
        """(size, sha1 hex, blob or None) of `stream`: memory, spool, or only the digest."""
        digest = hashlib.sha1()  # noqa: S324 - Box's digest is SHA-1
        keep, retain = self.config.keep_content_bytes, self.config.retain_content
        kept: bytearray | None = bytearray()
        size = claimed = 0
        spool: IO[bytes] | None = None
        path: Path | None = None
        try:
            while chunk := stream.read(64 * 1024):
                digest.update(chunk)
                size += len(chunk)
                if spool is None and kept is not None and size > keep:
                    if not retain:
                        kept = None  # beyond memory and no spooling: keep only the digest
                        continue
                    path = self.new_path("file-")
                    spool = open(path, "wb")  # noqa: SIM115 - closed below or in except
                    self.claim(len(kept))
                    claimed += len(kept)
                    spool.write(kept)
                    kept = None
                if spool is not None:
                    self.claim(len(chunk))
                    claimed += len(chunk)
                    spool.write(chunk)
                elif kept is not None:
                    kept.extend(chunk)
        except BaseException:
            if spool is not None:
                spool.close()
            if path is not None:
                self.forget(str(path), claimed)
            raise
        if spool is not None and path is not None:
            spool.close()
            return size, digest.hexdigest(), self.adopt(path, size)
        if kept is not None:
            return size, digest.hexdigest(), Blob(size, data=bytes(kept))
        return size, digest.hexdigest(), None

    def close(self) -> None:
        """Remove the spool directory and everything in it."""
        if self._finalizer is not None:
            self._finalizer()
        with self._lock:
            self._used = 0
