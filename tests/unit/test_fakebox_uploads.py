"""Uploads against the fake: direct uploads, the preflight, and chunked upload sessions."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

import pytest

from selftest.fakebox.client import ApiClient, sha1_hex
from selftest.fakebox.state import Config, State

PART = 4


@pytest.fixture
def api() -> ApiClient:
    return ApiClient(State.create(config=Config(part_size=PART, min_session_file_size=1,
                                                keep_content_bytes=64)))


def _code(response: object) -> str:
    return response.json["code"]  # type: ignore[attr-defined,no-any-return]


def _digest(data: bytes) -> str:
    return "sha=" + base64.b64encode(hashlib.sha1(data).digest()).decode()  # noqa: S324


def test_direct_upload_creates_file_with_sha1(api: ApiClient) -> None:
    """A multipart upload returns 201 with the file's SHA-1 and charges the owner's space."""
    response = api.upload("backup.wpress", b"data")
    entry = response.json["entries"][0]
    assert response.status_code == 201 and entry["sha1"] == sha1_hex(b"data")
    assert api.state.main_user.space_used == 4


def test_content_md5_mismatch_is_bad_digest(api: ApiClient) -> None:
    """A Content-MD5 header whose SHA-1 does not match the bytes gets 400 bad_digest."""
    bad = api.upload("a.txt", b"data", headers={"Content-MD5": sha1_hex(b"other")})
    assert bad.status_code == 400 and _code(bad) == "bad_digest"
    good = api.upload("a.txt", b"data", headers={"Content-MD5": sha1_hex(b"data")})
    assert good.status_code == 201


def test_upload_conflict_is_one_object(api: ApiClient) -> None:
    """A same-name upload gets 409 item_name_in_use with conflicts as ONE object."""
    api.file("same.txt")
    response = api.upload("SAME.txt")
    assert response.status_code == 409 and _code(response) == "item_name_in_use"
    assert response.json["context_info"]["conflicts"]["type"] == "file"


def test_upload_beyond_space_is_storage_limit(api: ApiClient) -> None:
    """An upload beyond the owner's free space gets 403 storage_limit_exceeded."""
    user = api.state.main_user
    user.space_amount, user.space_used = 100, 98
    response = api.upload("big.bin", b"abc")
    assert response.status_code == 403 and _code(response) == "storage_limit_exceeded"


def test_upload_beyond_max_size_is_file_size_limit(api: ApiClient) -> None:
    """A file larger than max_upload_size gets 403 file_size_limit_exceeded."""
    api.state.main_user.max_upload_size = 3
    response = api.upload("big.bin", b"abcd")
    assert response.status_code == 403 and _code(response) == "file_size_limit_exceeded"


def test_quota_of_the_folder_owner_counts(api: ApiClient) -> None:
    """Uploading into another user's folder checks that owner's quota, not the uploader's."""
    owner = api.state.add_user("owner@example.com", space_amount=10, space_used=10)
    token = api.state.tokens.issue_access(owner.id)
    folder = api.folder("theirs", token=token)
    api.post("/2.0/collaborations", token=token, json={
        "item": {"type": "folder", "id": folder}, "accessible_by": {"id": api.state.main_user.id},
        "role": "editor"})
    response = api.upload("x.bin", b"1", parent=folder)
    assert response.status_code == 403 and _code(response) == "storage_limit_exceeded"


@pytest.mark.parametrize(("name", "code"), [("a/b", "item_name_invalid"),
                                            ("n" * 300, "item_name_too_long")])
def test_upload_name_rules(api: ApiClient, name: str, code: str) -> None:
    """Upload names follow Box's rules (item_name_invalid / item_name_too_long)."""
    response = api.upload(name)
    assert response.status_code == 400 and _code(response) == code


