"""Box's official Node SDKs as real clients of the fake, beside the two Python SDKs
(test_sdk_boxsdk.py, test_sdk_box_sdk_gen.py): the generated `box-typescript-sdk-gen` and the
classic `box-node-sdk` 4.x (its own request stack and chunked uploader), both pinned in
tests/node/package.json and its lock.

Each SDK's script (tests/node/box_sdk_client.mjs, tests/node/box_node_sdk_classic.mjs) runs the
backup extension's calls once, against its own fake on 127.0.0.1 over HTTPS with the fake's
test CA (NODE_EXTRA_CA_CERTS), and prints a result per step; each test here asserts a step, for
both SDKs where they agree. .ci/install-node installs the SDKs into ~/.cache/selftest/node-sdk
(SELFTEST_NODE_SDK_DIR elsewhere), never into the repository; without node or the pinned SDK
these tests skip, saying which (and fail under .ci/run, which sets SELFTEST_REQUIRE_NODE_SDK).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakebox_sdk import Served, served, sha1_of

HERE = Path(__file__).resolve().parent.parent / "node"
PINNED: dict[str, str] = json.loads((HERE / "package.json").read_text())["dependencies"]
GEN, CLASSIC = "box-typescript-sdk-gen", "box-node-sdk"
SCRIPTS = {GEN: HERE / "box_sdk_client.mjs", CLASSIC: HERE / "box_node_sdk_classic.mjs"}
#: Attempts at a request that keeps answering 429: box-typescript-sdk-gen's maxAttempts (5);
#: the classic SDK's 1 + numMaxRetries (the script sets 2, and 100 ms retry intervals).
ATTEMPTS = {GEN: 5, CLASSIC: 3}
#: The chunked upload's file, above the fake's session minimum set below: 5 parts of 256 KiB.
BIG_BYTES = 4 * 256 * 1024 + 12_345
MISSING_FILE_ID = "987654321"
LIMITED_FILE_ID = "987654322"
#: The fake's retry-after on its 429s: neither SDK waits it
#: (test_the_sdks_do_not_wait_retry_after).
RETRY_AFTER_S = 5
#: Proxy variables the SDKs' proxy-agent (proxy-from-env) would route loopback through.
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "npm_config_proxy",
                   "npm_config_https_proxy")


def sdk_dir() -> Path:
    default = Path(os.environ.get("HOME", "/root")) / ".cache" / "selftest" / "node-sdk"
    return Path(os.environ.get("SELFTEST_NODE_SDK_DIR", default))


def _skip_reason(package: str) -> str | None:
    if shutil.which("node") is None:
        return "node is not on PATH"
    installed = sdk_dir() / "node_modules" / package / "package.json"
    if not installed.is_file():
        return f"{package} is not installed in {sdk_dir()} (.ci/install-node)"
    version = json.loads(installed.read_text())["version"]
    if version != PINNED[package]:
        return f"{sdk_dir()} has {package} {version}, not the pinned {PINNED[package]}"
    return None


@dataclass
class Run:
    """One SDK's script run: its steps, the fake it ran against, the big file's SHA-1, and
    what its guard saw (every connection the process opened, every DNS lookup it tried)."""

    sdk: str
    steps: dict[str, Any]
    fake: Served
    digest: str
    network: dict[str, list[str]]


def _environment(ca: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in PROXY_VARIABLES and not k.startswith("NODE_")}
    env.update(NODE_EXTRA_CA_CERTS=ca, NO_PROXY="*", no_proxy="*")
    return env


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("node-sdk") / "big.wpress"
    data = os.urandom(BIG_BYTES)
    path.write_bytes(data)
    return path, sha1_of(data)


@pytest.fixture(scope="module", params=[GEN, CLASSIC])
def run(request: pytest.FixtureRequest, big: tuple[Path, str]) -> Iterator[Run]:
    """One SDK's script, run once against a fake of its own."""
    sdk: str = request.param
    reason = _skip_reason(sdk)
    if reason is not None and os.environ.get("SELFTEST_REQUIRE_NODE_SDK"):
        pytest.fail(f"SELFTEST_REQUIRE_NODE_SDK is set (.ci/run): {reason}")
    if reason is not None:
        pytest.skip(reason)
    with served(tls=True, part_size=256 * 1024, min_session_file_size=1024 * 1024) as fake:
        box = fake.box
        assert box.ca is not None
        state = box.state
        state.inject(429, "rate_limit_exceeded", path_prefix="/2.0/users/me",
                     retry_after_s=RETRY_AFTER_S)
        state.inject(429, "rate_limit_exceeded", path_prefix=f"/2.0/files/{LIMITED_FILE_ID}",
                     retry_after_s=RETRY_AFTER_S, times=100)
        arguments = {"sdk_dir": str(sdk_dir()), "api": box.url, "upload": box.upload_url,
                     "oauth2": box.url + "/oauth2", "token": box.token,
                     "big_path": str(big[0]), "big_size": BIG_BYTES,
                     "missing_file_id": MISSING_FILE_ID, "limited_file_id": LIMITED_FILE_ID}
        done = subprocess.run([str(shutil.which("node")), str(SCRIPTS[sdk]),
                               json.dumps(arguments)],
                              capture_output=True, text=True, timeout=120,
                              env=_environment(box.ca), check=False)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert (result["sdk"], result["version"]) == (sdk, PINNED[sdk])
        yield Run(sdk, result["steps"], fake, big[1], result["network"])


