"""Fidelity to Box on the wire (issue 10): downloads via a 302 to a download host, single
ranges, large files spooled to disk, keep-alive connections, Box's reason phrases and one
spelling of retry-after."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import socket
from pathlib import Path

import pytest
import requests

from selftest import fakebox
from selftest.fakebox.client import ApiClient
from selftest.fakebox.state import Config, State


@pytest.fixture
def api() -> ApiClient:
    return ApiClient(State.create(config=Config(keep_content_bytes=64)))


def test_download_is_a_302_to_the_download_host(api: ApiClient) -> None:
    """GET /files/{id}/content answers 302 with a Location; that URL serves the bytes."""
    file_id = api.file("a.txt", b"payload")
    response = api.get(f"/2.0/files/{file_id}/content")
    assert response.status_code == 302 and response.data == b""
    location = response.headers["Location"]
    assert "/d/1/" in location and location.endswith("/download")
    fetched = api.client.get(location)  # no bearer token: the URL is the authorization
    assert fetched.status_code == 200 and fetched.data == b"payload"
    assert fetched.headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(("header", "status", "body", "content_range"), [
    ("bytes=100-199", 206, bytes(range(100, 200)), "bytes 100-199/256"),
    ("bytes=250-", 206, bytes(range(250, 256)), "bytes 250-255/256"),
    ("bytes=-6", 206, bytes(range(250, 256)), "bytes 250-255/256"),
    ("bytes=200-999", 206, bytes(range(200, 256)), "bytes 200-255/256"),
    ("bytes=256-300", 416, b"", "bytes */256"),
    ("bytes=0-1,5-6", 200, bytes(range(256)), None),
    ("pages=1", 200, bytes(range(256)), None),
])
def test_ranges(api: ApiClient, header: str, status: int, body: bytes,
                content_range: str | None) -> None:
    """One range is a 206 with Content-Range; past the end 416; several or odd ones: all."""
    file_id = api.file("r.bin", bytes(range(256)))  # above keep_content_bytes: spooled
    response = api.get(f"/2.0/files/{file_id}/content", headers={"Range": header},
                       follow_redirects=True)
    assert response.status_code == status and response.data == body
    assert response.headers.get("Content-Range") == content_range


def test_expired_or_unknown_download_url_is_404(api: ApiClient) -> None:
    """A download URL lives 15 fake minutes; an unknown one is 404 not_found."""
    file_id = api.file("a.txt", b"x")
    location = api.get(f"/2.0/files/{file_id}/content").headers["Location"]
    api.state.clock.advance(16 * 60)
    assert api.client.get(location).status_code == 404
    assert api.client.get("/d/1/nope/download").status_code == 404


def test_purged_file_frees_its_spool_bytes(api: ApiClient) -> None:
    """A spooled file's bytes leave the disk when the file is deleted for good."""
    file_id = api.file("big.bin", b"q" * 1000)
    blob = api.state.items[file_id].content
    assert blob is not None and blob.path is not None
    path = blob.path
    del blob
    assert api.delete(f"/2.0/files/{file_id}").status_code == 204
    assert api.delete(f"/2.0/files/{file_id}/trash").status_code == 204
    assert not path.exists() and api.state.content.used_bytes == 0


def test_spool_cap_answers_like_a_full_account(api: ApiClient) -> None:
    """An upload that would pass spool_max_bytes gets 403 storage_limit_exceeded."""
    api.state.config.spool_max_bytes = 500
    response = api.upload("big.bin", b"q" * 1000)
    assert response.status_code == 403 and response.json["code"] == "storage_limit_exceeded"
    assert api.state.content.used_bytes == 0


def test_spool_directory_is_removed_on_stop() -> None:
    """The spool directory of a served fake is private (0700) and gone after stop."""
    with fakebox.running(keep_content_bytes=10) as box, requests.Session() as http:
        up = http.post(box.upload_url + "/2.0/files/content",
                       headers={"Authorization": f"Bearer {box.token}"},
                       files={"attributes": (None, '{"name": "b.bin", "parent": {"id": "0"}}'),
                              "file": ("b.bin", b"z" * 5000)}, timeout=10)
        assert up.status_code == 201
        directory = box.state.content.directory
        assert directory is not None and directory.is_dir()
        assert (directory.stat().st_mode & 0o777) == 0o700
        got = http.get(f"{box.url}/2.0/files/{up.json()['entries'][0]['id']}/content",
                       headers={"Authorization": f"Bearer {box.token}"}, timeout=10)
        assert got.status_code == 200 and got.content == b"z" * 5000
        assert got.url.startswith(box.download_url)
    assert not Path(directory).exists()