def test_upload_without_multipart_is_415(api: ApiClient) -> None:
    """A raw body to the upload endpoint gets 415 unsupported_media_type."""
    response = api.post("/api/2.0/files/content", data=b"raw",
                        content_type="application/octet-stream")
    assert response.status_code == 415 and _code(response) == "unsupported_media_type"


@pytest.mark.parametrize("form", [{"attributes": "{bad"}, {"attributes": "[]"}, {}])
def test_upload_with_bad_attributes_is_400(api: ApiClient, form: dict[str, str]) -> None:
    """Malformed or missing attributes get 400 bad_request, never a 500."""
    response = api.post("/api/2.0/files/content", data=form,
                        content_type="multipart/form-data")
    assert response.status_code == 400 and _code(response) == "bad_request"
    assert api.state.errors == []


def test_upload_without_length_is_411(api: ApiClient) -> None:
    """A body without Content-Length gets 411 length_required."""
    environ = {"CONTENT_TYPE": "multipart/form-data; boundary=x", "wsgi.input_terminated": True}
    response = api.post("/api/2.0/files/content", environ_overrides=environ)
    assert response.status_code == 411 and _code(response) == "length_required"


def test_oversized_direct_upload_is_413(api: ApiClient) -> None:
    """A body larger than the fake's direct-upload cap gets 413 before it is read."""
    api.state.config.max_direct_upload_bytes = 100
    response = api.upload("big.bin", b"x" * 200)
    assert response.status_code == 413 and _code(response) == "request_entity_too_large"


def test_new_version_replaces_content(api: ApiClient) -> None:
    """POST /files/{id}/content uploads a new version with a new SHA-1."""
    file_id = api.file("v.txt", b"one")
    response = api.post(f"/api/2.0/files/{file_id}/content", data={
        "attributes": "{}", "file": (__import__("io").BytesIO(b"two!"), "v.txt")})
    assert response.status_code == 200
    assert response.json["entries"][0]["sha1"] == sha1_hex(b"two!")
    assert api.state.main_user.space_used == 4


def test_large_files_are_spooled_and_downloadable(api: ApiClient) -> None:
    """Above keep_content_bytes the bytes go to the spool on disk and still download whole."""
    data = bytes(range(256)) * 4
    file_id = api.file("big.bin", data)
    blob = api.state.items[file_id].content
    assert blob is not None and blob.data is None and blob.path is not None
    assert api.state.content.used_bytes == len(data)
    assert api.get(f"/2.0/files/{file_id}/content", follow_redirects=True).data == data


def test_without_retention_large_files_keep_only_sha1(api: ApiClient) -> None:
    """With retain_content off, a large file keeps size and SHA-1; its download is a 404."""
    api.state.config.retain_content = False
    file_id = api.file("big.bin", b"z" * 100)
    assert api.state.items[file_id].content is None
    assert api.state.items[file_id].sha1 == sha1_hex(b"z" * 100)
    assert api.get(f"/2.0/files/{file_id}/content").status_code == 404


def _preflight(api: ApiClient, name: str, size: int, parent: str = "0") -> object:
    return api.call("OPTIONS", "/2.0/files/content",
                    json={"name": name, "size": size, "parent": {"id": parent}})


def test_preflight_accepts_and_gives_upload_url(api: ApiClient) -> None:
    """A preflight that would succeed gets 200 with an upload_url on the fake and a token."""
    response = _preflight(api, "ok.wpress", 10)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.json["upload_url"].startswith("http://localhost/api/2.0/files/content")  # type: ignore[attr-defined]
    assert response.json["upload_token"]  # type: ignore[attr-defined]


def test_preflight_refusals(api: ApiClient) -> None:
    """The preflight answers 409 item_name_in_use and 403 quota errors without uploading."""
    api.file("taken.wpress")
    api.state.main_user.max_upload_size = 1000
    api.state.main_user.space_amount = 2000
    assert _code(_preflight(api, "taken.wpress", 1)) == "item_name_in_use"
    assert _code(_preflight(api, "x.wpress", 1001)) == "file_size_limit_exceeded"
    api.state.main_user.space_amount = 900
    assert _code(_preflight(api, "x.wpress", 899)) == "storage_limit_exceeded"
    assert _code(_preflight(api, "x.wpress", -1)) == "bad_request"
    assert api.state.main_user.space_used == 5


