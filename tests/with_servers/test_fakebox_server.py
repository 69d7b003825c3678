"""The fake over real loopback sockets: plain HTTP, TLS with the trustme CA, concurrency,
and the `serve` backend."""

from __future__ import annotations

import argparse
import io
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from selftest import fakebox
from selftest.fakebox import serve


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_users_me_over_http() -> None:
    """GET /2.0/users/me over loopback HTTP returns the configured quota."""
    with fakebox.running(space_amount=1000, space_used=10, max_upload_size=500) as box, \
            requests.Session() as http:
        response = http.get(box.url + "/2.0/users/me", headers=_auth(box.token), timeout=5)
        assert response.status_code == 200
        body = response.json()
        assert (body["space_amount"], body["space_used"], body["max_upload_size"]) == \
            (1000, 10, 500)
        assert box.state.errors == []


def test_configured_token_and_401_over_http() -> None:
    """The token given to running() is accepted; a wrong one gets 401 with the challenge."""
    with fakebox.running(token="fixed-token") as box, requests.Session() as http:
        assert box.token == "fixed-token"
        assert http.get(box.url + "/2.0/users/me", headers=_auth("fixed-token"),
                        timeout=5).status_code == 200
        bad = http.get(box.url + "/2.0/users/me", headers=_auth("nope"), timeout=5)
        assert bad.status_code == 401 and bad.content == b""
        assert "invalid_token" in bad.headers["WWW-Authenticate"]


def test_lowercase_retry_after_on_the_wire() -> None:
    """The 429's retry-after header name is lower-case in the raw response."""
    with fakebox.running(requests_per_window=1) as box, requests.Session() as http:
        http.get(box.url + "/2.0/users/me", headers=_auth(box.token), timeout=5)
        limited = http.get(box.url + "/2.0/users/me", headers=_auth(box.token), timeout=5)
        assert limited.status_code == 429
        assert "retry-after" in [name for name, _ in limited.raw.headers.items()]


def test_upload_over_http_to_upload_url() -> None:
    """A multipart upload to box.upload_url creates the file."""
    with fakebox.running() as box, requests.Session() as http:
        response = http.post(box.upload_url + "/2.0/files/content", headers=_auth(box.token),
                             files={"attributes": (None, '{"name": "a.wpress", "parent": '
                                                         '{"id": "0"}}'),
                                    "file": ("a.wpress", b"backup")}, timeout=5)
        assert response.status_code == 201
        assert response.json()["entries"][0]["size"] == 6


def test_tls_with_the_trustme_ca() -> None:
    """With tls=True the fake serves HTTPS whose chain verifies against box.ca."""
    with fakebox.running(tls=True) as box, requests.Session() as http:
        assert box.url.startswith("https://127.0.0.1:") and box.ca is not None
        response = http.get(box.url + "/2.0/users/me", headers=_auth(box.token),
                            verify=box.ca, timeout=5)
        assert response.status_code == 200
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
        token = http.post(box.token_url, data={"grant_type": "password"}, verify=box.ca,
                          timeout=5)
        assert token.json()["error"] == "invalid_request"
        ca_path = box.ca
    assert not os.path.exists(ca_path)


def test_tls_refused_without_the_ca() -> None:
    """A client that does not trust the test CA fails verification."""
    with fakebox.running(tls=True) as box, requests.Session() as http:
        try:
            http.get(box.url + "/2.0/users/me", timeout=5)
        except requests.exceptions.SSLError:
            return
        raise AssertionError("the fake's certificate verified without its CA")


def test_concurrent_creates_get_name_temporarily_reserved() -> None:
    """Two concurrent creates of one name: one 201, the other 409 name_temporarily_reserved."""
    with fakebox.running(create_processing_ms=400) as box, requests.Session() as http:
        def create(_: int) -> requests.Response:
            return http.post(box.url + "/2.0/folders", headers=_auth(box.token), timeout=5,
                             json={"name": "race", "parent": {"id": "0"}})

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(create, range(2)))
        statuses = sorted(r.status_code for r in results)
        assert statuses == [201, 409]
        refused = next(r for r in results if r.status_code == 409)
        assert refused.json()["code"] == "name_temporarily_reserved"
        again = create(3)
        assert again.json()["code"] == "item_name_in_use"


def test_clock_offset_shows_in_date_header() -> None:
    """running(clock_offset_s=...) shifts the Date header by that much."""
    with fakebox.running(clock_offset_s=-600) as box, requests.Session() as http:
        response = http.get(box.url + "/2.0/users/me", headers=_auth(box.token), timeout=5)
        sent = time.mktime(time.strptime(response.headers["Date"],
                                         "%a, %d %b %Y %H:%M:%S GMT")) - time.timezone
        assert abs(sent - (time.time() - 600)) < 5


