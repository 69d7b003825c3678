"""What the two SDK test files share: a served fake, a record of its answers, a big backup.

Box's official SDKs (`boxsdk` 3.x and `box-sdk-gen`, pinned in the test extra) are pointed at
`selftest.fakebox.running()` over loopback HTTP. The fake hands every answer to an on_response
hook, so a test can say what the SDK was told (a refused JWT, a 429) and not only what the SDK
made of it; the session-wide hook (tests/conftest.py) carries the same answers to the OpenAPI
contract test.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selftest import fakebox
from selftest.fakebox.record import RecordedResponse

#: The chunked-upload workflow's file: above Box's 20 MB session minimum, 6 parts of 8 MiB.
BIG_BYTES = 40 * 1024 * 1024 + 123_457


@dataclass
class Served:
    """A running fake plus what it answered (newest last)."""

    box: Any
    answers: list[RecordedResponse] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seen(self, method: str, path: str, status: int) -> list[RecordedResponse]:
        with self.lock:
            return [a for a in self.answers
                    if (a.method, a.path, a.status) == (method.lower(), path, status)]


@contextmanager
def served(**options: Any) -> Iterator[Served]:
    """A fake Box for one SDK's workflow, recording its answers."""
    holder: list[Served] = []

    def keep(answer: RecordedResponse) -> None:
        if holder:
            with holder[0].lock:
                holder[0].answers.append(answer)

    with fakebox.running(on_response=keep, **options) as box:
        holder.append(Served(box))
        yield holder[0]
        assert box.state.errors == [], box.state.errors


def big_backup(directory: Path) -> tuple[Path, str]:
    """A BIG_BYTES file of random bytes and its SHA-1."""
    path = directory / "backup-big.wpress"
    digest = hashlib.sha1()  # noqa: S324 - Box's digest is SHA-1
    with open(path, "wb") as out:
        left = BIG_BYTES
        while left:
            chunk = os.urandom(min(left, 4 * 1024 * 1024))
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
    return path, digest.hexdigest()


def sha1_of(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()  # noqa: S324 - Box's digest is SHA-1
