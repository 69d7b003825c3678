"""Run the fake on loopback: `with running(...) as box:` for tests and for `selftest serve`.

The server binds 127.0.0.1 on port 0 (the OS picks a free port), serves from a daemon thread
with werkzeug's threaded server, and is always shut down on exit. With `tls=True` a trustme CA
issues a certificate for 127.0.0.1, localhost, ::1, api.box.com and upload.box.com — so a client
can pin Box's real names to loopback (libcurl RESOLVE) and still verify the chain — and the CA
PEM is written to a temporary directory removed on exit.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import socket
import ssl
import struct
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

import trustme
from werkzeug.serving import WSGIRequestHandler, make_server

from .app import ABORT, FakeBoxApp, RequestHook
from .control import ControlApp
from .jwtapp import JwtApp, create_jwt_app
from .record import ResponseHook
from .runtime import read_settings
from .state import Config, State

#: Box's host names a client may pin to loopback (box-api-facts.md §6), and loopback itself.
CERT_NAMES = ("127.0.0.1", "localhost", "::1", "api.box.com", "upload.box.com",
              "upload.app.box.com", "account.box.com", "dl.boxcloud.com", "public.boxcloud.com")
#: Seconds an idle keep-alive connection stays open.
IDLE_TIMEOUT_S = 30
#: Unread request-body bytes read and dropped after a response to keep the connection; more
#: than this and the connection is closed instead.
MAX_DRAIN_BYTES = 64 * 1024 * 1024


class _QuietHandler(WSGIRequestHandler):
    """Keep-alive, Box's reason phrases, no per-request log lines, and no second Date header.

    werkzeug's handler closes every connection (it cannot drain a request body it did not
    read); Box keeps connections alive, and connection-reuse bugs are worth reproducing. So the
    request body is wrapped in `_Body`, limited to its Content-Length (or to the end of its
    chunks), and werkzeug's after-response drain reads only what is left of THAT body — never
    the next request — and `Connection: close` is sent only when the client asked for it
    (or spoke HTTP/1.0). An idle connection is closed after `IDLE_TIMEOUT_S`.

    http.server's send_response adds its own `Date` from the real clock; the app already sent
    one from the fake's clock, and a clock-skew check must see only that one. Status lines
    carry the standard reason phrase (`404 Not Found`), not werkzeug's upper-case one.
    """

    timeout = IDLE_TIMEOUT_S
    _socket_rfile: Any = None

    def setup(self) -> None:
        # http.server writes the headers and the body in separate send()s; on a kept-alive
        # connection Nagle holds the body until the client's delayed ACK (~40 ms on Linux),
        # which skewed every round trip (and the clock check's bisection). Box answers at once.
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def make_environ(self) -> Any:
        environ = super().make_environ()
        self._socket_rfile = self.rfile
        if environ.get("wsgi.input_terminated"):
            body = _Body(environ["wsgi.input"], None)
        else:
            length = environ.get("CONTENT_LENGTH", "")
            body = _Body(self.rfile, int(length) if length.isdigit() else 0)
        environ["wsgi.input"] = body
        self.rfile = body  # type: ignore[assignment]  # werkzeug's drain reads this body only
        return environ

    def run_wsgi(self) -> None:
        try:
            super().run_wsgi()
        finally:
            socket_rfile = getattr(self, "_socket_rfile", None)
            if socket_rfile is not None:
                body: _Body = self.rfile  # type: ignore[assignment]
                if not body.drain(MAX_DRAIN_BYTES):
                    self.close_connection = True  # too much left unread: close, never misparse
                self.rfile = socket_rfile
                self._socket_rfile = None

    def send_response(self, code: int, message: str | None = None) -> None:
        abort = getattr(self, "environ", {}).get(ABORT)
        if abort is not None:  # a control-API fault: no answer at all
            self.close_connection = True
            if abort == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))  # close() sends RST
                raise ConnectionResetError("fault: connection reset")
            raise ConnectionAbortedError("fault: connection closed without an answer")
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = message or ""
        self.send_response_only(code, phrase)

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "connection" and value.lower() == "close" \
                and not self.close_connection:
            return  # keep-alive: the client did not ask to close
        super().send_header(keyword, value)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def log_error(self, format: str, *args: Any) -> None:
        pass  # werkzeug logs http.server's own refusals (414, 431) here; the client sees them


class _Body(io.RawIOBase):
    """One request's body: at most `length` bytes of `stream` (None: `stream` ends itself)."""

    def __init__(self, stream: Any, length: int | None) -> None:
        super().__init__()
        self._stream, self._left = stream, length
        self._ended = False

    @property
    def finished(self) -> bool:
        """True when every byte of the body has been read."""
        return self._left == 0 if self._left is not None else self._ended

    def readable(self) -> bool:
        return True

    def drain(self, limit: int) -> bool:
        """Read and drop what is left of the body, up to `limit` bytes; True when all of it."""
        while not self.finished and limit > 0:
            try:
                chunk = self.read(min(limit, 1024 * 1024))
            except (OSError, ValueError):
                return False
            if not chunk:
                break
            limit -= len(chunk)
        return self.finished

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = len(view) if self._left is None else min(len(view), self._left)
        if want <= 0:
            return 0
        data = self._stream.read(want)
        if not data:
            self._ended = True
            return 0
        view[:len(data)] = data
        if self._left is not None:
            self._left -= len(data)
        return len(data)


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
    #: The download host (Box: dl.boxcloud.com), a listener of its own.
    download_url: str = ""
    #: The control API (control.py), when running(control_port=...) asked for one.
    control_url: str = ""

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
            download_port: int = 0, control_port: int | None = None,
            on_response: ResponseHook | None = None, on_request: RequestHook | None = None,
            **config: Any) -> Iterator[RunningBox]:
    """Serve a fresh fake Box until the block ends. `config` sets any `state.Config` field.

    Two listeners share one app: the API (and upload) host on `port`, and the download host
    on `download_port`, where GET /files/{id}/content redirects. With `control_port` (0: any)
    a third serves the control API (control.py) over plain HTTP on loopback.
    """
    state, access, refresh = _state(
        clock_offset_s, token, {"space_amount": space_amount, "space_used": space_used,
                                "max_upload_size": max_upload_size},
        {"latency_ms": latency_ms, **config})
    directory = Path(tempfile.mkdtemp(prefix="fakebox-"))
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, directory, ignore_errors=True)
        stack.callback(state.content.close)  # the spool of large files goes on stop
        context, ca = _tls_context(directory) if tls else (None, None)
        app = FakeBoxApp(state, on_response, on_request)
        api = stack.enter_context(_serving(app, port, context))
        dl = stack.enter_context(_serving(app, download_port, context))
        scheme = "https" if tls else "http"
        url = f"{scheme}://127.0.0.1:{api.server_port}"
        state.download_base = f"{scheme}://127.0.0.1:{dl.server_port}"
        control_url = ""
        if control_port is not None:
            control = stack.enter_context(_serving(ControlApp(state), control_port, None))
            control_url = f"http://127.0.0.1:{control.server_port}"
        stack.callback(state.stopping.set)  # first on exit: a stalled request lets go
        state.initial_settings = read_settings(state)
        yield RunningBox(url, url + "/api", url + "/oauth2/token", ca, access, refresh,
                         state, state.download_base, control_url)


@contextmanager
def _serving(app: Any, port: int, context: ssl.SSLContext | None) -> Iterator[Any]:
    """One threaded listener on 127.0.0.1:`port`, shut down and closed on exit."""
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_QuietHandler,
                         ssl_context=context)
    # A short poll interval keeps shutdown quick (the default waits up to 0.5 s).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"fakebox-{server.server_port}", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
