"""Box's classic official Python SDK, `boxsdk` 3.x, through the backup plugin's whole workflow
against the fake (issue 10): if the SDK cannot tell the fake from Box, neither can the plugin."""

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
    from boxsdk import Client


@pytest.fixture(scope="module", autouse=True)
def _boxsdk() -> None:
    """boxsdk is imported where its tests run (each function imports what it uses), not at
    collection: every xdist worker collects this file, one runs it."""
    pytest.importorskip("boxsdk", reason="boxsdk 3.x (the test extra) cannot be installed")


# boxsdk 3 warns on every Client() that it "is going to be deprecated"; that is its release
# note, not a fault in the code under test.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def fake() -> Iterator[Served]:
    """One fake for the module; boxsdk's API base URLs point at it (class attributes)."""
    from boxsdk.config import API

    with served() as fake, pytest.MonkeyPatch.context() as patch:
        box = fake.box
        patch.setattr(API, "BASE_API_URL", box.url + "/2.0")
        patch.setattr(API, "UPLOAD_URL", box.upload_url + "/2.0")
        patch.setattr(API, "OAUTH2_API_URL", box.url + "/oauth2")
        yield fake


@pytest.fixture
def client(fake: Served) -> Client:
    """A client with the fake's developer-style access token."""
    from boxsdk import Client, OAuth2

    box = fake.box
    return Client(OAuth2(box.client_id, box.client_secret, access_token=box.token))


def test_users_me_and_quota(client: Client, fake: Served) -> None:
    """users/me gives the login and the quota the plugin's preflight reads."""
    me = client.user().get(fields=["login", "space_amount", "space_used", "max_upload_size"])
    user = fake.box.state.main_user
    assert me.login == user.login
    assert (me.space_amount, me.space_used, me.max_upload_size) == \
        (user.space_amount, user.space_used, user.max_upload_size)


def test_root_folder_create_and_conflict(client: Client) -> None:
    """The root lists; a second folder of the same name is 409 item_name_in_use with conflicts."""
    from boxsdk import BoxAPIException

    root = client.folder("0").get()
    assert root.id == "0"
    list(client.folder("0").get_items())
    made = client.folder("0").create_subfolder("boxsdk-backups")
    with pytest.raises(BoxAPIException) as caught:
        client.folder("0").create_subfolder("boxsdk-backups")
    error = caught.value
    assert error.status == 409 and error.code == "item_name_in_use"
    assert error.context_info["conflicts"][0]["id"] == made.id
    assert made.id in {item.id for item in client.folder("0").get_items()}


def test_direct_upload_preflight_and_quota(client: Client, fake: Served) -> None:
    """upload_stream sends the SHA-1; preflight passes, then over-quota is 403."""
    from boxsdk import BoxAPIException

    folder = client.folder("0").create_subfolder("boxsdk-direct")
    data = b"small backup " * 1000
    uploaded = folder.upload_stream(io.BytesIO(data), "small.wpress", sha1=sha1_of(data))
    assert uploaded.sha1 == sha1_of(data)
    assert folder.preflight_check(size=10_000, name="next.wpress")
    user = fake.box.state.main_user
    saved = user.space_used
    user.space_used = user.space_amount
    try:
        with pytest.raises(BoxAPIException) as caught:
            folder.preflight_check(size=10_000, name="next.wpress")
    finally:
        user.space_used = saved
    assert caught.value.status == 403 and caught.value.code == "storage_limit_exceeded"


def test_chunked_upload_download_and_range(client: Client, fake: Served,
                                           tmp_path: Path) -> None:
    """A 40 MB backup through the SDK's chunked uploader; the 302 download gives it back."""
    path, digest = big_backup(tmp_path)
    folder = client.folder("0").create_subfolder("boxsdk-chunked")
    size = path.stat().st_size
    # get_chunked_uploader(path) opens the file and never closes it; the stream form is the
    # same ChunkedUploader over a file this test closes.
    with open(path, "rb") as stream:
        session = folder.create_upload_session(size, path.name)
        uploaded = session.get_chunked_uploader_for_stream(stream, size).start()
    assert uploaded.sha1 == digest
    url = uploaded.get_download_url()  # reads the 302's Location
    assert url.startswith(fake.box.download_url)
    out = io.BytesIO()
    uploaded.download_to(out)
    assert sha1_of(out.getvalue()) == digest
    with open(path, "rb") as original:
        original.seek(100)
        assert uploaded.content(byte_range=(100, 199)) == original.read(100)
    assert fake.seen("get", "/files/{file_id}/content", 302)


