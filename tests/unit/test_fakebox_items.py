"""Folders, files, trash, collaborations, comments, tasks, shared links and previews: each
Box error code the fake can produce there, from a real request."""

from __future__ import annotations

import pytest

from selftest.fakebox.client import ApiClient
from selftest.fakebox.model import User


@pytest.fixture
def api() -> ApiClient:
    return ApiClient()


def _code(response: object) -> str:
    return response.json["code"]  # type: ignore[attr-defined,no-any-return]


def _other(api: ApiClient, login: str = "other@example.com") -> tuple[User, str]:
    user = api.state.add_user(login)
    return user, api.state.tokens.issue_access(user.id)


def _collaborate(api: ApiClient, folder: str, login: str, role: str = "editor") -> object:
    return api.post("/2.0/collaborations", json={
        "item": {"type": "folder", "id": folder}, "accessible_by": {"type": "user",
                                                                    "login": login},
        "role": role})


def test_folder_create_conflict_lists_conflicts(api: ApiClient) -> None:
    """A second folder of the same name (any case) gets 409 item_name_in_use, conflicts a LIST."""
    api.folder("Backups")
    response = api.post("/2.0/folders", json={"name": "backups", "parent": {"id": "0"}})
    assert response.status_code == 409 and _code(response) == "item_name_in_use"
    assert isinstance(response.json["context_info"]["conflicts"], list)


@pytest.mark.parametrize("name", [".", "..", " lead", "trail ", "a/b", "a\\b", "tab\there",
                                  "del\x7f"])
def test_invalid_names_are_item_name_invalid(api: ApiClient, name: str) -> None:
    """Names Box forbids get 400 item_name_invalid."""
    response = api.post("/2.0/folders", json={"name": name, "parent": {"id": "0"}})
    assert response.status_code == 400 and _code(response) == "item_name_invalid"


def test_long_name_is_item_name_too_long(api: ApiClient) -> None:
    """A 256-character name gets 400 item_name_too_long; 255 is accepted."""
    too_long = api.post("/2.0/folders", json={"name": "x" * 256, "parent": {"id": "0"}})
    assert too_long.status_code == 400 and _code(too_long) == "item_name_too_long"
    assert api.post("/2.0/folders", json={"name": "x" * 255,
                                          "parent": {"id": "0"}}).status_code == 201


def test_move_into_own_subtree_is_cyclical(api: ApiClient) -> None:
    """Moving a folder under its own child gets 400 cyclical_folder_structure."""
    outer = api.folder("outer")
    inner = api.folder("inner", outer)
    response = api.put(f"/2.0/folders/{outer}", json={"parent": {"id": inner}})
    assert response.status_code == 400 and _code(response) == "cyclical_folder_structure"


def test_moving_a_synced_folder_fails(api: ApiClient) -> None:
    """A folder with sync_state synced cannot move: 400 sync_item_move_failure."""
    folder, target = api.folder("synced"), api.folder("target")
    assert api.put(f"/2.0/folders/{folder}", json={"sync_state": "synced"}).status_code == 200
    response = api.put(f"/2.0/folders/{folder}", json={"parent": {"id": target}})
    assert response.status_code == 400 and _code(response) == "sync_item_move_failure"


def test_collaborated_subfolder_to_private_needs_owner(api: ApiClient) -> None:
    """A subfolder of a shared folder moved to a private one needs owned_by.id."""
    shared = api.folder("shared")
    _other(api)
    assert _collaborate(api, shared, "other@example.com").status_code == 201  # type: ignore[attr-defined]
    sub, private = api.folder("sub", shared), api.folder("private")
    refused = api.put(f"/2.0/folders/{sub}", json={"parent": {"id": private}})
    assert refused.status_code == 400
    assert _code(refused) == "cannot_make_collaborated_subfolder_private"
    allowed = api.put(f"/2.0/folders/{sub}", json={"parent": {"id": private},
                                                   "owned_by": {"id": api.state.main_user.id}})
    assert allowed.status_code == 200


