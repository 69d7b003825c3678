"""SOCKS proxies that refuse: libcurl reports code 97 (CURLE_PROXY) for a failed SOCKS handshake.

    socks5-failure   greeting answered "05 00" (no auth), CONNECT answered with reply code
                     `reply_code` (default 1, "general SOCKS server failure"), RFC 1928 section 6
    socks4-rejected  CONNECT answered "00 5B" (request rejected or failed), SOCKS4 protocol

Both give `{proxy}` (`socks5://127.0.0.1:PORT` / `socks4://...`) besides the usual urls.
"""

from __future__ import annotations

import socket

from selftest.faults import register
from selftest.faults._base import SocketServer


@register("socks5-failure")
class Socks5Failure(SocketServer):
    """A SOCKS5 proxy that accepts the greeting and fails every CONNECT."""

    scheme = "socks5"

    def __init__(self, *, reply_code: int = 1, port: int = 0) -> None:
        super().__init__(port=port)
        self.reply_code = reply_code

    def make_urls(self) -> dict[str, str]:
        urls = super().make_urls()
        return {**urls, "proxy": urls["url"]}

    def handle(self, conn: socket.socket) -> None:
        conn.recv(512)  # version 5, methods
        conn.sendall(b"\x05\x00")
        conn.recv(512)  # the CONNECT request
        # VER REP RSV ATYP(IPv4) BND.ADDR(4) BND.PORT(2)
        conn.sendall(bytes([5, self.reply_code, 0, 1]) + b"\x00" * 6)


@register("socks4-rejected")
class Socks4Rejected(SocketServer):
    """A SOCKS4 proxy that rejects every CONNECT (reply code 0x5B)."""

    scheme = "socks4"

    def make_urls(self) -> dict[str, str]:
        urls = super().make_urls()
        return {**urls, "proxy": urls["url"]}

    def handle(self, conn: socket.socket) -> None:
        conn.recv(512)
        conn.sendall(b"\x00\x5b" + b"\x00" * 6)
