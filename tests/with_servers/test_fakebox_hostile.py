"""The fake under hostile clients (issue 8): every odd request is a Box-shaped 4xx, never a
500; what a crash leaves behind is bounded; the 1 MB JSON cap also holds for chunked bodies."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from selftest import fakebox
from selftest.fakebox.client import ApiClient
from selftest.fakebox.state import MAX_ERRORS


@pytest.fixture
def api() -> ApiClient:
    return ApiClient()


def _box_400(response: Any) -> None:
    body = response.json
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert body["type"] == "error" and body["status"] == 400 and isinstance(body["code"], str)


def _raw_json(api: ApiClient, method: str, path: str, raw: bytes) -> Any:
    return api.call(method, path, data=raw, content_type="application/json")


def test_json_nested_100k_deep_is_400(api: ApiClient) -> None:
    """A 200 kB body of 100,000 nested arrays is refused as bad JSON, not a RecursionError."""
    deep = b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    _box_400(_raw_json(api, "POST", "/2.0/folders", deep))
    assert api.state.errors == []


@pytest.mark.parametrize("query", ["limit=\u00b2", "offset=\u00b2", "limit=\u0663",
                                   "offset=" + "9" * 5000, "limit=" + "1" * 5000])
def test_odd_numbers_in_the_query_are_400(api: ApiClient, query: str) -> None:
    """Superscript or Arabic-Indic digits and 5,000-digit numbers get invalid_limit/offset."""
    response = api.get(f"/2.0/folders/0/items?{query}")
    _box_400(response)
    assert response.json["code"] in {"invalid_limit", "invalid_offset"}
    assert api.state.errors == []


def test_odd_numbers_in_thumbnail_sizes_are_400(api: ApiClient) -> None:
    """A thumbnail size in superscript digits is an unavailable preview, not a crash."""
    file_id = api.file("a.png")
    response = api.get(f"/2.0/files/{file_id}/thumbnail.png?min_width=\u00b2")
    _box_400(response)
    assert api.state.errors == []


@pytest.mark.parametrize("value", [{}, [], 7, None])
def test_enum_fields_given_objects_are_400(api: ApiClient, value: Any) -> None:
    """action, shared_link.access, sync_state and role given {} / [] / a number are a 400."""
    file_id, folder_id = api.file("t.txt"), api.folder("shared")
    cases = [
        ("POST", "/2.0/tasks", {"item": {"type": "file", "id": file_id}, "action": value}),
        ("PUT", f"/2.0/files/{file_id}", {"shared_link": {"access": value}}),
        ("PUT", f"/2.0/folders/{folder_id}", {"sync_state": value}),
        ("POST", "/2.0/collaborations", {"item": {"type": "folder", "id": folder_id},
                                         "accessible_by": {"login": "x@example.com"},
                                         "role": value}),
    ]
    for method, path, doc in cases:
        if value is None and method == "PUT" and "shared_link" in doc:
            continue  # {"access": null} is Box's "default access", a valid request
        _box_400(api.call(method, path, json=doc))
    assert api.state.errors == []


def test_collaboration_status_and_role_objects_are_400(api: ApiClient) -> None:
    """PUT /collaborations/{id} with status {} or role [] is a 400, not a TypeError."""
    folder_id = api.folder("team")
    created = api.post("/2.0/collaborations", json={
        "item": {"type": "folder", "id": folder_id},
        "accessible_by": {"login": "new@example.com"}, "role": "editor"})
    assert created.status_code == 201
    collab = created.json["id"]
    _box_400(api.put(f"/2.0/collaborations/{collab}", json={"status": {}}))
    _box_400(api.put(f"/2.0/collaborations/{collab}", json={"role": []}))
    assert api.state.errors == []


@pytest.mark.parametrize("raw", [b'{"name": "a\\ud800b", "parent": {"id": "0"}}',
                                 b'{"name": "ok", "parent": {"id": "0"}, "x": "\\udfff"}',
                                 b'{"\\ud800": 1, "name": "k", "parent": {"id": "0"}}'])
def test_lone_surrogates_are_refused(api: ApiClient, raw: bytes) -> None:
    """A JSON body carrying a lone surrogate anywhere is a 400: nothing is stored to echo."""
    _box_400(_raw_json(api, "POST", "/2.0/folders", raw))
    listing = api.get("/2.0/folders/0/items").json
    assert listing["total_count"] == 0


def test_lone_surrogate_in_an_upload_name_is_refused(api: ApiClient) -> None:
    """A multipart upload whose attributes name holds a lone surrogate is refused (400)."""
    response = api.post("/api/2.0/files/content", data={
        "attributes": '{"name": "x\\ud83d.wpress", "parent": {"id": "0"}}',
        "file": (__import__("io").BytesIO(b"data"), "x.wpress")})
    _box_400(response)


def test_surrogate_in_a_name_is_item_name_invalid() -> None:
    """check_name itself refuses a surrogate character (item_name_invalid)."""
    from selftest.fakebox.errors import BoxApiError
    from selftest.fakebox.names import check_name

    with pytest.raises(BoxApiError) as caught:
        check_name("a\ud800")
    assert caught.value.code == "item_name_invalid"


def test_errors_are_bounded_and_keep_no_body(api: ApiClient) -> None:
    """300 crashes keep only the newest MAX_ERRORS short records, none holding the body."""
    api.state.inject(500, "internal_server_error", path_prefix="/2.0/folders", times=300,
                     raise_exception=True)
    body = {"name": "x" * 100_000, "parent": {"id": "0"}}
    for _ in range(300):
        assert api.post("/2.0/folders", json=body).status_code == 500
    assert len(api.state.errors) == MAX_ERRORS
    record = api.state.errors[-1]
    assert record.method == "POST" and record.path == "/2.0/folders"
    assert "injected fault" in record.error and len(record.traceback) <= 4000
    assert "x" * 1000 not in repr(record)


def test_chunked_json_body_obeys_the_1mb_cap() -> None:
    """A JSON body sent with Transfer-Encoding: chunked and no length stops at 1 MB: 413."""
    def chunks() -> Any:
        yield b'{"name": "'
        for _ in range(300):  # 300 x 16 kB = 4.8 MB, far past the cap
            yield b"a" * 16384
        yield b'", "parent": {"id": "0"}}'

    with fakebox.running() as box, requests.Session() as http:
        response = http.post(box.url + "/2.0/folders", data=chunks(), timeout=30,
                             headers={"Authorization": f"Bearer {box.token}",
                                      "Content-Type": "application/json"})
        assert response.status_code == 413
        assert response.json()["code"] == "request_entity_too_large"
        small = http.post(box.url + "/2.0/folders", data=iter([b'{"name": "c", ',
                                                                b'"parent": {"id": "0"}}']),
                          headers={"Authorization": f"Bearer {box.token}",
                                   "Content-Type": "application/json"}, timeout=10)
        assert small.status_code == 201
        assert box.state.errors == []


def test_collaboration_of_a_purged_folder_is_404(api: ApiClient) -> None:
    """Found by the fuzzer: a collaboration whose folder was deleted for good is 404, not 500."""
    folder_id = api.folder("gone")
    collab = api.post("/2.0/collaborations", json={
        "item": {"type": "folder", "id": folder_id},
        "accessible_by": {"login": "z@example.com"}, "role": "editor"}).json["id"]
    assert api.delete(f"/2.0/folders/{folder_id}").status_code == 204
    assert api.delete(f"/2.0/folders/{folder_id}/trash").status_code == 204
    assert api.get(f"/2.0/collaborations/{collab}").status_code == 404
    assert api.state.errors == []


def test_renaming_the_root_folder_is_400(api: ApiClient) -> None:
    """Found by the fuzzer: PUT /folders/0 with a name is a 400, not a KeyError."""
    response = api.put("/2.0/folders/0", json={"name": "Everything"})
    _box_400(response)
    assert api.state.errors == []