def test_delete_non_empty_folder_needs_recursive(api: ApiClient) -> None:
    """DELETE on a non-empty folder gets 400 folder_not_empty; recursive=true trashes it."""
    folder = api.folder("full")
    api.folder("child", folder)
    refused = api.delete(f"/2.0/folders/{folder}")
    assert refused.status_code == 400 and _code(refused) == "folder_not_empty"
    assert api.delete(f"/2.0/folders/{folder}?recursive=true").status_code == 204


def test_slow_move_blocks_the_folder(api: ApiClient) -> None:
    """While a slow move runs, writes into the folder get 409 operation_blocked_temporary."""
    api.state.config.folder_op_s = 30
    folder, target = api.folder("moving"), api.folder("target")
    assert api.put(f"/2.0/folders/{folder}", json={"parent": {"id": target}}).status_code == 200
    blocked = api.post("/2.0/folders", json={"name": "new", "parent": {"id": folder}})
    assert blocked.status_code == 409 and _code(blocked) == "operation_blocked_temporary"
    api.state.clock.advance(31)
    api.token = api.state.tokens.issue_access(api.state.main_user.id)
    assert api.post("/2.0/folders", json={"name": "new", "parent": {"id": folder}}
                    ).status_code == 201


def test_slow_copy_blocks_the_source(api: ApiClient) -> None:
    """A copy holds its source busy: a second copy gets 409 operation_blocked_temporary."""
    api.state.config.folder_op_s = 10
    source, target = api.folder("source"), api.folder("target")
    api.file("a.txt", b"abc", source)
    first = api.post(f"/2.0/folders/{source}/copy", json={"parent": {"id": target}})
    assert first.status_code == 201 and first.json["item_collection"]["total_count"] == 1
    again = api.post(f"/2.0/folders/{source}/copy", json={"parent": {"id": "0"}, "name": "c2"})
    assert again.status_code == 409 and _code(again) == "operation_blocked_temporary"


def test_folder_operation_over_60s_answers_503(api: ApiClient) -> None:
    """A folder operation longer than 60 s answers 503 unavailable and completes anyway."""
    api.state.config.folder_op_s = 90
    folder, target = api.folder("big"), api.folder("target")
    response = api.put(f"/2.0/folders/{folder}", json={"parent": {"id": target}})
    assert response.status_code == 503 and _code(response) == "unavailable"
    assert response.headers["Retry-After"] == "90"
    assert api.state.items[folder].parent_id == target


@pytest.mark.parametrize(("query", "code"), [("limit=ten", "invalid_limit"),
                                             ("offset=x", "invalid_offset"),
                                             ("limit=-1", "invalid_limit")])
def test_list_items_validates_limit_and_offset(api: ApiClient, query: str, code: str) -> None:
    """A non-numeric limit or offset gets 400 invalid_limit / invalid_offset."""
    response = api.get(f"/2.0/folders/0/items?{query}")
    assert response.status_code == 400 and _code(response) == code


def test_list_items_pages(api: ApiClient) -> None:
    """limit and offset page through a folder's items."""
    for n in range(5):
        api.folder(f"f{n}")
    page = api.get("/2.0/folders/0/items?limit=2&offset=3").json
    assert page["total_count"] == 5 and [e["name"] for e in page["entries"]] == ["f3", "f4"]


def test_list_items_pages_by_marker(api: ApiClient) -> None:
    """usemarker=true pages by next_marker until it is null, as Box's marker pagination (the
    Node SDK's getFolderItems found the old fake ignoring it: one page, no next_marker)."""
    for n in range(5):
        api.folder(f"f{n}")
    names, marker, pages = [], "", 0
    while True:
        query = "usemarker=true&limit=2&offset=4" + (f"&marker={marker}" if marker else "")
        page = api.get(f"/2.0/folders/0/items?{query}").json
        assert "total_count" not in page and "offset" not in page and page["limit"] == 2
        names += [e["name"] for e in page["entries"]]
        pages += 1
        marker = page["next_marker"]
        if marker is None:
            break
    assert (names, pages) == (["f0", "f1", "f2", "f3", "f4"], 3)


@pytest.mark.parametrize("marker", ["nonsense", "ZmFrZWJveDp4"])  # the second: "fakebox:x"
def test_list_items_refuses_a_foreign_marker(api: ApiClient, marker: str) -> None:
    response = api.get(f"/2.0/folders/0/items?usemarker=true&marker={marker}")
    assert response.status_code == 400 and _code(response) == "bad_request"