def test_large_round_trip_over_http_compares_sha1() -> None:
    """A 3 MB file uploaded in a chunked session and downloaded back has the same SHA-1."""
    data = os.urandom(3 * 1024 * 1024)
    with fakebox.running(part_size=1024 * 1024, min_session_file_size=1) as box, \
            requests.Session() as http:
        auth = {"Authorization": f"Bearer {box.token}"}
        session = http.post(box.upload_url + "/2.0/files/upload_sessions", headers=auth,
                            json={"folder_id": "0", "file_size": len(data),
                                  "file_name": "backup.wpress"}, timeout=10).json()
        parts = []
        for lo in reversed(range(0, len(data), session["part_size"])):
            chunk = data[lo:lo + session["part_size"]]
            digest = base64.b64encode(hashlib.sha1(chunk).digest()).decode()  # noqa: S324
            put = http.put(session["session_endpoints"]["upload_part"], data=chunk,
                           headers={**auth, "Digest": f"sha={digest}", "Content-Range":
                                    f"bytes {lo}-{lo + len(chunk) - 1}/{len(data)}"},
                           timeout=10)
            assert put.status_code == 200, put.text
            parts.append(put.json()["part"])
        whole = base64.b64encode(hashlib.sha1(data).digest()).decode()  # noqa: S324
        done = http.post(session["session_endpoints"]["commit"], json={"parts": parts},
                         headers={**auth, "Digest": f"sha={whole}"}, timeout=30)
        assert done.status_code == 201, done.text
        file_id = done.json()["entries"][0]["id"]
        back = http.get(f"{box.url}/2.0/files/{file_id}/content", headers=auth, timeout=30)
        assert hashlib.sha1(back.content).hexdigest() == hashlib.sha1(data).hexdigest()  # noqa: S324
        assert box.state.errors == []


def _raw_exchange(port: int, requests_text: list[bytes]) -> bytes:
    """Send each request on ONE socket after the previous answer is complete; all answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        received = b""
        for text in requests_text:
            start = len(received)
            sock.sendall(text)
            while b"\r\n\r\n" not in received[start:]:
                chunk = sock.recv(65536)
                assert chunk, "the server closed the connection"
                received += chunk
            head, _, rest = received[start:].partition(b"\r\n\r\n")
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0]) \
                if b"Content-Length: " in head else 0
            while len(rest) < length:
                chunk = sock.recv(65536)
                received += chunk
                rest += chunk
        return received


def test_keep_alive_serves_several_requests_on_one_connection() -> None:
    """Three requests (one with an unread body) on one socket get three answers; no close."""
    with fakebox.running(token="tok") as box:
        port = int(box.url.rsplit(":", 1)[1])
        me = b"GET /2.0/users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok\r\n\r\n"
        body = b'{"name": 5}'
        bad = (b"POST /2.0/nowhere HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok\r\n"
               b"Content-Type: application/json\r\nContent-Length: " +
               str(len(body)).encode() + b"\r\n\r\n" + body)
        received = _raw_exchange(port, [me, bad, me])
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", received)
    assert statuses == [b"200", b"404", b"200"]
    assert b"Connection: close" not in received
    assert b"HTTP/1.1 404 Not Found\r\n" in received  # Box's phrase, not werkzeug's NOT FOUND


def test_connection_close_is_honoured() -> None:
    """A client that sends Connection: close gets it back and the socket closes."""
    with fakebox.running(token="tok") as box:
        port = int(box.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /2.0/users/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                         b"Authorization: Bearer tok\r\n\r\n")
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close" in received


def test_retry_after_is_lower_case_everywhere() -> None:
    """429, 202 (commit processing) and injected 503s all spell retry-after in lower case."""
    api = ApiClient(State.create(config=Config(requests_per_window=2)))
    api.state.inject(503, "unavailable", retry_after_s=7)
    injected = api.get("/2.0/users/me")
    api.get("/2.0/users/me")
    limited = api.get("/2.0/users/me")
    for response in (injected, limited):
        names = [name for name, _ in response.headers.items()]
        assert "retry-after" in names and "Retry-After" not in names


def test_jwt_config_is_console_shaped(tmp_path: Path) -> None:
    """The app config holds an encrypted PKCS#8 key and its passphrase, as the console's does."""
    from selftest.boxauth import load_private_key
    from selftest.checks.probes.boxconfig import load_box_config
    from selftest.fakebox import create_jwt_app

    app = create_jwt_app(State.create())
    config = app.config()
    auth = config["boxAppSettings"]["appAuth"]
    assert set(config) == {"boxAppSettings", "enterpriseID"}
    assert set(config["boxAppSettings"]) == {"clientID", "clientSecret", "appAuth"}
    assert auth["privateKey"].startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert len(auth["passphrase"]) >= 16
    with pytest.raises(ValueError, match=r"encrypted|password"):
        load_private_key(auth["privateKey"], None)
    assert load_private_key(auth["privateKey"], auth["passphrase"]).key_size == 2048
    path = tmp_path / "config.json"
    path.write_text(__import__("json").dumps(config), encoding="utf-8")
    assert load_box_config(str(path)).client_id == app.client_id
