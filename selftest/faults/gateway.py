"""A forwarding HTTP proxy with an upstream timeout, in front of an upstream that never answers.

    gateway-upstream-stalled   the host's proxy as a client sees it: it forwards a plain-HTTP
                               request (absolute-form, as libcurl sends it through a proxy) to
                               127.0.0.1 only, waits `upstream_timeout_ms` for the upstream's
                               answer and then gives up with 504 Gateway Timeout, as squid's
                               read_timeout or nginx's proxy_read_timeout do. An upstream that
                               refuses the connection gets 502 Bad Gateway.

proxy.py cannot stand in here: it never times out a stalled upstream, so its client hangs until
its own timeout (curl 28). The upstream this fault starts accepts the connection, reads the
request and stays silent (a Box front end that hangs).

Placeholders: `{url}` and `{proxy}` (the gateway), `{upstream_url}` (the stalled upstream).
"""

from __future__ import annotations

import socket
import urllib.parse

from selftest.faults import register
from selftest.faults._base import LOOPBACK, SocketServer, hold, read_head

_STATUS = {502: "Bad Gateway", 504: "Gateway Timeout"}


class _StalledUpstream(SocketServer):
    """Accepts, reads the request, never answers."""

    def handle(self, conn: socket.socket) -> None:
        read_head(conn)
        hold(self, conn)


@register("gateway-upstream-stalled")
class StalledGateway(SocketServer):
    """Forwards to 127.0.0.1 and answers 504 when the upstream is silent for too long."""

    def __init__(self, *, upstream_timeout_ms: int = 300, port: int = 0) -> None:
        super().__init__(port=port)
        self.upstream_timeout_ms = upstream_timeout_ms
        self.upstream = _StalledUpstream()

    def start(self) -> None:
        self.upstream.start()
        super().start()

    def stop(self) -> None:
        super().stop()
        self.upstream.stop()

    def make_urls(self) -> dict[str, str]:
        urls = super().make_urls()
        return {**urls, "proxy": urls["url"], "upstream_url": self.upstream.urls["url"]}

    def handle(self, conn: socket.socket) -> None:
        head = self.receive_head(conn)
        target, forwarded = _origin_form(head)
        if target is None or target[0] != LOOPBACK:
            conn.sendall(_reply(502, "this gateway forwards to 127.0.0.1 only"))
            return
        try:
            upstream = socket.create_connection(target, timeout=self.upstream_timeout_ms / 1000)
        except OSError:
            conn.sendall(_reply(502, "the upstream refused the connection"))
            return
        with upstream:
            conn.sendall(self._relay(upstream, forwarded))

    def _relay(self, upstream: socket.socket, forwarded: bytes) -> bytes:
        """The upstream's whole answer, or the gateway's own 504 when it stays silent."""
        upstream.sendall(forwarded)
        answer = b""
        try:
            while chunk := upstream.recv(65536):
                answer += chunk
        except TimeoutError:
            if not answer:
                return _reply(504, "the upstream did not answer in time")
        return answer


def _origin_form(head: bytes) -> tuple[tuple[str, int] | None, bytes]:
    """(host, port) of an absolute-form request line, and the head rewritten to origin-form."""
    line, _, rest = head.partition(b"\r\n")
    try:
        method, target, version = line.decode("latin-1").split(" ")
    except ValueError:
        return None, head
    url = urllib.parse.urlsplit(target)
    if url.scheme != "http" or not url.hostname:
        return None, head
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    forwarded = f"{method} {path} {version}\r\n".encode("latin-1") + rest
    return (url.hostname, url.port or 80), forwarded


def _reply(status: int, why: str) -> bytes:
    body = f"{status} {_STATUS[status]}: {why}\n".encode()
    return (f"HTTP/1.1 {status} {_STATUS[status]}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
