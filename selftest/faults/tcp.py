"""Connection-level faults: what the peer does to the TCP connection itself.

    refuse               nothing listens: a port that was bound, then closed (ECONNREFUSED)
    reset-on-accept      accept, then RST at once (SO_LINGER 0) before the client sends anything
    close-without-reply  read the request, then close politely (FIN) without a byte of reply
    stall                accept (and read), then stay silent until the client gives up
    reset-after-bytes    read the request, send the first `after_bytes` of `reply`, then RST
    backlog-full         a listener whose accept queue is full: SYNs are dropped, connect times out
"""

from __future__ import annotations

import socket
import time

from selftest.faults import register
from selftest.faults._base import LOOPBACK, SocketServer, bound_socket, hold, reset


@register("refuse")
class Refuse:
    """A port on loopback with nothing listening: connect() is refused."""

    def __init__(self, *, port: int = 0) -> None:
        self.port = port
        self.urls: dict[str, str] = {}
        self._held: socket.socket | None = None

    def start(self) -> None:
        if not self.port:
            # Bound, never listening: a SYN to it is answered with RST (refused), and no other
            # server of the run can be given the port meanwhile (closed at once, it was free
            # for the next bind to port 0: scenarios run side by side).
            held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.bind((LOOPBACK, 0))
            self.port = held.getsockname()[1]
            self._held = held
        hostport = f"{LOOPBACK}:{self.port}"
        self.urls = {"url": f"http://{hostport}", "host": LOOPBACK, "port": str(self.port),
                     "hostport": hostport}

    def stop(self) -> None:
        """Nothing runs; the port is given back."""
        if self._held is not None:
            self._held.close()
            self._held = None


@register("reset-on-accept")
class ResetOnAccept(SocketServer):
    """Accept and reset at once; `delay_ms` waits first."""

    def __init__(self, *, delay_ms: int = 0, port: int = 0) -> None:
        super().__init__(port=port)
        self.delay_ms = delay_ms

    def handle(self, conn: socket.socket) -> None:
        time.sleep(self.delay_ms / 1000)
        reset(conn)


@register("close-without-reply")
class CloseWithoutReply(SocketServer):
    """Read the request head, then close (FIN) having sent nothing."""

    def handle(self, conn: socket.socket) -> None:
        self.receive_head(conn)


@register("stall")
class Stall(SocketServer):
    """Accept and never answer; with `read_request` false it does not even read."""

    def __init__(self, *, read_request: bool = True, port: int = 0) -> None:
        super().__init__(port=port)
        self.read_request = read_request

    def handle(self, conn: socket.socket) -> None:
        if self.read_request:
            self.receive_head(conn)
        hold(self, conn)


@register("reset-after-bytes")
class ResetAfterBytes(SocketServer):
    """Read the request, send the first `after_bytes` bytes of `reply`, then reset."""

    def __init__(self, *, reply: str, after_bytes: int, delay_ms: int = 50,
                 port: int = 0) -> None:
        super().__init__(port=port)
        self.reply = reply.encode("latin-1")
        self.after_bytes = after_bytes
        self.delay_ms = delay_ms

    def handle(self, conn: socket.socket) -> None:
        self.receive_head(conn)
        conn.sendall(self.reply[: self.after_bytes])
        # Let the bytes reach the client before the RST, or the kernel may drop them.
        time.sleep(self.delay_ms / 1000)
        reset(conn)


@register("backlog-full")
class BacklogFull:
    """A listener whose accept queue is full (backlog 0, filled by our own connections, never
    accepted): the kernel drops further SYNs, so a client's connect() times out, as behind a
    firewall that drops packets. No thread runs."""

    #: More than the kernel's queue for backlog 0 holds (it admits one past the backlog).
    FILLERS = 3

    def __init__(self, *, port: int = 0) -> None:
        self.port = port
        self.urls: dict[str, str] = {}
        self._sockets: list[socket.socket] = []

    def start(self) -> None:
        listener = bound_socket(socket.AF_INET, (LOOPBACK, self.port))
        listener.listen(0)
        self.port = listener.getsockname()[1]
        self._sockets.append(listener)
        for _ in range(self.FILLERS):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            filler.connect_ex((LOOPBACK, self.port))
            self._sockets.append(filler)
        time.sleep(0.02)  # let the handshakes of the fillers complete
        hostport = f"{LOOPBACK}:{self.port}"
        self.urls = {"url": f"http://{hostport}", "host": LOOPBACK, "port": str(self.port),
                     "hostport": hostport}

    def stop(self) -> None:
        for sock in self._sockets:
            sock.close()
        self._sockets = []
