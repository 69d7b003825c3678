"""What the fake answered, handed to `on_response` hooks (the OpenAPI contract test uses one).

A hook is any callable taking a `RecordedResponse`; it is given to `FakeBoxApp(...,
on_response=hook)` or `running(on_response=hook)` for one fake, or registered for every fake
of the process with `observe(hook)` (a context manager: tests/conftest.py records a whole
pytest session this way, then the contract test validates what it saw). Nothing is recorded
and nothing parsed when no hook is registered. Bodies larger than `MAX_BODY_BYTES`, and
streamed ones (downloads), are left out.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class RecordedResponse:
    """One response: the route path as in Box's spec (None when no route matched)."""

    method: str
    path: str | None
    status: int
    content_type: str
    body: Any
    empty: bool

    @classmethod
    def of(cls, method: str, path: str | None, status: int, content_type: str, body: bytes
           ) -> RecordedResponse:
        doc: Any = None
        if content_type.startswith("application/json") and len(body) <= MAX_BODY_BYTES:
            try:
                doc = json.loads(body)
            except ValueError:
                doc = {"_unparsable": body[:200].decode("latin-1")}
        return cls(method.lower(), path, status, content_type, doc, not body)


ResponseHook = Callable[[RecordedResponse], None]
_hooks: list[ResponseHook] = []
_lock = threading.Lock()


@contextmanager
def observe(hook: ResponseHook) -> Iterator[None]:
    """Call `hook` for every response of every fake in this process while the block runs."""
    with _lock:
        _hooks.append(hook)
    try:
        yield
    finally:
        with _lock:
            _hooks.remove(hook)


def process_hooks() -> list[ResponseHook]:
    """The hooks registered with `observe`, now."""
    with _lock:
        return list(_hooks)