def ok(steps: dict[str, Any], name: str) -> dict[str, Any]:
    result = steps[name]
    assert result["ok"], (name, result)
    return result  # type: ignore[no-any-return]


def failed(steps: dict[str, Any], name: str) -> dict[str, Any]:
    result = steps[name]
    assert not result["ok"], (name, result)
    return result["error"]  # type: ignore[no-any-return]


def test_users_me_after_a_429(run: Run) -> None:
    """users/me (its first answer a 429 the SDK retries) gives the login and the quota."""
    steps, fake = run.steps, run.fake
    me = ok(steps, "users_me")
    user = fake.box.state.main_user
    assert (me["id"], me["login"]) == (user.id, user.login)
    assert (me["space_amount"], me["space_used"], me["max_upload_size"]) == \
        (user.space_amount, 0, user.max_upload_size)  # before any upload
    assert len(fake.seen("get", "/users/me", 429)) == 1


def test_root_and_create_folder(run: Run) -> None:
    assert ok(run.steps, "root_folder")["id"] == "0"
    made = ok(run.steps, "create_folder")
    assert (made["name"], made["parent"]) == ("node-backups", "0")


def test_duplicate_folder_is_409_with_box_code(run: Run) -> None:
    """The SDK's error carries Box's answer: its code, the conflicting folder, the request id.

    A finding in box-typescript-sdk-gen, not the fake: its BoxApiError.responseInfo.code is
    the code JSON-encoded ('"item_name_in_use"', quotes and all: sdToJson), so the body's code
    is the one to read. The classic SDK's error has the parsed body (error.response.body).
    """
    steps = run.steps
    error = failed(steps, "create_folder_conflict")
    assert (error["status"], error["code"]) == (409, "item_name_in_use")
    assert error["context_info"]["conflicts"][0]["id"] == ok(steps, "create_folder")["id"]
    assert error["request_id"]
    if run.sdk == GEN:
        assert error["kind"] == "BoxApiError" and error["sdk_code"] == '"item_name_in_use"'


def test_upload_small_and_duplicate(run: Run) -> None:
    steps = run.steps
    uploaded = ok(steps, "upload_small")
    assert uploaded["sha1"] == uploaded["expected"] and uploaded["size"] == 13_000
    error = failed(steps, "upload_conflict")
    assert (error["status"], error["code"]) == (409, "item_name_in_use")
    assert error["context_info"]["conflicts"]["id"] == uploaded["id"]  # one file, not a list
    assert ok(steps, "preflight")["upload_url"]


def test_listing_by_marker_and_by_offset(run: Run) -> None:
    """Six backups two at a time: by marker (usemarker/next_marker) and by offset."""
    listing = ok(run.steps, "listing")
    names = sorted(["small.wpress"] + [f"backup-{n}.wpress" for n in range(1, 6)])
    assert sorted(listing["by_offset"]) == names and listing["total_count"] == 6
    assert sorted(listing["by_marker"]) == names
    assert listing["marker_pages"] == 3


