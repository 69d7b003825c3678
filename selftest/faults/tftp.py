"""A TFTP responder that answers every read or write request with an ERROR packet.

TFTP (RFC 1350) runs over UDP: the client sends RRQ (opcode 1, download) or WRQ (opcode 2,
upload) and the server may answer ERROR (opcode 5) with an error code. libcurl maps those codes
one to one (lib/tftp.c): 1 File not found -> 68, 2 Access violation -> 69, 3 Disk full -> 70,
4 Illegal operation -> 71 (0 "not defined" too), 5 Unknown transfer ID -> 72, 6 File already
exists -> 73, 7 No such user -> 74. Codes 8 and up are unknown to libcurl (42).

    [server]
    fault = "tftp-error-reply"
    error_code = 1
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading

from selftest.faults import register
from selftest.faults._base import JOIN_TIMEOUT_S, LOOPBACK, bound_socket

#: RFC 1350 section 5: the error messages a server sends with each code.
ERROR_TEXTS = {
    0: "Not defined",
    1: "File not found",
    2: "Access violation",
    3: "Disk full or allocation exceeded",
    4: "Illegal TFTP operation",
    5: "Unknown transfer ID",
    6: "File already exists",
    7: "No such user",
}
OPCODE_RRQ, OPCODE_WRQ, OPCODE_ERROR = 1, 2, 5


def error_packet(code: int, text: str) -> bytes:
    """ERROR packet: opcode 5, error code, message, NUL (RFC 1350 section 5)."""
    return struct.pack("!HH", OPCODE_ERROR, code) + text.encode("ascii") + b"\0"


@register("tftp-error-reply")
class TftpErrorReply:
    """Answers each RRQ/WRQ with ERROR `error_code`; ignores anything else."""

    def __init__(self, error_code: int = 1, error_text: str = "", *, port: int = 0) -> None:
        self.port = port
        self.urls: dict[str, str] = {}
        self.packet = error_packet(error_code, error_text or ERROR_TEXTS.get(error_code, "error"))
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        sock = bound_socket(socket.AF_INET, (LOOPBACK, self.port), socket.SOCK_DGRAM)
        self.port = port = sock.getsockname()[1]
        self._sock = sock
        self.urls.update(url=f"tftp://127.0.0.1:{port}", host="127.0.0.1", port=str(port),
                         hostport=f"127.0.0.1:{port}")
        self._thread = threading.Thread(target=self._answer_requests, args=(sock,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._sock is not None:
            # Shutting a UDP socket down wakes the thread blocked in recvfrom() (Linux).
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT_S)
        if self._sock is not None:
            self._sock.close()  # after the join: never under a thread still inside recvfrom()

    def _answer_requests(self, sock: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                datagram, client = sock.recvfrom(65536)
            except OSError:
                return
            opcode = struct.unpack("!H", datagram[:2])[0] if len(datagram) >= 2 else 0
            if opcode in (OPCODE_RRQ, OPCODE_WRQ):
                with contextlib.suppress(OSError):
                    sock.sendto(self.packet, client)