def _session(api: ApiClient, size: int, name: str = "big.wpress") -> dict[str, object]:
    response = api.post("/api/2.0/files/upload_sessions",
                        json={"folder_id": "0", "file_size": size, "file_name": name})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json  # type: ignore[no-any-return]


def _put(api: ApiClient, sid: str, lo: int, data: bytes, total: int, **kwargs: object) -> object:
    headers = {"Digest": _digest(data), "Content-Range": f"bytes {lo}-{lo + len(data) - 1}/{total}"}
    headers.update(kwargs.pop("headers", {}))  # type: ignore[arg-type]
    return api.put(f"/api/2.0/files/upload_sessions/{sid}", data=data, headers=headers,
                   content_type="application/octet-stream", **kwargs)


def _upload_all(api: ApiClient, data: bytes) -> tuple[str, list[dict[str, object]]]:
    session = _session(api, len(data))
    sid = str(session["id"])
    parts = []
    for lo in range(0, len(data), PART):
        response = _put(api, sid, lo, data[lo:lo + PART], len(data))
        assert response.status_code == 200, response.get_data(as_text=True)  # type: ignore[attr-defined]
        parts.append(response.json["part"])  # type: ignore[attr-defined]
    return sid, parts


def test_chunked_upload_round_trip(api: ApiClient) -> None:
    """Create a session, upload every part, commit with the whole Digest: 201 with the file."""
    data = b"0123456789"
    session = _session(api, len(data))
    assert session["total_parts"] == 3 and session["part_size"] == PART
    assert set(session["session_endpoints"]) >= {"upload_part", "commit", "abort"}  # type: ignore[arg-type]
    sid, parts = _upload_all(api, data)
    listed = api.get(f"/api/2.0/files/upload_sessions/{sid}/parts").json
    assert listed["total_count"] == 3
    commit = api.post(f"/api/2.0/files/upload_sessions/{sid}/commit", json={"parts": parts},
                      headers={"Digest": _digest(data)})
    assert commit.status_code == 201
    file_id = commit.json["entries"][0]["id"]
    assert api.get(f"/2.0/files/{file_id}/content", follow_redirects=True).data == data


def test_part_digest_mismatch_is_bad_digest(api: ApiClient) -> None:
    """A part whose Digest does not match its bytes gets 400 bad_digest."""
    sid = str(_session(api, 8)["id"])
    response = _put(api, sid, 0, b"abcd", 8, headers={"Digest": _digest(b"xxxx")})
    assert response.status_code == 400 and _code(response) == "bad_digest"


def test_overlapping_part_then_failed_session(api: ApiClient) -> None:
    """A different part at a filled offset gets 409; repeated conflicts break the session (410)."""
    sid = str(_session(api, 8)["id"])
    assert _put(api, sid, 0, b"abcd", 8).status_code == 200  # type: ignore[attr-defined]
    assert _put(api, sid, 0, b"abcd", 8).status_code == 200  # type: ignore[attr-defined]
    first = _put(api, sid, 0, b"wxyz", 8)
    assert first.status_code == 409 and _code(first) == "range_overlaps_existing_part"  # type: ignore[attr-defined]
    _put(api, sid, 0, b"wxy1", 8)
    broken = _put(api, sid, 0, b"wxy2", 8)
    assert broken.status_code == 410 and _code(broken) == "upload_failed"  # type: ignore[attr-defined]
    assert _code(_put(api, sid, 4, b"efgh", 8)) == "upload_failed"