def test_jwt_grant_over_http() -> None:
    """A JWT app created on the running fake gets a token at box.token_url."""
    with fakebox.running() as box, requests.Session() as http:
        app = box.create_jwt_app()
        response = http.post(box.token_url, data=app.form(app.assertion()), timeout=5)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
        assert http.get(box.url + "/2.0/users/me", timeout=5,
                        headers=_auth(response.json()["access_token"])).status_code == 200


def test_refresh_token_of_running_box() -> None:
    """box.refresh_token refreshes once with the default app's credentials."""
    with fakebox.running() as box, requests.Session() as http:
        form = {"grant_type": "refresh_token", "refresh_token": box.refresh_token,
                "client_id": box.client_id, "client_secret": box.client_secret}
        assert http.post(box.token_url, data=form, timeout=5).status_code == 200
        assert http.post(box.token_url, data=form, timeout=5).json()["error"] == "invalid_grant"


def _args(**overrides: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    serve.add_arguments(parser)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args([])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


def test_serve_options_parse() -> None:
    """serve.add_arguments adds the fake's options and no --port."""
    parser = argparse.ArgumentParser()
    serve.add_arguments(parser)
    args = parser.parse_args(["--tls", "--clock-offset", "-30", "--token", "t",
                              "--space-amount", "100", "--space-used", "5",
                              "--max-upload-size", "50", "--latency-ms", "3"])
    assert (args.tls, args.clock_offset, args.token, args.space_amount, args.space_used,
            args.max_upload_size, args.latency_ms) == (True, -30.0, "t", 100, 5, 50, 3)
    assert not hasattr(args, "port")


def test_serve_session_and_content_flags_reach_config() -> None:
    """--max-sessions, --session-ttl-s, --commit-delay-s, --spool-max-bytes, ... set Config."""
    parser = argparse.ArgumentParser()
    serve.add_arguments(parser)
    args = parser.parse_args(["--max-sessions", "500", "--session-ttl-s", "60",
                              "--session-idle-evict-s", "5", "--commit-delay-s", "2",
                              "--spool-max-bytes", "1000", "--no-retain-content"])
    assert serve._config(args) == {
        "max_sessions": 500, "session_ttl_s": 60.0, "session_idle_evict_s": 5.0,
        "commit_processing_s": 2.0, "spool_max_bytes": 1000, "retain_content": False}


class _FirstLine(io.StringIO):
    """Captures output and signals when the first line arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.ready = threading.Event()

    def write(self, text: str) -> int:
        written = super().write(text)
        if "\n" in self.getvalue():
            self.ready.set()
        return written


def test_serve_run_prints_json_then_serves_until_stopped() -> None:
    """run() prints every URL and credential as JSON first, serves, and returns 0 when stopped;
    the JWT config it wrote (0600) is gone afterwards."""
    stop, out = threading.Event(), _FirstLine()
    result: list[int] = []
    args = _args(token="serve-token", space_amount=123)
    worker = threading.Thread(target=lambda: result.append(serve.run(args, stop=stop, out=out)))
    worker.start()
    try:
        assert out.ready.wait(10)
        info = json.loads(out.getvalue().splitlines()[0])
        assert set(info) >= {"url", "upload_url", "token_url", "download_url", "control_url",
                             "ca", "token", "refresh_token", "client_id", "client_secret",
                             "enterprise_id", "user_id", "login", "jwt_config", "hosts"}
        assert info["ca"] is None and "simulated" in info["what"]
        assert "dl.boxcloud.com" in info["hosts"] and "api.box.com" in info["hosts"]
        config_path = Path(info["jwt_config"])
        assert (config_path.stat().st_mode & 0o777) == 0o600
        config = json.loads(config_path.read_text(encoding="utf-8"))
        assert config["boxAppSettings"]["appAuth"]["passphrase"]
        with requests.Session() as http:
            me = http.get(info["url"] + "/2.0/users/me", headers=_auth(info["token"]), timeout=5)
            assert me.json()["space_amount"] == 123
            assert me.json()["id"] == info["user_id"]
            refreshed = http.post(info["token_url"], data={
                "grant_type": "refresh_token", "refresh_token": info["refresh_token"],
                "client_id": info["client_id"], "client_secret": info["client_secret"]},
                timeout=5)
            assert refreshed.status_code == 200
            control = http.get(info["control_url"] + "/settings", timeout=5).json()
            assert control["space_amount"] == 123
    finally:
        stop.set()
        worker.join(10)
    assert result == [0]
    assert not config_path.exists()


def test_accepted_connections_send_without_nagle_delay() -> None:
    """Every accepted connection has TCP_NODELAY, so a kept-alive reply is not held ~40 ms."""
    import socket

    from selftest.fakebox.server import _QuietHandler

    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        conn, _ = listener.accept()
        with client, conn:
            handler = _QuietHandler.__new__(_QuietHandler)
            handler.request = conn
            handler.setup()
            assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            handler.finish()
