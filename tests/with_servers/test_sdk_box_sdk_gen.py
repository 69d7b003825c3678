"""Box's generated official Python SDK, `box-sdk-gen`, through the backup plugin's whole
workflow against the fake (issue 10), as tests/with_servers/test_sdk_boxsdk.py does for the
classic SDK."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fakebox_sdk import Served, big_backup, served, sha1_of

from selftest.fakebox.jwtgrant import EXP_PAST, EXP_TOO_FAR

if TYPE_CHECKING:
    from box_sdk_gen import BoxClient, BoxJWTAuth, BoxOAuth, NetworkSession


@pytest.fixture(scope="module", autouse=True)
def _box_sdk_gen() -> None:
    """box-sdk-gen is imported where its tests run (each function imports what it uses), not at
    collection: every xdist worker collects this file, one runs it (~0.4 s of CPU apiece)."""
    pytest.importorskip("box_sdk_gen", reason="box-sdk-gen (the test extra) cannot be installed")


@pytest.fixture(scope="module")
def fake() -> Iterator[Served]:
    with served() as fake:
        yield fake


def _session(fake: Served) -> NetworkSession:
    """The fake's base URLs; the SDK's own retry strategy with a 0.1 s base interval."""
    from box_sdk_gen import BaseUrls, BoxRetryStrategy, NetworkSession

    box = fake.box
    return NetworkSession(
        base_urls=BaseUrls(base_url=box.url, upload_url=box.upload_url,
                           oauth_2_url=box.url + "/oauth2"),
        retry_strategy=BoxRetryStrategy(retry_base_interval=0.1))


@pytest.fixture
def client(fake: Served) -> BoxClient:
    from box_sdk_gen import BoxClient, BoxDeveloperTokenAuth
    return BoxClient(BoxDeveloperTokenAuth(token=fake.box.token), network_session=_session(fake))


def _folder(client: BoxClient, name: str) -> str:
    from box_sdk_gen import CreateFolderParent
    return str(client.folders.create_folder(name, CreateFolderParent(id="0")).id)


def _upload(client: BoxClient, folder_id: str, name: str, data: bytes) -> Any:
    from box_sdk_gen import UploadFileAttributes, UploadFileAttributesParentField
    files = client.uploads.upload_file(
        UploadFileAttributes(name=name, parent=UploadFileAttributesParentField(id=folder_id)),
        io.BytesIO(data), content_md_5=sha1_of(data))  # Box's Content-MD5 carries the SHA-1
    return files.entries[0]


def test_users_me_and_quota(client: BoxClient, fake: Served) -> None:
    """users/me gives the login and the quota the plugin's preflight reads."""
    me = client.users.get_user_me(fields=["login", "space_amount", "space_used",
                                          "max_upload_size"])
    user = fake.box.state.main_user
    assert me.login == user.login
    assert (me.space_amount, me.space_used, me.max_upload_size) == \
        (user.space_amount, user.space_used, user.max_upload_size)


def test_root_folder_create_and_conflict(client: BoxClient) -> None:
    """The root lists; a second folder of the same name is 409 item_name_in_use with conflicts."""
    from box_sdk_gen import BoxAPIError

    assert client.folders.get_folder_by_id("0").id == "0"
    made = _folder(client, "gen-backups")
    with pytest.raises(BoxAPIError) as caught:
        _folder(client, "gen-backups")
    info = caught.value.response_info
    assert info.status_code == 409 and info.code == "item_name_in_use"
    assert info.context_info["conflicts"][0]["id"] == made
    items = client.folders.get_folder_items("0")
    assert made in {entry.id for entry in items.entries}