def test_too_many_part_attempts_break_the_session(api: ApiClient) -> None:
    """Retrying parts far beyond the session's total breaks it: 410 upload_failed."""
    sid = str(_session(api, 4)["id"])
    codes = {_put(api, sid, 0, b"abcd", 4).status_code for _ in range(13)}  # type: ignore[attr-defined]
    assert codes == {200}
    assert _code(_put(api, sid, 0, b"abcd", 4)) == "upload_failed"


@pytest.mark.parametrize("content_range", ["bytes 1-4/8", "bytes 0-3/9", "bytes 0-5/8",
                                           "bytes 0-1/8", "octets 0-3/8"])
def test_ill_fitting_range_is_416(api: ApiClient, content_range: str) -> None:
    """A Content-Range off the session's part grid gets 416."""
    sid = str(_session(api, 8)["id"])
    response = _put(api, sid, 0, b"abcd", 8, headers={"Content-Range": content_range})
    assert response.status_code == 416  # type: ignore[attr-defined]


def test_other_users_session_is_forbidden(api: ApiClient) -> None:
    """Uploading to another user's session gets 403 forbidden."""
    sid = str(_session(api, 8)["id"])
    other = api.state.add_user("other@example.com")
    token = api.state.tokens.issue_access(other.id)
    response = _put(api, sid, 0, b"abcd", 8, token=token)
    assert response.status_code == 403 and _code(response) == "forbidden"  # type: ignore[attr-defined]


@pytest.mark.parametrize("sid", ["not-a-session", "ABC", "G" * 32])
def test_malformed_session_id(api: ApiClient, sid: str) -> None:
    """A session id that is not 32 hex digits gets 400 invalid_upload_session_id."""
    response = _put(api, sid, 0, b"abcd", 8)
    assert response.status_code == 400 and _code(response) == "invalid_upload_session_id"  # type: ignore[attr-defined]


def test_unknown_session_is_not_found(api: ApiClient) -> None:
    """A well-formed id the fake never issued is 404 not_found."""
    assert _code(api.get("/api/2.0/files/upload_sessions/" + "A" * 32)) == "not_found"


def test_session_expires_after_seven_days(api: ApiClient) -> None:
    """Seven days later on the fake clock, the session answers 410 session_expired."""
    sid = str(_session(api, 8)["id"])
    api.state.clock.advance(7 * 86400 + 1)
    api.token = api.state.tokens.issue_access(api.state.main_user.id)
    response = _put(api, sid, 0, b"abcd", 8)
    assert response.status_code == 410 and _code(response) == "session_expired"  # type: ignore[attr-defined]


def test_commit_with_wrong_parts_is_session_conflict(api: ApiClient) -> None:
    """A commit whose parts list differs from the parts received gets 409 session_conflict."""
    data = b"abcdefgh"
    sid, parts = _upload_all(api, data)
    response = api.post(f"/api/2.0/files/upload_sessions/{sid}/commit",
                        json={"parts": parts[:1]}, headers={"Digest": _digest(data)})
    assert response.status_code == 409 and _code(response) == "session_conflict"


def test_commit_with_wrong_digest_is_bad_digest(api: ApiClient) -> None:
    """A commit whose whole-file Digest is wrong gets 400 bad_digest."""
    sid, parts = _upload_all(api, b"abcdefgh")
    response = api.post(f"/api/2.0/files/upload_sessions/{sid}/commit", json={"parts": parts},
                        headers={"Digest": _digest(b"nope")})
    assert response.status_code == 400 and _code(response) == "bad_digest"


def test_commit_while_processing_is_202(api: ApiClient) -> None:
    """With commit processing configured, the commit answers 202 + Retry-After, then 201."""
    api.state.config.commit_processing_s = 5
    data = b"abcdefgh"
    sid, parts = _upload_all(api, data)
    path = f"/api/2.0/files/upload_sessions/{sid}/commit"
    first = api.post(path, json={"parts": parts}, headers={"Digest": _digest(data)})
    assert first.status_code == 202 and first.headers["Retry-After"] == "5"
    api.state.clock.advance(5)
    done = api.post(path, json={"parts": parts}, headers={"Digest": _digest(data)})
    assert done.status_code == 201