def test_trashed_file_reads_as_trashed(api: ApiClient) -> None:
    """GET on a file in the trash gets 404 trashed."""
    file_id = api.file("gone.txt")
    assert api.delete(f"/2.0/files/{file_id}").status_code == 204
    response = api.get(f"/2.0/files/{file_id}")
    assert response.status_code == 404 and _code(response) == "trashed"
    assert api.get(f"/2.0/files/{file_id}/trash").json["item_status"] == "trashed"


def test_permanent_delete_needs_trash_first(api: ApiClient) -> None:
    """DELETE /files/{id}/trash on a live file gets 404 not_trashed."""
    file_id = api.file("live.txt")
    response = api.delete(f"/2.0/files/{file_id}/trash")
    assert response.status_code == 404 and _code(response) == "not_trashed"


def test_purge_frees_space_and_restore_returns(api: ApiClient) -> None:
    """Trash keeps space used; a permanent delete frees it; restore brings a file back."""
    user = api.state.main_user
    kept, purged = api.file("kept.txt", b"12345"), api.file("purged.txt", b"123")
    api.delete(f"/2.0/files/{kept}")
    api.delete(f"/2.0/files/{purged}")
    assert user.space_used == 8
    assert api.delete(f"/2.0/files/{purged}/trash").status_code == 204
    assert user.space_used == 5
    assert api.post(f"/2.0/files/{kept}").status_code == 201
    assert api.get(f"/2.0/files/{kept}").status_code == 200
    assert api.get("/2.0/folders/trash/items").json["total_count"] == 0


def test_folder_trash_round_trip(api: ApiClient) -> None:
    """A trashed folder is listed in the trash, restorable, and permanently deletable."""
    folder = api.folder("old")
    api.delete(f"/2.0/folders/{folder}")
    assert api.get("/2.0/folders/trash/items").json["total_count"] == 1
    assert api.get(f"/2.0/folders/{folder}/trash").status_code == 200
    assert api.post(f"/2.0/folders/{folder}").status_code == 201
    assert _code(api.delete(f"/2.0/folders/{folder}/trash")) == "not_trashed"


def test_someone_elses_lock_denies_changes(api: ApiClient) -> None:
    """A file locked by another user gets 403 access_denied_item_locked on delete."""
    other, _ = _other(api)
    file_id = api.file("locked.txt")
    api.state.lock_item(file_id, other.id)
    response = api.delete(f"/2.0/files/{file_id}")
    assert response.status_code == 403 and _code(response) == "access_denied_item_locked"


def test_locking_a_locked_file_is_conflict(api: ApiClient) -> None:
    """Locking an already locked file gets 409 conflict; the lock shows on the file."""
    file_id = api.file("doc.txt")
    first = api.put(f"/2.0/files/{file_id}", json={"lock": {"type": "lock"}})
    assert first.status_code == 200 and first.json["lock"]["type"] == "lock"
    again = api.put(f"/2.0/files/{file_id}", json={"lock": {"type": "lock"}})
    assert again.status_code == 409 and _code(again) == "conflict"


