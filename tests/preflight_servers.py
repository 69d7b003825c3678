"""Small loopback servers for the preflight tests: a scriptable Box-like API, a TLS-intercepting
proxy, a DNS server, the two fake Boxes the end-to-end runs use, and the in-process `preflight
--json` run against one. Each binds 127.0.0.1 port 0 and stops in its context manager's exit.
(Helpers only: this module holds no tests.)
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import trustme
from dnslib import AAAA, QTYPE, RCODE, RR, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from selftest.cli import main
from selftest.fakebox.server import RunningBox, running

GB = 1024**3


def healthy_box() -> contextlib.AbstractContextManager[RunningBox]:
    """A fake Box over TLS with room to spare: 10 GB, 1 GB used, 5 GB files allowed."""
    return running(tls=True, space_amount=10 * GB, space_used=GB, max_upload_size=5 * GB)


def full_box() -> contextlib.AbstractContextManager[RunningBox]:
    """A fake Box over TLS whose account has 1000 bytes left."""
    return running(tls=True, space_amount=10 * GB, space_used=10 * GB - 1000)


def preflight_json(box: RunningBox, capsys: pytest.CaptureFixture[str], *extra: str,
                   token: str | None = None, cacert: bool = True
                   ) -> tuple[int, dict[str, dict[str, Any]]]:
    """`selftest preflight --json` in-process against `box` (its token unless `token`, its CA
    unless not `cacert`); (exit status, checks by name)."""
    argv = ["preflight", "--json", "--api-base", box.url, "--upload-base", box.upload_url,
            "--timeout", "30", *(["--cacert", box.ca or ""] if cacert else []), *extra]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BOX_ACCESS_TOKEN", token if token is not None else box.token)
        status = main(argv)
    return status, {c["check"]: c for c in json.loads(capsys.readouterr().out)["checks"]}

#: (method, path, headers, body) -> (status, headers, body)
Route = Callable[[str, str, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]


def not_found(method: str, path: str, headers: dict[str, str],
              body: bytes) -> tuple[int, dict[str, str], bytes]:
    return 404, {}, b""


@dataclass
class MiniBox:
    """A scriptable HTTP(S) server whose `Date` is `clock_offset_s` away from real time."""

    route: Route = not_found
    clock_offset_s: float = 0.0
    ca: trustme.CA | None = None
    latency_ms: float = 0.0
    requests: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        box = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def date_time_string(self, timestamp: float | None = None) -> str:
                return email.utils.formatdate(time.time() + box.clock_offset_s, usegmt=True)

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                box.requests.append((self.command, self.path))
                if box.latency_ms:
                    time.sleep(box.latency_ms / 1000)
                status, headers, payload = box.route(self.command, self.path,
                                                     dict(self.headers.items()), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_HEAD = do_POST = do_OPTIONS = _any

        return Handler


@contextlib.contextmanager
def serve_minibox(box: MiniBox, host: str = "127.0.0.1") -> Iterator[MiniBox]:
    server = ThreadingHTTPServer((host, 0), box.handler())
    server.daemon_threads = True
    scheme = "http"
    if box.ca is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        box.ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    box.url = f"{scheme}://{host}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()


def _relay(a: socket.socket, b: socket.socket) -> None:
    try:
        while True:
            ready, _, _ = select.select([a, b], [], [], 5)
            if not ready:
                return
            for source in ready:
                data = source.recv(65536)
                if not data:
                    return
                (b if source is a else a).sendall(data)
    except (OSError, ValueError):  # ValueError: select() on a socket __exit__ has closed
        return


#: How long an intercepting-proxy handler waits for a peer (so __exit__ waits at most this long).
HANDLER_TIMEOUT_S = 5.0


class InterceptingProxy:
    """An HTTP CONNECT proxy that terminates TLS with its own CA, as a TLS-inspecting box does."""

    def __init__(self) -> None:
        self.ca = trustme.CA(organization_name="Inspection CA")
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = False
        self._lock = threading.Lock()
        self._open: list[ssl.SSLSocket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._handlers: list[threading.Thread] = []

    def _handle(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError, ssl.SSLError), client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            target = head.split(b" ")[1].decode()
            host, _, port = target.rpartition(":")
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ca.issue_cert(host.strip("[]"), "127.0.0.1").configure_cert(context)
            # Closed on every way out, also when the upstream refuses.
            with context.wrap_socket(client, server_side=True) as inner:
                if not self._keep(inner):
                    return
                upstream_ctx = ssl.create_default_context()
                upstream_ctx.check_hostname = False
                upstream_ctx.verify_mode = ssl.CERT_NONE
                with socket.create_connection((host.strip("[]"), int(port)), timeout=5) as raw, \
                        upstream_ctx.wrap_socket(raw, server_hostname=host.strip("[]")) as upstream:
                    _relay(inner, upstream)

    def _keep(self, inner: ssl.SSLSocket) -> bool:
        """Let __exit__ close `inner` (it wakes the relay); False once the proxy has stopped."""
        with self._lock:
            if not self._stop:
                self._open.append(inner)
            return not self._stop

    def _serve(self) -> None:
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            client.settimeout(HANDLER_TIMEOUT_S)
            handler = threading.Thread(target=self._handle, args=(client,), daemon=True)
            with self._lock:
                self._handlers.append(handler)
            handler.start()

    def __enter__(self) -> InterceptingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._stop = True
            still_open, self._open = self._open, []
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes accept(); close() alone does not
        self.listener.close()
        self._thread.join(timeout=2)
        for inner in still_open:
            with contextlib.suppress(OSError):
                inner.shutdown(socket.SHUT_RDWR)  # wakes the relay's select()
            inner.close()
        # Wait for the handlers while the test's upstream still runs. A handler that reached
        # the upstream only after the test had stopped it got a reset in the middle of
        # wrap_socket(), which (CPython 3.11) raises without closing the SSLSocket it made:
        # an unclosed-socket ResourceWarning, an error under warnings-as-errors, in whichever
        # test ran next.
        for handler in self._handlers:
            handler.join(timeout=HANDLER_TIMEOUT_S + 1)


class ZoneResolver(BaseResolver):  # type: ignore[misc]
    """Answers from a table: name -> list of addresses, or an RCODE name, or "drop"."""

    def __init__(self, zone: dict[str, list[str] | str]) -> None:
        self.zone = {k.rstrip(".").lower(): v for k, v in zone.items()}

    def resolve(self, request: Any, handler: Any) -> Any:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        entry = self.zone.get(name, "NXDOMAIN")
        if entry == "drop":
            time.sleep(1.2)  # longer than the test's lookup timeout: the client gives up first
            return reply
        if isinstance(entry, str):
            reply.header.rcode = getattr(RCODE, entry)
            return reply
        for address in entry:
            if ":" in address and request.q.qtype == QTYPE.AAAA:
                reply.add_answer(RR(request.q.qname, QTYPE.AAAA, rdata=AAAA(address), ttl=60))
            elif ":" not in address and request.q.qtype == QTYPE.A:
                reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A(address), ttl=60))
        return reply


@contextlib.contextmanager
def dns_server(zone: dict[str, list[str] | str]) -> Iterator[int]:
    """A dnslib DNSServer on 127.0.0.1 (UDP, port 0); yields its port."""
    server = DNSServer(ZoneResolver(zone), port=0, address="127.0.0.1",
                       logger=DNSLogger(logf=lambda _: None))
    # Not start_thread(): its serve_forever polls for shutdown every 0.5 s, which stop() then
    # waits out; at 0.05 s a test no longer spends half a second ending its server.
    thread = threading.Thread(target=server.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server.server_address[1]
    finally:
        server.stop()
        thread.join()
        server.server.server_close()