def test_session_quota_checks(api: ApiClient) -> None:
    """Creating a session beyond space or max size gets Box's 403 codes."""
    api.state.main_user.space_amount = 100
    api.state.main_user.max_upload_size = 50
    response = api.post("/api/2.0/files/upload_sessions",
                        json={"folder_id": "0", "file_size": 60, "file_name": "x"})
    assert _code(response) == "file_size_limit_exceeded"
    api.state.main_user.max_upload_size = 1000
    response = api.post("/api/2.0/files/upload_sessions",
                        json={"folder_id": "0", "file_size": 101, "file_name": "x"})
    assert _code(response) == "storage_limit_exceeded"


def test_session_cap_is_a_clean_400(api: ApiClient) -> None:
    """Past max_sessions the fake refuses a new session with 400 bad_request."""
    api.state.config.max_sessions = 2
    _session(api, 8, "a")
    _session(api, 8, "b")
    response = api.post("/api/2.0/files/upload_sessions",
                        json={"folder_id": "0", "file_size": 8, "file_name": "c"})
    assert response.status_code == 400 and _code(response) == "bad_request"


def test_big_session_spools_parts_and_checks_digest(api: ApiClient) -> None:
    """Above keep_content_bytes parts go to the spool file and the whole Digest is checked."""
    data = bytes(range(100))
    sid, parts = _upload_all(api, data)
    assert api.state.sessions[sid].path.stat().st_size == len(data)
    path = f"/api/2.0/files/upload_sessions/{sid}/commit"
    bad = api.post(path, json={"parts": parts}, headers={"Digest": _digest(b"x")})
    assert _code(bad) == "bad_digest"
    good = api.post(path, json={"parts": parts}, headers={"Digest": _digest(data)})
    assert good.status_code == 201 and good.json["entries"][0]["sha1"] == sha1_hex(data)
    file_id = good.json["entries"][0]["id"]
    assert api.get(f"/2.0/files/{file_id}/content", follow_redirects=True).data == data


def test_out_of_order_parts_still_check_the_whole_digest(api: ApiClient) -> None:
    """Parts sent last-first: a wrong whole-file Digest is refused, the right one commits."""
    data = bytes(range(48, 48 + 40))
    sid = _session(api, len(data))["id"]
    parts = []
    for lo in reversed(range(0, len(data), PART)):
        response = _put(api, sid, lo, data[lo:lo + PART], len(data))
        assert response.status_code == 200
        parts.append(response.json["part"])  # type: ignore[attr-defined]
    path = f"/api/2.0/files/upload_sessions/{sid}/commit"
    bad = api.post(path, json={"parts": parts}, headers={"Digest": _digest(data[::-1])})
    assert bad.status_code == 400 and _code(bad) == "bad_digest"
    good = api.post(path, json={"parts": parts}, headers={"Digest": _digest(data)})
    assert good.status_code == 201 and good.json["entries"][0]["sha1"] == sha1_hex(data)


def test_idle_sessions_make_room_at_the_cap(api: ApiClient) -> None:
    """At max_sessions, sessions idle for session_idle_evict_s give way to a new one."""
    api.state.config.max_sessions, api.state.config.session_idle_evict_s = 2, 60
    first = _session(api, 8, "a")["id"]
    _session(api, 8, "b")
    api.state.clock.advance(60)
    third = api.post("/api/2.0/files/upload_sessions",
                     json={"folder_id": "0", "file_size": 8, "file_name": "c"})
    assert third.status_code == 201
    assert api.get(f"/api/2.0/files/upload_sessions/{first}").status_code == 404


