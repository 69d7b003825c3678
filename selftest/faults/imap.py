"""An IMAP server that offers only Kerberos (GSSAPI) sign-in.

libcurl asks for the server's CAPABILITY list (RFC 3501 section 6.1.1) and picks a SASL
mechanism from it. With `LOGIN_OPTIONS = "AUTH=GSSAPI"` the client wants GSSAPI only; when the
machine holds no Kerberos ticket, GSS-API fails before anything is sent and libcurl returns
94 (CURLE_AUTH_ERROR). LOGINDISABLED (RFC 3501 section 6.2.3) rules out a plain LOGIN fallback.

    [server]
    fault = "imap-gssapi-only"
    capabilities = "IMAP4rev1 AUTH=GSSAPI LOGINDISABLED"
"""

from __future__ import annotations

import socket

from selftest.faults import register
from selftest.faults._base import LineReader, SocketServer


@register("imap-gssapi-only")
class ImapGssapiOnly(SocketServer):
    """Greets, lists `capabilities`, invites AUTHENTICATE, answers LOGOUT, refuses the rest."""

    scheme = "imap"
    read_timeout_s = None  # an IMAP session may idle between commands; stop() ends it

    def __init__(self, capabilities: str = "IMAP4rev1 AUTH=GSSAPI LOGINDISABLED", *,
                 port: int = 0) -> None:
        super().__init__(port=port)
        self.capabilities = capabilities

    def handle(self, conn: socket.socket) -> None:
        conn.sendall(b"* OK selftest IMAP server ready\r\n")
        reader = LineReader(conn)
        while (line := reader.readline()) is not None:
            tag, _, rest = line.decode("latin-1").partition(" ")
            command = rest.split(" ", 1)[0].upper()
            conn.sendall(self.answer(tag, command).encode("latin-1"))
            if command == "LOGOUT":
                return

    def answer(self, tag: str, command: str) -> str:
        if command == "CAPABILITY":
            return f"* CAPABILITY {self.capabilities}\r\n{tag} OK CAPABILITY completed\r\n"
        if command == "LOGOUT":
            return f"* BYE logging out\r\n{tag} OK LOGOUT completed\r\n"
        if command == "AUTHENTICATE":
            # An empty continuation asks the client for its first GSSAPI token (RFC 4752).
            return "+ \r\n"
        return f"{tag} BAD command not understood\r\n"
