"""The shared machinery of socket-level fault servers: listen, accept, hand each connection over.

A fault module subclasses `SocketServer` and writes only `handle(conn)`: what the peer does with
one accepted connection. Listening, threads (daemons, so a stuck peer never keeps the process
alive) and stopping (closing every connection still open) live here once. urllib3's
`dummyserver` and `test_socketlevel.py` are the model: each fault is a small socket handler.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time

#: How long a fault peer waits for a client's request before giving up on it. Generous: the
#: client's own timeout (300 ms .. 2 s in the scenarios) always ends the exchange first.
READ_TIMEOUT_S = 5.0
#: How often the accept loop looks at the stop flag.
_POLL_S = 0.05
LOOPBACK = "127.0.0.1"


class SocketServer:
    """Accepts TCP connections on 127.0.0.1 and runs `handle` for each in a daemon thread."""

    scheme = "http"

    def __init__(self, *, port: int = 0) -> None:
        self.port = port
        self.urls: dict[str, str] = {}
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        #: Unexpected exceptions of connection handlers, kept (not raised on the server thread,
        #: where nobody would see them) for whoever runs the server to look at.
        self.errors: list[BaseException] = []

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, self.port))
        listener.listen(64)
        listener.settimeout(_POLL_S)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self.urls = self.make_urls()
        self._spawn(self._accept_loop)

    def make_urls(self) -> dict[str, str]:
        """The placeholders a scenario may use: {url}, {host}, {port}, {hostport}."""
        hostport = f"{LOOPBACK}:{self.port}"
        return {"url": f"{self.scheme}://{hostport}", "host": LOOPBACK,
                "port": str(self.port), "hostport": hostport}

    def handle(self, conn: socket.socket) -> None:
        """What the peer does with one connection; the connection is closed afterwards."""
        raise NotImplementedError

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            for conn in list(self._connections):
                with contextlib.suppress(OSError):
                    conn.close()
        for thread in self._threads:
            thread.join(timeout=1.0)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True,  # type: ignore[arg-type]
                                  name=f"{type(self).__name__}:{self.port}")
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self.stopping:
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(READ_TIMEOUT_S)
            with self._lock:
                self._connections.add(conn)
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        try:
            self.handle(conn)
        except OSError:
            pass  # the client went away first: normal for a fault peer
        except Exception as exc:  # a bug in a handler: keep it, never kill the process
            self.errors.append(exc)
        finally:
            with self._lock:
                self._connections.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()


def read_head(conn: socket.socket, limit: int = 1 << 20) -> bytes:
    """Read until the end of a request head (blank line), EOF or `limit` bytes."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < limit:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def reset(conn: socket.socket) -> None:
    """Close with SO_LINGER (on, 0 s): the kernel sends RST instead of FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def hold(server: SocketServer, conn: socket.socket) -> None:
    """Keep a connection open and silent until the client leaves or the server stops."""
    conn.settimeout(_POLL_S)
    while not server.stopping:
        try:
            if not conn.recv(65536):
                return
        except TimeoutError:
            time.sleep(0)
