"""An origin server that refuses what it is told to refuse: HTTP statuses produced by behaviour.

    picky-origin   Python's own http.server answering JSON, which already answers 501 to a
                   method it does not implement and 414 to a request line over 64 KiB. On top:
                   `produces`         406 when the request's Accept excludes this media type
                   `refuse_expect`    417 to `Expect: 100-continue` (http.server's documented
                                      hook, handle_expect_100, as a gateway that cannot relay it)
                   `refuse_http10`    505 to an HTTP/1.0 request line (a server speaking 1.1 only)
                   `read_timeout_ms`  408 when the request body does not arrive in time

It gives `{url}`, `{host}`, `{port}`, `{hostport}`. These are a server's real answers to a real
request; none of them is written in advance.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from selftest.faults import register

_LOOPBACK = "127.0.0.1"


class _Handler(BaseHTTPRequestHandler):
    """Answers GET/POST/PUT/DELETE/OPTIONS with a small JSON document, or refuses."""

    protocol_version = "HTTP/1.1"
    settings: ClassVar[dict[str, Any]] = {}

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if self.settings.get("refuse_http10") and self.request_version == "HTTP/1.0":
            self.send_error(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP/1.1 or later only")
            return False
        return True

    def handle_expect_100(self) -> bool:
        if self.settings.get("refuse_expect"):
            self.send_error(HTTPStatus.EXPECTATION_FAILED, "Expect is not supported")
            return False
        return super().handle_expect_100()

    def _answer(self) -> None:
        produces = str(self.settings.get("produces", ""))
        if produces and not _accepts(self.headers.get("Accept", "*/*"), produces):
            self.send_error(HTTPStatus.NOT_ACCEPTABLE, f"Only {produces} is available")
            return
        if not self._read_body():
            self.send_error(HTTPStatus.REQUEST_TIMEOUT, "The request body did not arrive")
            self.close_connection = True
            return
        body = json.dumps({"ok": True}).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = _answer

    def _read_body(self) -> bool:
        """Read the body within read_timeout_ms; False when the client stalled."""
        length = int(self.headers.get("Content-Length") or 0)
        timeout_ms = int(self.settings.get("read_timeout_ms", 0))
        self.connection.settimeout(timeout_ms / 1000 if timeout_ms else 5.0)
        try:
            while length > 0:
                chunk = self.rfile.read1(min(length, 65536))
                if not chunk:
                    return False
                length -= len(chunk)
        except TimeoutError:
            return False
        return True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a fault server prints nothing; the scenario's result says what happened


def _accepts(accept: str, produces: str) -> bool:
    kind = produces.split("/", 1)[0]
    ranges = {part.split(";", 1)[0].strip().lower() for part in accept.split(",")}
    return bool(ranges & {"*/*", f"{kind}/*", produces.lower()})


@register("picky-origin")
class PickyOrigin:
    """http.server on 127.0.0.1 with the refusals its attributes switch on."""

    def __init__(self, *, produces: str = "", refuse_expect: bool = False,
                 refuse_http10: bool = False, read_timeout_ms: int = 0, port: int = 0) -> None:
        self.settings = {"produces": produces, "refuse_expect": refuse_expect,
                         "refuse_http10": refuse_http10, "read_timeout_ms": read_timeout_ms}
        self.port = port
        self.urls: dict[str, str] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        handler = type("PickyHandler", (_Handler,), {"settings": dict(self.settings)})
        server = ThreadingHTTPServer((_LOOPBACK, self.port), handler)
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        hostport = f"{_LOOPBACK}:{self.port}"
        self.urls = {"url": f"http://{hostport}", "host": _LOOPBACK, "port": str(self.port),
                     "hostport": hostport}
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"picky-origin:{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=2)
