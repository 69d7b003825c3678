"""HTTP-level faults written as raw bytes, so that they can be as wrong as a real peer can be.

    raw-reply         read the request head, write `reply` exactly, then close / half-close /
                      reset / hold.
                      The reply is scenario DATA (TOML escapes: "\\r\\n"), so one fault covers a
                      missing status line, a bad Content-Length, a bad chunk size, a bad gzip
                      body, a short body, 200 instead of 206, redirects and error statuses.
    oversize-headers  a 200 whose header block is `header_bytes` long (libcurl caps it at 300 KiB)

pytest-httpserver (werkzeug) cannot send any of these: it always writes well-formed HTTP.
"""

from __future__ import annotations

import socket
import time
from typing import Literal

from selftest.errors import ScenarioError
from selftest.faults import register
from selftest.faults._base import SocketServer, hold, reset

Then = Literal["close", "half-close", "reset", "hold"]
Read = Literal["head", "once", "nothing"]


@register("raw-reply")
class RawReply(SocketServer):
    """Answer every request with the bytes of `reply`, then `then`: close, reset or hold; or
    half-close: send FIN but keep reading until the client closes, so that what the client still
    writes is not answered with a reset.

    `read` is what it reads first: the request "head" (up to the blank line), whatever arrives
    "once" (one recv: a TLS ClientHello has no blank line), or "nothing". `crlf` lets `reply` be
    written with plain line ends (a TOML multi-line string) instead of `\r\n` escapes: "all"
    sends every line end as CRLF, "headers" only those up to the first blank line (a body keeps
    its bytes), "none" (default) sends `reply` as written (curl's FILEFORMAT `crlf=`).
    """

    def __init__(self, *, reply: str, then: Then = "close", read: Read = "head",
                 delay_ms: int = 0, crlf: str = "none", port: int = 0) -> None:
        super().__init__(port=port)
        if crlf not in ("none", "headers", "all"):
            raise ScenarioError(f"raw-reply: crlf must be none, headers or all, not {crlf!r}")
        reply = with_crlf(reply, crlf)
        if then not in ("close", "half-close", "reset", "hold"):
            raise ScenarioError("raw-reply: then must be close, half-close, reset or hold, "
                                f"not {then!r}")
        if read not in ("head", "once", "nothing"):
            raise ScenarioError(f"raw-reply: read must be head, once or nothing, not {read!r}")
        self.reply = reply.encode("latin-1")
        self.then = then
        self.read = read
        self.delay_ms = delay_ms

    def handle(self, conn: socket.socket) -> None:
        if self.read == "head":
            self.receive_head(conn)
        elif self.read == "once":
            conn.recv(65536)
        time.sleep(self.delay_ms / 1000)
        conn.sendall(self.reply)
        if self.then == "reset":
            time.sleep(0.05)  # let the reply reach the client before the RST
            reset(conn)
        elif self.then == "hold":
            hold(self, conn)
        elif self.then == "half-close":
            conn.shutdown(socket.SHUT_WR)
            hold(self, conn)


def with_crlf(text: str, mode: str) -> str:
    """`text` with its line ends made CRLF: "all" of them, the "headers" ones (up to and with
    the first blank line), or "none"."""
    if mode == "none":
        return text
    head, blank, body = text.replace("\r\n", "\n").partition("\n\n")
    if mode == "all":
        return (head + blank + body).replace("\n", "\r\n")
    return (head + blank).replace("\n", "\r\n") + body


@register("oversize-headers")
class OversizeHeaders(SocketServer):
    """A 200 whose response headers add up to `header_bytes` (libcurl's limit is 300 KiB)."""

    def __init__(self, *, header_bytes: int = 320 * 1024, port: int = 0) -> None:
        super().__init__(port=port)
        self.header_bytes = header_bytes

    def handle(self, conn: socket.socket) -> None:
        self.receive_head(conn)
        line = b"X-Padding: " + b"a" * 1000 + b"\r\n"
        head = b"HTTP/1.1 200 OK\r\n" + line * (self.header_bytes // len(line) + 1)
        conn.sendall(head + b"Content-Length: 0\r\n\r\n")
        hold(self, conn)