def test_stale_if_match_is_precondition_failed(api: ApiClient) -> None:
    """If-Match with an old etag gets 412 precondition_failed; the current etag passes."""
    file_id = api.file("v.txt")
    etag = api.get(f"/2.0/files/{file_id}").json["etag"]
    assert api.put(f"/2.0/files/{file_id}", json={"name": "w.txt"},
                   headers={"If-Match": etag}).status_code == 200
    stale = api.put(f"/2.0/files/{file_id}", json={"name": "x.txt"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and _code(stale) == "precondition_failed"


def test_stale_if_match_on_synced_sync_state_change(api: ApiClient) -> None:
    """A stale If-Match on a synced folder's sync_state change: sync_state_precondition_failed."""
    folder = api.folder("s")
    api.put(f"/2.0/folders/{folder}", json={"sync_state": "synced"})
    response = api.put(f"/2.0/folders/{folder}", json={"sync_state": "not_synced"},
                       headers={"If-Match": "0"})
    assert response.status_code == 412 and _code(response) == "sync_state_precondition_failed"


def test_viewer_cannot_write(api: ApiClient) -> None:
    """A viewer writing into the folder gets 403 access_denied_insufficient_permissions."""
    folder = api.folder("team")
    _, viewer_token = _other(api)
    _collaborate(api, folder, "other@example.com", "viewer")
    assert api.get(f"/2.0/folders/{folder}", token=viewer_token).status_code == 200
    response = api.post("/2.0/folders", json={"name": "x", "parent": {"id": folder}},
                        token=viewer_token)
    assert response.status_code == 403
    assert _code(response) == "access_denied_insufficient_permissions"


def test_other_users_items_are_not_found(api: ApiClient) -> None:
    """An item the caller cannot see is 404 not_found, not 403."""
    folder = api.folder("mine")
    _, token = _other(api)
    assert _code(api.get(f"/2.0/folders/{folder}", token=token)) == "not_found"


def test_collaboration_error_codes(api: ApiClient) -> None:
    """Collaborations refuse files, the root, duplicates and a non-boolean notify."""
    folder = api.folder("shared")
    _other(api)
    file_ref = {"item": {"type": "file", "id": "1"}, "accessible_by": {"login": "x@y.z"},
                "role": "editor"}
    assert _code(api.post("/2.0/collaborations", json=file_ref)) == "invalid_collaboration_item"
    root = _collaborate(api, "0", "other@example.com")
    assert _code(root) == "collaborations_not_available_on_root_folder"
    assert _collaborate(api, folder, "other@example.com").status_code == 201  # type: ignore[attr-defined]
    dup = _collaborate(api, folder, "OTHER@example.com")
    assert dup.status_code == 400 and _code(dup) == "user_already_collaborator"  # type: ignore[attr-defined]
    notify = api.post("/2.0/collaborations?notify=1", json=file_ref)
    assert notify.status_code == 400 and _code(notify) == "invalid_request_parameters"


def test_status_change_only_from_pending(api: ApiClient) -> None:
    """A pending invitation may be accepted once; changing it again gets 400 invalid_status."""
    folder = api.folder("invite")
    invite = _collaborate(api, folder, "stranger@example.org")
    collab = invite.json  # type: ignore[attr-defined]
    assert collab["status"] == "pending"
    path = f"/2.0/collaborations/{collab['id']}"
    assert api.put(path, json={"status": "accepted"}).status_code == 200
    again = api.put(path, json={"status": "rejected"})
    assert again.status_code == 400 and _code(again) == "invalid_status"
    assert api.put(path, json={"role": "viewer"}).json["role"] == "viewer"
    assert api.delete(path).status_code == 204


def test_duplicate_comment_is_recent_similar_comment(api: ApiClient) -> None:
    """The same comment twice within a minute gets 409 recent_similar_comment."""
    file_id = api.file("c.txt")
    body = {"item": {"type": "file", "id": file_id}, "message": "looks good"}
    assert api.post("/2.0/comments", json=body).status_code == 201
    again = api.post("/2.0/comments", json=body)
    assert again.status_code == 409 and _code(again) == "recent_similar_comment"
    api.state.clock.advance(61)
    api.token = api.state.tokens.issue_access(api.state.main_user.id)
    assert api.post("/2.0/comments", json=body).status_code == 201


def test_task_assignee_without_access_is_refused(api: ApiClient) -> None:
    """Assigning a task to a user who cannot see the file gets 400 task_assignee_not_allowed."""
    file_id = api.file("t.txt")
    other, _ = _other(api)
    task = api.post("/2.0/tasks", json={"item": {"type": "file", "id": file_id},
                                        "action": "review", "message": "check"})
    assert task.status_code == 201
    body = {"task": {"id": task.json["id"]}, "assign_to": {"id": other.id}}
    refused = api.post("/2.0/task_assignments", json=body)
    assert refused.status_code == 400 and _code(refused) == "task_assignee_not_allowed"
    mine = {"task": {"id": task.json["id"]}, "assign_to": {"id": api.state.main_user.id}}
    assert api.post("/2.0/task_assignments", json=mine).status_code == 201


def test_shared_link_password(api: ApiClient) -> None:
    """A password-protected shared link needs the right BoxApi password, else 403."""
    file_id = api.file("s.txt")
    shared = api.put(f"/2.0/files/{file_id}", json={"shared_link": {
        "access": "open", "password": "correct-horse"}})
    url = shared.json["shared_link"]["url"]
    wrong = api.get("/2.0/shared_items",
                    headers={"BoxApi": f"shared_link={url}&shared_link_password=nope"})
    assert wrong.status_code == 403 and _code(wrong) == "incorrect_shared_item_password"
    missing = api.get("/2.0/shared_items", headers={"BoxApi": f"shared_link={url}"})
    assert _code(missing) == "incorrect_shared_item_password"
    right = api.get("/2.0/shared_items", headers={
        "BoxApi": f"shared_link={url}&shared_link_password=correct-horse"})
    assert right.status_code == 200 and right.json["id"] == file_id


def test_unknown_shared_link_is_not_found(api: ApiClient) -> None:
    """A shared link the fake never issued is 404 not_found."""
    response = api.get("/2.0/shared_items",
                       headers={"BoxApi": "shared_link=https://app.box.com/s/nothing"})
    assert response.status_code == 404 and _code(response) == "not_found"


def test_duplicate_login_is_user_login_already_used(api: ApiClient) -> None:
    """Creating a user with a login already taken gets 409 user_login_already_used."""
    body = {"login": "new@example.com", "name": "New"}
    assert api.post("/2.0/users", json=body).status_code == 201
    again = api.post("/2.0/users", json=body)
    assert again.status_code == 409 and _code(again) == "user_login_already_used"


@pytest.mark.parametrize("path", ["thumbnail.gif", "thumbnail.png?min_width=1024"])
def test_unsupported_thumbnail_is_unavailable(api: ApiClient, path: str) -> None:
    """A thumbnail in an unsupported format or size gets 400 requested_preview_unavailable."""
    file_id = api.file("p.png")
    response = api.get(f"/2.0/files/{file_id}/{path}")
    assert response.status_code == 400 and _code(response) == "requested_preview_unavailable"


def test_archive_preview_cannot_be_generated(api: ApiClient) -> None:
    """A .wpress archive has no preview: 404 preview_cannot_be_generated."""
    file_id = api.file("site.wpress")
    response = api.get(f"/2.0/files/{file_id}/thumbnail.png")
    assert response.status_code == 404 and _code(response) == "preview_cannot_be_generated"


def test_thumbnails_of_images_and_documents(api: ApiClient) -> None:
    """An image thumbnail is a PNG at once; a document's is 202 with Retry-After."""
    image, doc = api.file("p.png"), api.file("d.pdf")
    assert api.get(f"/2.0/files/{image}/thumbnail.png").data.startswith(b"\x89PNG")
    pending = api.get(f"/2.0/files/{doc}/thumbnail.jpg")
    assert pending.status_code == 202 and pending.headers["Retry-After"] == "1"


def test_representation_page_out_of_range(api: ApiClient) -> None:
    """A representation page beyond the document's pages gets 400 requested_page_out_of_range."""
    file_id = api.file("d.pdf", b"x" * 5000)
    base = f"/2.0/internal_files/{file_id}/versions/1/representations/png_paged_2048x2048/content"
    assert api.get(f"{base}/2.png").status_code == 200
    response = api.get(f"{base}/3.png")
    assert response.status_code == 400 and _code(response) == "requested_page_out_of_range"


def test_file_rename_move_and_download(api: ApiClient) -> None:
    """A file can be renamed, moved, described and downloaded back."""
    file_id, folder = api.file("a.txt", b"payload"), api.folder("dest")
    response = api.put(f"/2.0/files/{file_id}", json={"name": "b.txt", "parent": {"id": folder},
                                                      "description": "moved"})
    assert response.status_code == 200 and response.json["parent"]["id"] == folder
    assert api.get(f"/2.0/files/{file_id}/content", follow_redirects=True).data == b"payload"
    assert api.get(f"/2.0/files/{file_id}?fields=name").json == {
        "type": "file", "id": file_id, "etag": "1", "name": "b.txt"}
