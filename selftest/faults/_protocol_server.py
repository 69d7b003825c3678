"""The plumbing the protocol fault servers share: a listener that serves each client in a thread.

FTP, RTSP, IMAP and the SSH stand-ins are conversations over one TCP (or unix) socket: each
subclass says what to do with one accepted connection (`serve_connection`), this class does the
accepting, the threads and, above all, the stopping. `stop()` closes the listener and every
connection still open, so a handler blocked in `recv()` wakes up with an error and its thread
ends: a scenario never leaves a thread or a port behind.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

#: How long stop() waits for a handler thread; handlers wake at once when their socket closes.
JOIN_TIMEOUT_S = 2.0


class LineReader:
    """Reads CRLF-terminated lines from a socket (plain or TLS) without losing buffered bytes."""

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self._buffer = b""

    def readline(self) -> bytes | None:
        """One line without its line ending; None when the peer closed (or the socket broke)."""
        while b"\n" not in self._buffer:
            try:
                chunk = self.sock.recv(4096)
            except OSError:
                return None
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.rstrip(b"\r")

    def read_head(self) -> list[bytes] | None:
        """A request head (RTSP): the lines up to the empty one; None when the peer closed."""
        lines: list[bytes] = []
        while (line := self.readline()) != b"":
            if line is None:
                return None
            lines.append(line)
        return lines


class ThreadedListener:
    """Listens on 127.0.0.1 port 0 (or an abstract unix socket) and serves clients in threads."""

    def __init__(self, abstract_unix_name: str = "") -> None:
        self.urls: dict[str, str] = {}
        self.port = 0
        self._abstract_unix_name = abstract_unix_name
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    def serve_connection(self, conn: socket.socket) -> None:
        """Hold one conversation; subclasses say what it is."""
        raise NotImplementedError

    def start(self) -> None:
        if self._abstract_unix_name:
            # Linux abstract namespace: a leading NUL byte, no file on disk to clean up.
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind("\0" + self._abstract_unix_name)
        else:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind(("127.0.0.1", 0))
            self.port = listener.getsockname()[1]
        self.adopt_listener(listener)
        self.on_started()

    def adopt_listener(self, listener: socket.socket) -> None:
        """Listen on a socket bound elsewhere (a unix socket path) and start accepting."""
        listener.listen(8)
        self._listener = listener
        self._spawn(self._accept_loop, listener)

    def on_started(self) -> None:
        """Fill `urls` once the port is known; subclasses override."""

    def track(self, conn: Any) -> None:
        """Remember a socket (a data connection, a TLS-wrapped one) so that stop() closes it."""
        with self._lock:
            self._connections.append(conn)

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            _close_quietly(self._listener)
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            _close_quietly(conn)
        for thread in list(self._threads):
            thread.join(JOIN_TIMEOUT_S)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            self.track(conn)
            self._spawn(self._serve_and_close, conn)

    def _serve_and_close(self, conn: socket.socket) -> None:
        try:
            self.serve_connection(conn)
        except OSError:
            pass  # the client went away mid-conversation: that is the client's finding, not ours
        finally:
            _close_quietly(conn)

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()


def _close_quietly(sock: Any) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