def test_direct_upload_preflight_and_quota(client: BoxClient, fake: Served) -> None:
    """A direct upload with its SHA-1; preflight passes, then over-quota is 403."""
    from box_sdk_gen import BoxAPIError, PreflightFileUploadCheckParent

    folder = _folder(client, "gen-direct")
    data = b"small backup " * 1000
    assert _upload(client, folder, "small.wpress", data).sha_1 == sha1_of(data)
    parent = PreflightFileUploadCheckParent(id=folder)
    assert client.uploads.preflight_file_upload_check(name="n.wpress", size=10_000,
                                                      parent=parent).upload_url
    user = fake.box.state.main_user
    saved = user.space_used
    user.space_used = user.space_amount
    try:
        with pytest.raises(BoxAPIError) as caught:
            client.uploads.preflight_file_upload_check(name="n.wpress", size=10_000,
                                                       parent=parent)
    finally:
        user.space_used = saved
    info = caught.value.response_info
    assert info.status_code == 403 and info.code == "storage_limit_exceeded"


@pytest.mark.slow
def test_chunked_upload_download_and_range(client: BoxClient, fake: Served,
                                           tmp_path: Path) -> None:
    """A 40 MB backup through upload_big_file; the 302 download and a range give it back."""
    path, digest = big_backup(tmp_path)
    folder = _folder(client, "gen-chunked")
    with open(path, "rb") as stream:
        uploaded = client.chunked_uploads.upload_big_file(stream, path.name,
                                                          path.stat().st_size, folder)
    assert uploaded.sha_1 == digest
    url = client.downloads.get_download_file_url(uploaded.id)  # the 302's Location
    assert url.startswith(fake.box.download_url)
    # The SDK's own download-to-a-file: it copies in 64 KiB reads. Reading its stream 1 MiB at a
    # time costs ~2 s of CPU for 40 MB (the SDK joins 1 KiB chunks into each read quadratically).
    downloaded = tmp_path / "downloaded.wpress"
    with open(downloaded, "wb") as out:
        client.downloads.download_file_to_output_stream(uploaded.id, out)
    assert sha1_of(downloaded.read_bytes()) == digest
    with open(path, "rb") as original:
        original.seek(100)
        ranged = client.downloads.download_file(uploaded.id, range="bytes=100-199").read()
        assert ranged == original.read(100)


def test_rename_move_delete_trash_and_404(client: BoxClient) -> None:
    """Rename, move, delete to the trash, restore, purge; then the file is 404."""
    from box_sdk_gen import BoxAPIError, UpdateFileByIdParent

    source, target = _folder(client, "gen-from"), _folder(client, "gen-to")
    item = _upload(client, source, "a.wpress", b"x" * 10)
    renamed = client.files.update_file_by_id(item.id, name="b.wpress")
    assert renamed.name == "b.wpress"
    moved = client.files.update_file_by_id(item.id, parent=UpdateFileByIdParent(id=target))
    assert moved.parent.id == target
    client.files.delete_file_by_id(item.id)
    assert client.trashed_files.get_trashed_file_by_id(item.id).id == item.id
    assert client.trashed_files.restore_file_from_trash(item.id).id == item.id
    client.files.delete_file_by_id(item.id)
    client.trashed_files.delete_trashed_file_by_id(item.id)
    with pytest.raises(BoxAPIError) as caught:
        client.files.get_file_by_id(item.id)
    assert caught.value.response_info.status_code == 404
    assert caught.value.response_info.code == "not_found"


def test_bad_token_is_401(fake: Served) -> None:
    """A wrong developer token: the fake's 401 makes the SDK say the token has expired."""
    from box_sdk_gen import BoxClient, BoxDeveloperTokenAuth, BoxSDKError

    bad = BoxClient(BoxDeveloperTokenAuth(token="not-a-token"), network_session=_session(fake))
    before = len(fake.seen("get", "/users/me", 401))
    with pytest.raises(BoxSDKError, match="Developer token has expired"):
        bad.users.get_user_me()
    assert len(fake.seen("get", "/users/me", 401)) == before + 1


