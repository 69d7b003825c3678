"""Run the fake on loopback: `with running(...) as box:` for tests and for `selftest serve`.

The server binds 127.0.0.1 on port 0 (the OS picks a free port), serves from a daemon thread
with werkzeug's threaded server, and is always shut down on exit. With `tls=True` a trustme CA
issues a certificate for 127.0.0.1, localhost, ::1, api.box.com and upload.box.com — so a client
can pin Box's real names to loopback (libcurl RESOLVE) and still verify the chain — and the CA
PEM is written to a temporary directory removed on exit.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme
from werkzeug.serving import WSGIRequestHandler, make_server

from .app import FakeBoxApp
from .jwtapp import JwtApp, create_jwt_app
from .state import Config, State

CERT_NAMES = ("127.0.0.1", "localhost", "::1", "api.box.com", "upload.box.com")


class _QuietHandler(WSGIRequestHandler):
    """No per-request log lines on stderr, and no second Date header.

    http.server's send_response adds its own `Date` from the real clock; the app already sent
    one from the fake's clock, and a clock-skew check must see only that one.
    """

    def send_response(self, code: int, message: str | None = None) -> None:
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def log_error(self, format: str, *args: Any) -> None:
        pass  # werkzeug logs http.server's own refusals (414, 431) here; the client sees them


@dataclass
class RunningBox:
    """A live fake: where it listens, and its state for tests to steer."""

    url: str
    upload_url: str
    token_url: str
    ca: str | None
    token: str
    refresh_token: str
    state: State

    @property
    def client_id(self) -> str:
        return self.state.default_app.client_id

    @property
    def client_secret(self) -> str:
        return self.state.default_app.client_secret

    def create_jwt_app(self, *, approved: bool = True) -> JwtApp:
        """Register a JWT app (key pair, public key id) whose assertions this fake accepts."""
        return create_jwt_app(self.state, approved=approved)


def _tls_context(directory: Path) -> tuple[ssl.SSLContext, str]:
    ca = trustme.CA()
    leaf = ca.issue_cert(*CERT_NAMES)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # Box refuses TLS 1.0/1.1
    leaf.configure_cert(context)
    ca_path = directory / "fakebox-ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    return context, str(ca_path)


def _state(clock_offset_s: float, token: str | None, quota: dict[str, int | None],
           config: dict[str, Any]) -> tuple[State, str, str]:
    state = State.create(clock_offset_s=clock_offset_s, config=Config(**config))
    user = state.main_user
    for name, value in quota.items():
        if value is not None:
            setattr(user, name, value)
    access = state.tokens.issue_access(user.id, token=token)
    refresh = state.tokens.issue_refresh(user.id, state.default_app.client_id)
    return state, access, refresh


@contextmanager
def running(*, tls: bool = False, clock_offset_s: float = 0.0, token: str | None = None,
            space_amount: int | None = None, space_used: int | None = None,
            max_upload_size: int | None = None, latency_ms: int = 0, port: int = 0,
            **config: Any) -> Iterator[RunningBox]:
    """Serve a fresh fake Box until the block ends. `config` sets any `state.Config` field."""
    state, access, refresh = _state(
        clock_offset_s, token, {"space_amount": space_amount, "space_used": space_used,
                                "max_upload_size": max_upload_size},
        {"latency_ms": latency_ms, **config})
    directory = Path(tempfile.mkdtemp(prefix="fakebox-"))
    try:
        context, ca = _tls_context(directory) if tls else (None, None)
        server = make_server("127.0.0.1", port, FakeBoxApp(state), threaded=True,
                             request_handler=_QuietHandler, ssl_context=context)
        # A short poll interval keeps shutdown quick (the default waits up to 0.5 s).
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  name="fakebox", daemon=True)
        thread.start()
        try:
            url = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_port}"
            yield RunningBox(url, url + "/api", url + "/oauth2/token", ca, access, refresh,
                             state)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
