"""Stand-ins for an SSH server: one that does not speak SSH, one that accepts and says nothing.

An SSH server starts by sending its identification line, `SSH-2.0-...` (RFC 4253 section 4.2).

- `ssh-not-ssh-banner` sends another line instead (`banner`) and closes: libssh2 fails to get
  the banner and libcurl reports 2, "Failure establishing ssh session" (lib/vssh/libssh2.c).
- `ssh-silent-accept` accepts and waits. libcurl reads CURLOPT_SSH_KNOWNHOSTS before the SSH
  handshake, to prefer the host key type it knows; an old SSH-1 (RSA1) line for this host there
  stops it with 79 (CURLE_SSH), "Found host key type RSA1 which is not supported".
"""

from __future__ import annotations

import socket

from selftest.faults import register
from selftest.faults._base import SocketServer


class _SshStandIn(SocketServer):
    scheme = "sftp"
    read_timeout_s = None  # the silent peer waits for the client, however long; stop() ends it


@register("ssh-not-ssh-banner")
class NotSshBanner(_SshStandIn):
    """Sends `banner` (not an SSH identification line) where SSH expects one, then closes."""

    def __init__(self, banner: str = "this is not ssh", *, port: int = 0) -> None:
        super().__init__(port=port)
        self.banner = banner

    def handle(self, conn: socket.socket) -> None:
        conn.sendall(self.banner.encode("latin-1") + b"\r\n")


@register("ssh-silent-accept")
class SilentAccept(_SshStandIn):
    """Accepts the connection and stays silent until the client leaves."""

    def handle(self, conn: socket.socket) -> None:
        while conn.recv(4096):
            pass