def test_refresh_then_the_spent_refresh_token_is_refused(fake: Served) -> None:
    """OAuth2 refresh gives a new pair; the spent refresh token then gets invalid_grant."""
    from box_sdk_gen import (
        AccessToken,
        BoxAPIError,
        BoxClient,
        BoxOAuth,
        InMemoryTokenStorage,
        OAuthConfig,
    )

    box = fake.box
    spent = box.state.tokens.issue_refresh(box.state.main_user.id, box.client_id)

    def oauth() -> BoxOAuth:
        storage = InMemoryTokenStorage()
        storage.store(AccessToken(access_token="expired", refresh_token=spent))
        return BoxOAuth(OAuthConfig(box.client_id, box.client_secret, token_storage=storage))

    first = oauth()
    token = first.refresh_token(network_session=_session(fake))
    assert token.access_token and token.refresh_token and token.refresh_token != spent
    me = BoxClient(first, network_session=_session(fake)).users.get_user_me()
    assert me.id == box.state.main_user.id
    with pytest.raises(BoxAPIError) as caught:
        oauth().refresh_token(network_session=_session(fake))
    assert caught.value.response_info.status_code == 400
    assert caught.value.response_info.body["error"] == "invalid_grant"


def _jwt_auth(fake: Served) -> BoxJWTAuth:
    from box_sdk_gen import BoxJWTAuth, JWTConfig
    config = fake.box.create_jwt_app().config()
    assert "ENCRYPTED PRIVATE KEY" in config["boxAppSettings"]["appAuth"]["privateKey"]
    return BoxJWTAuth(JWTConfig.from_config_json_string(json.dumps(config)))


def test_jwt_with_the_console_config(fake: Served) -> None:
    """BoxJWTAuth opens the console-shaped config (encrypted key + passphrase), gets a token."""
    from box_sdk_gen import BoxClient

    client = BoxClient(_jwt_auth(fake), network_session=_session(fake))
    assert client.users.get_user_me().login.startswith("AutomationUser_")


@pytest.mark.parametrize(("offset_s", "refusal"), [(120, EXP_PAST), (-120, EXP_TOO_FAR)])
def test_jwt_under_clock_skew_is_refused_as_box_refuses(
        fake: Served, offset_s: int, refusal: str) -> None:
    """With Box's clock 2 minutes off, box-sdk-gen gets Box's invalid_grant (no Date retry)."""
    from box_sdk_gen import BoxAPIError

    auth = _jwt_auth(fake)
    fake.box.state.clock.set_offset(offset_s)
    try:
        with pytest.raises(BoxAPIError) as caught:
            auth.refresh_token(network_session=_session(fake))
    finally:
        fake.box.state.clock.set_offset(0)
    body = caught.value.response_info.body
    assert caught.value.response_info.status_code == 400
    assert (body["error"], body["error_description"]) == ("invalid_grant", refusal)


def test_429_with_retry_after_is_retried(client: BoxClient, fake: Served) -> None:
    """A 429 rate_limit_exceeded with retry-after is retried, and the call succeeds."""
    fake.box.state.inject(429, "rate_limit_exceeded", path_prefix="/2.0/users/me",
                          retry_after_s=1)
    before = len(fake.seen("get", "/users/me", 429))
    assert client.users.get_user_me().id == fake.box.state.main_user.id
    assert len(fake.seen("get", "/users/me", 429)) == before + 1


def test_box_sdk_gen_ignores_lower_case_retry_after(client: BoxClient, fake: Served,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A finding the fake reproduces: Box sends `retry-after` in lower case, box-sdk-gen 1.17
    looks up `Retry-After` in a plain dict, misses it, and waits its own backoff instead."""
    from box_sdk_gen.networking import box_network_client

    waits: list[float] = []
    monkeypatch.setattr(box_network_client.time, "sleep", waits.append)
    fake.box.state.inject(429, "rate_limit_exceeded", path_prefix="/2.0/users/me",
                          retry_after_s=20)
    assert client.users.get_user_me().id == fake.box.state.main_user.id
    assert len(waits) == 1 and waits[0] < 20  # the header's 20 s were not honoured
