"""An in-process client for the fake (werkzeug's test Client plus a bearer token).

Unit tests drive the app through this without sockets; helpers create the folders and files a
trigger needs in one line each.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from werkzeug.test import Client, TestResponse

from .app import FakeBoxApp
from .state import State


class ApiClient:
    """Calls the fake in-process as the main user (or with any token)."""

    def __init__(self, state: State | None = None) -> None:
        self.state = state or State.create()
        self.app = FakeBoxApp(self.state)
        self.client = Client(self.app)
        self.token = self.state.tokens.issue_access(self.state.main_user.id)

    def call(self, method: str, path: str, *, token: str | None = None,
             headers: dict[str, str] | None = None, **kwargs: Any) -> TestResponse:
        """One request; `path` starts with "/2.0", "/api/2.0" or "/oauth2"."""
        merged = {"Authorization": f"Bearer {token or self.token}", **(headers or {})}
        return self.client.open(path, method=method, headers=merged, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("DELETE", path, **kwargs)

    def folder(self, name: str, parent: str = "0", **kwargs: Any) -> str:
        """Create a folder; its id."""
        response = self.post("/2.0/folders", json={"name": name, "parent": {"id": parent}},
                             **kwargs)
        assert response.status_code == 201, response.get_data(as_text=True)
        return str(response.json["id"])  # type: ignore[index]

    def upload(self, name: str, data: bytes = b"hello", parent: str = "0",
               **kwargs: Any) -> TestResponse:
        """A direct multipart upload (attributes first, then the file)."""
        attributes = json.dumps({"name": name, "parent": {"id": parent}})
        return self.post("/api/2.0/files/content", data={
            "attributes": attributes, "file": (_Bytes(data), name)}, **kwargs)

    def file(self, name: str, data: bytes = b"hello", parent: str = "0") -> str:
        """Upload a file; its id."""
        response = self.upload(name, data, parent)
        assert response.status_code == 201, response.get_data(as_text=True)
        return str(response.json["entries"][0]["id"])  # type: ignore[index]


def sha1_hex(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()  # noqa: S324 - Box's digest is SHA-1


class _Bytes:
    """A file-like body for werkzeug's multipart encoder."""

    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + size
        chunk, self._pos = self._data[self._pos:end], min(end, len(self._data))
        return chunk
