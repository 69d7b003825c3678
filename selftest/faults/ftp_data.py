"""The FTP data connection of the scripted FTP responder: passive (EPSV/PASV) or active (EPRT/PORT).

RFC 959 puts file contents and listings on a second TCP connection. In passive mode the server
listens and the client connects (EPSV answers `229 (|||port|)`, PASV `227 (h1,h2,h3,h4,p1,p2)`);
in active mode the client listens and the server connects to the address EPRT/PORT named.
Every socket is registered with the listener, so stopping the fault closes it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

#: How long the server waits for the client's passive connection, or for its active connect.
DATA_CONNECT_TIMEOUT_S = 2.0


class DataChannel:
    """The data connection one FTP control session has arranged (none until EPSV/PASV/EPRT/PORT)."""

    def __init__(self, track: Callable[[socket.socket], None]) -> None:
        self._track = track
        self._passive: socket.socket | None = None
        self._active_target: tuple[str, int] | None = None

    def listen_passive(self) -> int:
        """Open a passive listener on 127.0.0.1; returns its port for the 229/227 reply."""
        self.close()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(DATA_CONNECT_TIMEOUT_S)
        self._track(listener)
        self._passive = listener
        return int(listener.getsockname()[1])

    def use_active(self, argument: str, extended: bool) -> bool:
        """Remember where to connect from an EPRT or PORT argument; False when it is malformed."""
        self.close()
        target = parse_eprt(argument) if extended else parse_port(argument)
        self._active_target = target
        return target is not None

    def open(self) -> socket.socket | None:
        """The data connection: accept the client's (passive) or connect to it (active)."""
        try:
            if self._passive is not None:
                conn, _ = self._passive.accept()
            elif self._active_target is not None:
                conn = socket.create_connection(self._active_target, DATA_CONNECT_TIMEOUT_S)
            else:
                return None
        except OSError:
            return None
        self._track(conn)
        return conn

    def close(self) -> None:
        if self._passive is not None:
            self._passive.close()
        self._passive = None
        self._active_target = None


def parse_eprt(argument: str) -> tuple[str, int] | None:
    """`|1|127.0.0.1|40123|` (RFC 2428) -> ("127.0.0.1", 40123)."""
    if len(argument) < 2:
        return None
    parts = argument.split(argument[0])
    if len(parts) < 5 or not parts[3].isdigit():
        return None
    return parts[2], int(parts[3])


def parse_port(argument: str) -> tuple[str, int] | None:
    """`127,0,0,1,156,203` (RFC 959) -> ("127.0.0.1", 40139)."""
    numbers = argument.split(",")
    if len(numbers) != 6 or not all(n.strip().isdigit() for n in numbers):
        return None
    values = [int(n) for n in numbers]
    return ".".join(str(v) for v in values[:4]), values[4] * 256 + values[5]


def send_and_close(conn: socket.socket, data: bytes) -> None:
    try:
        conn.sendall(data)
    finally:
        conn.close()


def receive_until_closed(conn: socket.socket) -> bytes:
    received = bytearray()
    try:
        while chunk := conn.recv(65536):
            received += chunk
    finally:
        conn.close()
    return bytes(received)
