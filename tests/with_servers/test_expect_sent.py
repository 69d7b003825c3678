"""[expect.sent]: a scenario checks what the client sent, as the fault server recorded it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from php_here import needs_php

from selftest.clients.replay import php_replayer
from selftest.runner import Result, Runner
from selftest.scenario import load

HEAD = 'id = "{name}"\ndocuments = "{documents}"\ntitle = "t"\n'

BOX = """[server]
fault = "fakebox"
[client]
step = "box-sequence"
[[client.requests]]
method = "PATCH"
path = "/2.0/folders/0"
json = {{ name = "x" }}
[expect]
curl_code = [0]
http_status = 405
[expect.sent]
{sent}
"""

RAW = """[server]
fault = "raw-reply"
reply = "HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n"
[client]
url = "{{url}}/backup?part=1"
headers = {{ X-Backup = "nightly" }}
timeout_ms = 2000
[expect]
curl_code = [0]
http_status = 200
[expect.sent]
{sent}
"""


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    with Runner() as made:
        yield made


def run(runner: Runner, tmp_path: Path, name: str, body: str, documents: str) -> Result:
    path = tmp_path / f"{name}.toml"
    path.write_text(HEAD.format(name=name, documents=documents) + body, encoding="utf-8")
    return runner.run(load(path))


@pytest.mark.parametrize(("sent", "verdict"), [
    ('method = "PATCH"\nheaders = { Authorization = "Bearer *" }', "pass"),
    ('method = "POST"', "fail"),
    ('path = "/2.0/folders/1"', "fail"),
    ('headers = { Content-Type = "text/plain" }', "fail"),
    ('headers = { Authorization = "Basic *" }', "fail"),
])
def test_the_fake_box_records_what_the_client_sent(runner: Runner, tmp_path: Path, sent: str,
                                                   verdict: str) -> None:
    """Method, path and headers are compared with what the fake received; a mismatch fails."""
    result = run(runner, tmp_path, "box-sent", BOX.format(sent=sent), "http:405")
    assert result.verdict == verdict, result.reason
    if verdict == "fail":
        assert "no request matched [expect.sent]" in result.reason
        assert "PATCH /2.0/folders/0" in result.reason


@pytest.mark.parametrize(("sent", "verdict"), [
    ('method = "GET"\npath = "/backup"\nheaders = { X-Backup = "nightly" }', "pass"),
    ('path = "/backup?part=1"', "pass"),
    ('headers = { X-Backup = "weekly" }', "fail"),
    ('method = "PUT"', "fail"),
])
def test_raw_reply_records_the_request_head(runner: Runner, tmp_path: Path, sent: str,
                                            verdict: str) -> None:
    """raw-reply keeps the request heads it read, so a plain perform can pin its request."""
    result = run(runner, tmp_path, "raw-sent", RAW.format(sent=sent), "curl:0")
    assert result.verdict == verdict, result.reason


def test_a_server_that_records_nothing_fails_the_expectation(runner: Runner,
                                                             tmp_path: Path) -> None:
    """[expect.sent] on a fault that cannot tell what arrived is a failure saying so (nothing
    listens behind `refuse`)."""
    body = ('[server]\nfault = "refuse"\n[client]\nurl = "{url}/"\n'
            'timeout_ms = 2000\n[expect]\ncurl_code = [7]\n[expect.sent]\nmethod = "GET"\n')
    result = run(runner, tmp_path, "nothing", body, "curl:7")
    assert result.verdict == "fail"
    assert "records nothing the client sent" in result.reason


#: Socket faults that read the request head before misbehaving: each keeps what it read.
HEAD_READERS = {
    "close-without-reply": ('fault = "close-without-reply"', "", 52),
    "reset-after-bytes": ('fault = "reset-after-bytes"\n'
                          'reply = "HTTP/1.1 200 OK\\r\\nContent-Length: 100\\r\\n\\r\\nabc"\n'
                          "after_bytes = 41", "", 56),
    "tls-ok": ('fault = "tls-ok"', 'cainfo = "{ca}"\n', 0),
    "stall": ('fault = "stall"', "", 28),
}


@pytest.mark.parametrize("fault", sorted(HEAD_READERS))
@pytest.mark.parametrize(("sent", "verdict"), [
    ('method = "GET"\npath = "/backup"\nheaders = { X-Backup = "nightly" }', "pass"),
    ('path = "/restore"', "fail"),
])
def test_socket_faults_record_the_request_head(runner: Runner, tmp_path: Path, fault: str,
                                               sent: str, verdict: str) -> None:
    """A fault that reads the request before it closes, resets, answers over TLS or stalls
    records it: a scenario can pin what its client sent to each."""
    server, client, code = HEAD_READERS[fault]
    body = (f"[server]\n{server}\n[client]\nurl = \"{{url}}/backup?part=1\"\n{client}"
            'headers = { X-Backup = "nightly" }\ntimeout_ms = 1000\n'
            f"[expect]\ncurl_code = [{code}]\n[expect.sent]\n{sent}\n")
    result = run(runner, tmp_path, f"{fault}-sent", body, f"curl:{code}")
    assert result.verdict == verdict, result.reason
    if verdict == "fail":
        assert "GET /backup?part=1 (" in result.reason and "X-Backup" in result.reason


@needs_php
@pytest.mark.parametrize(("sent", "verdict"), [
    ('method = "PATCH"\nheaders = { Authorization = "Bearer *" }', "pass"),
    ('method = "POST"', "fail"),
])
def test_another_client_is_held_to_what_it_sent(runner: Runner, tmp_path: Path, sent: str,
                                               verdict: str) -> None:
    """Replayed through PHP's curl_*, the requests PHP sent are compared with [expect.sent]."""
    path = tmp_path / "php-sent.toml"
    path.write_text(HEAD.format(name="php-sent", documents="http:405") + BOX.format(sent=sent),
                    encoding="utf-8")
    with php_replayer(runner) as replayer:
        result = replayer.run(load(path))
    assert result.verdict == verdict, result.reason
