"""TLS faults: a real TLS server (Python's ssl, OpenSSL) with a certificate or policy that fails.

    tls-ok            good certificate from the test CA ({ca}); answers 200 "ok". The server for
                      client-side TLS failures: pinning, issuer check, client cert, CRL, OCSP.
    tls-unknown-ca    certificate from a CA the client was not given
    tls-wrong-host    certificate for another host name
    tls-expired-cert  certificate whose notAfter is in the past
    tls13-only        refuses anything below TLS 1.3
    tls-alert         reads the ClientHello, answers with one TLS alert record (default 116,
                      certificate_required) and closes: no real handshake at all
"""

from __future__ import annotations

import functools
import socket
import ssl

from selftest.faults import register
from selftest.faults._base import SocketServer
from selftest.faults._certs import pki

_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


class TlsServer(SocketServer):
    """Completes (or fails) a TLS handshake, then answers one HTTP request with 200."""

    scheme = "https"

    def __init__(self, *, certificate: str = "good", min_version: str = "",
                 port: int = 0) -> None:
        super().__init__(port=port)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        pki().leaf(certificate).configure_cert(self.context)
        if min_version:
            self.context.minimum_version = ssl.TLSVersion[min_version]

    def make_urls(self) -> dict[str, str]:
        return {**super().make_urls(), **pki().placeholders()}

    def handle(self, conn: socket.socket) -> None:
        with self.context.wrap_socket(conn, server_side=True) as tls:
            self.receive_head(tls)
            tls.sendall(_OK)


def _tls(certificate: str = "good", min_version: str = "") -> functools.partial[TlsServer]:
    return functools.partial(TlsServer, certificate=certificate, min_version=min_version)


register("tls-ok")(_tls())
register("tls-unknown-ca")(_tls("unknown-ca"))
register("tls-wrong-host")(_tls("wrong-host"))
register("tls-expired-cert")(_tls("expired"))
register("tls13-only")(_tls(min_version="TLSv1_3"))


@register("tls-alert")
class TlsAlert(SocketServer):
    """Answer the ClientHello with a fatal alert record; `alert` is the TLS AlertDescription."""

    scheme = "https"

    def __init__(self, *, alert: int = 116, port: int = 0) -> None:
        super().__init__(port=port)
        self.alert = alert

    def handle(self, conn: socket.socket) -> None:
        conn.recv(65536)
        # Record type 21 (alert), TLS 1.2 record version, length 2, level fatal (2), description.
        conn.sendall(bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, self.alert]))