def test_session_spool_is_counted_and_capped(api: ApiClient) -> None:
    """A session claims its size in the spool; past spool_max_bytes it is a full account."""
    api.state.config.spool_max_bytes = 20
    sid = _session(api, 16, "a")["id"]
    assert api.state.content.used_bytes == 16
    full = api.post("/api/2.0/files/upload_sessions",
                    json={"folder_id": "0", "file_size": 8, "file_name": "b"})
    assert full.status_code == 403 and _code(full) == "storage_limit_exceeded"
    assert api.delete(f"/api/2.0/files/upload_sessions/{sid}").status_code == 204
    assert api.state.content.used_bytes == 0


def test_part_without_length_is_411(api: ApiClient) -> None:
    """A part sent with neither Content-Length nor chunked encoding gets 411 length_required."""
    sid = str(_session(api, 8)["id"])
    response = api.put(f"/api/2.0/files/upload_sessions/{sid}",
                       headers={"Digest": _digest(b"abcd"), "Content-Range": "bytes 0-3/8"},
                       environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 411 and _code(response) == "length_required"


def _chunked_put(api: ApiClient, sid: str, body: bytes, content_range: str,
                 digest_of: bytes) -> Any:
    """A part as box-typescript-sdk-gen sends it: Transfer-Encoding: chunked, no length."""
    return api.put(f"/api/2.0/files/upload_sessions/{sid}", input_stream=io.BytesIO(body),
                   headers={"Digest": _digest(digest_of), "Content-Range": content_range,
                            "Transfer-Encoding": "chunked"},
                   content_type="application/octet-stream",
                   environ_overrides={"wsgi.input_terminated": True})


def test_chunked_part_is_taken(api: ApiClient) -> None:
    """Box takes a part sent chunked (no Content-Length), as the Node SDK sends every part
    (tests/with_servers/test_sdk_node.py); the old fake answered 411 length_required."""
    data = b"abcdefgh"
    sid = str(_session(api, len(data))["id"])
    parts = []
    for lo in range(0, len(data), PART):
        chunk = data[lo:lo + PART]
        response = _chunked_put(api, sid, chunk, f"bytes {lo}-{lo + PART - 1}/8", chunk)
        assert response.status_code == 200, response.get_data(as_text=True)
        parts.append(response.json["part"])
    committed = api.post(f"/api/2.0/files/upload_sessions/{sid}/commit", json={"parts": parts},
                         headers={"Digest": _digest(data)})
    assert committed.status_code == 201 and committed.json["entries"][0]["sha1"] == \
        sha1_hex(data)


def test_chunked_part_longer_or_shorter_than_its_range(api: ApiClient) -> None:
    """A chunked part must still be exactly its Content-Range: longer is 416, shorter 400."""
    sid = str(_session(api, 8)["id"])
    longer = _chunked_put(api, sid, b"abcdX", "bytes 0-3/8", b"abcd")
    assert longer.status_code == 416 and _code(longer) == "range_not_satisfiable"
    shorter = _chunked_put(api, sid, b"abc", "bytes 0-3/8", b"abcd")
    assert shorter.status_code == 400 and _code(shorter) == "bad_request"
    assert api.get(f"/api/2.0/files/upload_sessions/{sid}/parts").json["total_count"] == 0


def test_abort_removes_the_session(api: ApiClient) -> None:
    """DELETE on a session aborts it; it is then not found."""
    sid = str(_session(api, 8)["id"])
    assert api.delete(f"/api/2.0/files/upload_sessions/{sid}").status_code == 204
    assert _code(api.get(f"/api/2.0/files/upload_sessions/{sid}")) == "not_found"


def test_small_file_session_is_refused(api: ApiClient) -> None:
    """A session for a file below the minimum size gets 400 bad_request."""
    api.state.config.min_session_file_size = 20_000_000
    response = api.post("/api/2.0/files/upload_sessions",
                        json={"folder_id": "0", "file_size": 1000, "file_name": "x"})
    assert response.status_code == 400 and _code(response) == "bad_request"