def test_rename_move_delete_trash_and_404(client: Client) -> None:
    """Rename, move, delete to the trash, restore, purge; then the file is 404."""
    from boxsdk import BoxAPIException

    source = client.folder("0").create_subfolder("boxsdk-from")
    target = client.folder("0").create_subfolder("boxsdk-to")
    item = source.upload_stream(io.BytesIO(b"x" * 10), "a.wpress")
    item = item.rename("b.wpress")
    assert item.name == "b.wpress"
    item = item.move(parent_folder=target)
    assert item.parent["id"] == target.id
    assert item.delete()
    trash = client.trash()
    assert trash.get_item(item).id == item.id
    restored = trash.restore_item(item)
    assert restored.id == item.id
    assert restored.delete() and trash.permanently_delete_item(item)
    with pytest.raises(BoxAPIException) as caught:
        client.file(item.id).get()
    assert caught.value.status == 404 and caught.value.code == "not_found"


def test_bad_token_is_401(fake: Served) -> None:
    """A wrong token: 401 (empty body, Bearer challenge), which boxsdk cannot refresh."""
    from boxsdk import BoxOAuthException, Client, OAuth2

    box = fake.box
    bad = Client(OAuth2(box.client_id, box.client_secret, access_token="not-a-token"))
    with pytest.raises(BoxOAuthException):  # the 401 makes it try a refresh it cannot do
        bad.user().get()
    assert fake.seen("get", "/users/me", 401)


def test_refresh_then_the_spent_refresh_token_is_refused(fake: Served) -> None:
    """OAuth2 refresh gives a new pair; the old refresh token then gets invalid_grant."""
    from boxsdk import BoxOAuthException, Client, OAuth2

    box = fake.box
    spent = box.state.tokens.issue_refresh(box.state.main_user.id, box.client_id)
    oauth = OAuth2(box.client_id, box.client_secret, access_token="expired", refresh_token=spent)
    access, refresh = oauth.refresh("expired")
    assert access and refresh and refresh != spent
    assert Client(oauth).user().get().id == box.state.main_user.id
    again = OAuth2(box.client_id, box.client_secret, refresh_token=spent)
    with pytest.raises(BoxOAuthException) as caught:
        again.refresh(None)
    assert caught.value.status == 400 and caught.value.code == "invalid_grant"
    assert caught.value.message == "Invalid refresh token"


def _jwt_auth(fake: Served) -> Any:
    from boxsdk import JWTAuth
    config = fake.box.create_jwt_app().config()
    assert "ENCRYPTED PRIVATE KEY" in config["boxAppSettings"]["appAuth"]["privateKey"]
    return JWTAuth.from_settings_dictionary(json.loads(json.dumps(config)))


def test_jwt_with_the_console_config(fake: Served) -> None:
    """JWTAuth opens the console-shaped config (encrypted key + passphrase) and gets a token."""
    from boxsdk import Client

    auth = _jwt_auth(fake)
    assert auth.authenticate_instance()
    me = Client(auth).user().get()
    assert me.login.startswith("AutomationUser_")


@pytest.mark.parametrize(("offset_s", "refusal"), [(120, EXP_PAST), (-120, EXP_TOO_FAR)])
def test_jwt_under_clock_skew_recovers_from_the_date_header(
        fake: Served, offset_s: int, refusal: str) -> None:
    """Box refuses the assertion (exp) with its wording; boxsdk retries on Box's Date: token."""
    auth = _jwt_auth(fake)
    before = len(fake.seen("post", "/oauth2/token", 400))
    fake.box.state.clock.set_offset(offset_s)
    try:
        assert auth.authenticate_instance()
    finally:
        fake.box.state.clock.set_offset(0)
    refusals = fake.seen("post", "/oauth2/token", 400)[before:]
    assert [r.body["error_description"] for r in refusals] == [refusal]


def test_429_with_retry_after_is_retried(client: Client, fake: Served,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A 429 rate_limit_exceeded with Box's lower-case retry-after: 7 is retried after 7 s
    (boxsdk reads headers case-insensitively), and the call succeeds."""
    from boxsdk.network import default_network

    waits: list[float] = []
    monkeypatch.setattr(default_network.time, "sleep", waits.append)
    fake.box.state.inject(429, "rate_limit_exceeded", path_prefix="/2.0/users/me",
                          retry_after_s=7)
    before = len(fake.seen("get", "/users/me", 429))
    assert client.user().get().id == fake.box.state.main_user.id
    assert len(fake.seen("get", "/users/me", 429)) == before + 1
    assert waits == [7]
