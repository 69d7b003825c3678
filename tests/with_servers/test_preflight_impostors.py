"""A corpus of impostors in Box's place, real servers on loopback: no check that speaks for the
server passes against any of them, the run fails (exit 1), and every problem says what to do.

    plain-200         `200 ok` for every request (`selftest serve curl-0`)
    captive-portal    an HTML login page (a hotel Wi-Fi), over http
    portal-https      the same portal over https, with a certificate for another name
    other-api         JSON of another API (a GitHub-style 404 document)
    http-not-https    an https base answered in plain HTTP
    stalling-proxy    a proxy that accepts and never answers CONNECT

dns and proxy judge this machine (its resolver, its proxy settings), not the server: they may
pass. tls, clock, token and quota must not.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from selftest.cli import main
from selftest.faults import start_fault

DATE = "Date: Tue, 01 Dec 2026 12:00:00 GMT\r\n"
PORTAL = ("<!DOCTYPE html><html><head><title>Welcome to Hotel Wi-Fi</title></head><body>"
          "<form action=/login><input name=room><input name=surname></form></body></html>")
OTHER_API = json.dumps({"message": "Not Found",
                        "documentation_url": "https://docs.github.com/rest"})
SPEAK_FOR_THE_SERVER = ("tls", "clock", "token", "quota")


def reply(status: str, content_type: str, body: str) -> str:
    return (f"HTTP/1.1 {status}\r\n{DATE}Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}")


@contextlib.contextmanager
def impostor(kind: str) -> Iterator[list[str]]:
    """Start the impostor; yield the preflight arguments that point at it."""
    if kind in ("plain-200", "captive-portal", "other-api", "http-not-https"):
        answer = {"plain-200": reply("200 OK", "text/plain", "ok"),
                  "captive-portal": reply("200 OK", "text/html", PORTAL),
                  "other-api": reply("404 Not Found", "application/json", OTHER_API),
                  "http-not-https": reply("200 OK", "text/plain", "ok")}[kind]
        with start_fault("raw-reply", reply=answer) as server:
            scheme = "https" if kind == "http-not-https" else "http"
            base = f"{scheme}://127.0.0.1:{server.urls['port']}"
            yield ["--api-base", base, "--upload-base", base + "/api"]
    elif kind == "portal-https":
        with start_fault("tls-wrong-host") as server:
            port = server.urls["port"]
            yield ["--api-base", f"https://api.box.com:{port}",
                   "--upload-base", f"https://upload.box.com:{port}/api",
                   "--resolve", f"api.box.com:{port}:127.0.0.1",
                   "--resolve", f"upload.box.com:{port}:127.0.0.1", "--cacert", server.urls["ca"]]
    else:
        with start_fault("stall") as server:
            yield ["--api-base", "https://api.box.com", "--upload-base",
                   "https://upload.box.com/api", "--resolve", "api.box.com:443:127.0.0.1",
                   "--resolve", "upload.box.com:443:127.0.0.1", "--proxy", server.urls["url"]]


KINDS = ["plain-200", "captive-portal", "portal-https", "other-api", "http-not-https",
         "stalling-proxy"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_no_check_passes_an_impostor(kind: str, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Against each impostor tls, clock, token and quota never pass; exit 1; remedies say what
    to do (never empty, never 'See the diagnosis')."""
    monkeypatch.setenv("BOX_ACCESS_TOKEN", "t0ken-for-impostors")
    for variable in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    with impostor(kind) as argv:
        status = main(["preflight", "--json", "--timeout", "3", "--backup-size", "1G", *argv])
    checks: dict[str, dict[str, Any]] = {
        c["check"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert status == 1, checks
    for name in SPEAK_FOR_THE_SERVER:
        assert checks[name]["status"] != "pass", (name, checks[name]["summary"])
    assert "verified" not in checks["tls"]["summary"].replace("nothing is encrypted or verified",
                                                              "")
    assert "accepted" not in checks["quota"]["summary"]
    for check in checks.values():
        if check["status"] in ("fail", "warn"):
            assert check["remedy"], check
            assert "See the diagnosis" not in check["remedy"]


@pytest.mark.parametrize(("kind", "words"), [
    ("plain-200", "non-JSON body"), ("captive-portal", "HTML page"),
    ("other-api", "HTML page|JSON of another shape"),
])
def test_token_names_what_answered(kind: str, words: str, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The token check says something that is not Box answers, and what it was."""
    monkeypatch.setenv("BOX_ACCESS_TOKEN", "t0ken-for-impostors")
    with impostor(kind) as argv:
        main(["preflight", "--json", "--timeout", "3", "--only", "token", *argv])
    token = json.loads(capsys.readouterr().out)["checks"][0]
    assert "something that is not Box answers for 127.0.0.1" in token["summary"]
    assert any(w in token["summary"] for w in words.split("|"))