def test_chunked_uploads(run: Run) -> None:
    """The SDK's own uploader (uploadBigFile; the classic getChunkedUploader), and a session by
    hand (create, parts, list, commit), give the file back with its SHA-1."""
    steps, digest = run.steps, run.digest
    uploaded = ok(steps, "chunked_sdk_uploader")
    assert (uploaded["size"], uploaded["sha1"]) == (BIG_BYTES, digest)
    by_hand = ok(steps, "chunked_session_by_hand")
    assert (by_hand["part_size"], by_hand["total_parts"], by_hand["parts"], by_hand["listed"]) \
        == (256 * 1024, 5, 5, 5)
    assert (by_hand["size"], by_hand["sha1"]) == (BIG_BYTES, digest)


def test_downloads_through_the_redirect(run: Run) -> None:
    steps, fake, digest = run.steps, run.fake, run.digest
    assert ok(steps, "download_small")["sha1"] == ok(steps, "upload_small")["sha1"]
    downloaded = ok(steps, "download_big")
    assert (downloaded["size"], downloaded["sha1"]) == (BIG_BYTES, digest)
    assert len(fake.seen("get", "/files/{file_id}/content", 302)) == 2


def test_delete_then_404(run: Run) -> None:
    """A deleted file is in the trash (Box's 404 `trashed`); an unknown id is 404 not_found."""
    steps = run.steps
    ok(steps, "delete_file")
    trashed, missing = failed(steps, "deleted_file_is_404"), failed(steps, "missing_file_is_404")
    assert (trashed["status"], trashed["code"]) == (404, "trashed")
    assert (missing["status"], missing["code"]) == (404, "not_found")
    ok(steps, "delete_folder")


def test_bad_token_is_401(run: Run) -> None:
    """The fake's 401 (Box's: an empty body and a challenge). box-typescript-sdk-gen then tries
    to refresh a developer token, which it cannot; the classic SDK says the auth expired."""
    error = failed(run.steps, "bad_token")
    if run.sdk == GEN:
        assert error["kind"] == "BoxSdkError"
        assert "Developer token has expired" in error["message"]
    else:
        assert error["status"] == 401 and error["message"].startswith("Expired Auth")
    assert run.fake.seen("get", "/users/me", 401)


def test_429_past_the_sdks_attempts(run: Run) -> None:
    """A file answering 429 every time: the SDK gives up after its attempts, and its error has
    Box's code and the retry-after header."""
    error = failed(run.steps, "rate_limited")
    assert (error["status"], error["code"], error["retry_after"]) == \
        (429, "rate_limit_exceeded", str(RETRY_AFTER_S))
    limited = [a for a in run.fake.seen("get", "/files/{file_id}", 429)
               if a.body and a.body.get("code") == "rate_limit_exceeded"]
    assert len(limited) == ATTEMPTS[run.sdk]


def test_the_sdks_do_not_wait_retry_after(run: Run) -> None:
    """A finding in both SDKs, not the fake: neither waits Box's `retry-after`.

    box-typescript-sdk-gen 1.19 looks up `Retry-After` in node-fetch's lower-cased headers and
    misses it (as box-sdk-gen does in Python), and its own backoff hands seconds to setTimeout
    as milliseconds (2^n x 1 x jitter). The classic box-node-sdk 4.15 asks
    `response.hasOwnProperty('headers')`, false on Node 20 (IncomingMessage.headers is a getter
    on the prototype), so it falls back to its retryIntervalMS backoff. Either way the retries
    of a 429 asking for 5 s are over in well under 5 s."""
    steps = run.steps
    assert steps["rate_limited"]["ms"] < RETRY_AFTER_S * 1000
    assert steps["users_me"]["ok"] and steps["users_me"]["ms"] < RETRY_AFTER_S * 1000


def test_nothing_but_the_fake_was_contacted(run: Run) -> None:
    """The script's guard: connections only to the fake's two loopback listeners, no DNS."""
    box = run.fake.box
    ports = {box.url.rsplit(":", 1)[1], box.download_url.rsplit(":", 1)[1]}
    assert run.network["lookups"] == []
    assert {c.split()[1] for c in run.network["connections"]} == {f"127.0.0.1:{p}" for p in ports}
