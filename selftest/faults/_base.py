"""The shared machinery of socket-level fault servers: listen, accept, hand each connection over.

A fault module subclasses `SocketServer` and writes only `handle(conn)`: what the peer does with
one accepted connection. Listening (TCP on 127.0.0.1:`port`, or whatever socket `bind()` makes),
threads (daemons, so a stuck peer never keeps the process alive) and stopping live here once.
`stop()` shuts down and closes the listener and every socket still open, so a handler blocked in
`recv()` wakes up with an error and its thread ends: a scenario never leaves a thread or a port
behind. urllib3's `dummyserver` and `test_socketlevel.py` are the model: each fault is a small
socket handler.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

from selftest.errors import SelftestError
from selftest.sent import Recorder, SentRequest

#: How long a fault peer waits for a client's request before giving up on it. Generous: the
#: client's own timeout (100 ms .. 2 s in the scenarios) always ends the exchange first.
READ_TIMEOUT_S = 5.0
#: How long stop() waits for a handler thread; handlers wake at once when their socket closes.
JOIN_TIMEOUT_S = 2.0
#: How many handler exceptions a server keeps until they are checked (a loop must not grow).
MAX_ERRORS = 20
#: How often a held connection looks at the stop flag.
_POLL_S = 0.05
LOOPBACK = "127.0.0.1"


class FaultHandlerError(SelftestError):
    """Raised where a fault server was started when one of its connection handlers raised.

    A bug in a fault peer must fail the test that used it, not vanish on a server thread.
    """

    def __init__(self, server: object, errors: list[BaseException]) -> None:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{type(server).__name__}: a connection handler raised "
                         f"{errors[0]!r}{more}")
        self.errors = errors


class SocketServer:
    """Accepts connections on 127.0.0.1:`port` and runs `handle` for each in a daemon thread."""

    scheme = "http"
    #: The timeout of accepted sockets; None for conversations a person may hold by hand
    #: (FTP, IMAP over `selftest serve`), which only stop() ends.
    read_timeout_s: float | None = READ_TIMEOUT_S

    def __init__(self, *, port: int = 0) -> None:
        self.port = port
        self.urls: dict[str, str] = {}
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[Any] = set()
        self._threads: list[threading.Thread] = []
        #: Unexpected exceptions of connection handlers, kept (not raised on the server thread,
        #: where nobody would see them) until check_errors() re-raises them where the server
        #: was started (pytest-httpserver's check_handler_errors); at most MAX_ERRORS.
        self.errors: list[BaseException] = []
        #: The request heads read with read_request() ([expect.sent]).
        self.sent = Recorder()

    def start(self) -> None:
        try:
            self._listener = listener = self.bind()
            listener.listen(64)
            # accept() blocks (no polling): stop() shuts the listener down, which wakes it. A
            # run keeps ~100 servers open at once; polling each every 50 ms kept the
            # interpreter so busy switching threads that a peer could miss its client's 2 s.
            listener.settimeout(None)
            self.urls = self.make_urls()
        except BaseException:
            self.stop()  # e.g. `--port` taken: no socket or temporary folder outlives start()
            raise
        self._spawn(self._accept_loop, listener)

    def bind(self) -> socket.socket:
        """The listening socket, bound (TCP by default); subclasses may bind a unix socket."""
        listener = bound_socket(socket.AF_INET, (LOOPBACK, self.port))
        self.port = listener.getsockname()[1]
        return listener

    def receive_head(self, conn: Any) -> bytes:
        """`read_head(conn)`, the request it holds kept in `sent` for the scenario's
        [expect.sent] (a head that is no HTTP request is not kept)."""
        head = read_head(conn)
        self.sent.add(SentRequest.from_head(head))
        return head

    def make_urls(self) -> dict[str, str]:
        """The placeholders a scenario may use: {url}, {host}, {port}, {hostport}."""
        hostport = f"{LOOPBACK}:{self.port}"
        return {"url": f"{self.scheme}://{hostport}", "host": LOOPBACK,
                "port": str(self.port), "hostport": hostport}

    def handle(self, conn: socket.socket) -> None:
        """What the peer does with one connection; the connection is closed afterwards."""
        raise NotImplementedError

    def track(self, sock: Any) -> None:
        """Remember a socket (a data connection, a TLS-wrapped one) so that stop() closes it."""
        with self._lock:
            self._sockets.add(sock)

    def stop(self) -> None:
        # Shut down first, close only once the threads using a socket are done: a socket closed
        # under a thread that is about to wait on it leaves that thread waiting on a closed
        # file descriptor, or on whichever socket is given that number next (another server's
        # listener, a client's connection) until its timeout. That happened in 1 run of 20 (a
        # handler held stop() for JOIN_TIMEOUT_S). Shutting down wakes every blocked accept(),
        # recv() and send() and leaves the descriptor to its thread, which closes it.
        self._stopping.set()
        if self._listener is not None:
            wake(self._listener)
        with self._lock:
            sockets = list(self._sockets)
            threads = list(self._threads)
        for sock in sockets:
            wake(sock)
        for thread in threads:
            thread.join(JOIN_TIMEOUT_S)
        if self._listener is not None:
            close_quietly(self._listener)
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
        for sock in sockets:  # what no thread closed (a data connection); or a stuck thread's
            close_quietly(sock)

    def take_errors(self) -> list[BaseException]:
        """The handler exceptions kept since the last call (and forget them)."""
        with self._lock:
            errors, self.errors = self.errors, []
        return errors

    def check_errors(self) -> None:
        """Raise FaultHandlerError if a connection handler raised since the last check."""
        errors = self.take_errors()
        if errors:
            raise FaultHandlerError(self, errors) from errors[0]

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True,
                                  name=f"{type(self).__name__}:{self.port}")
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        try:
            while not self.stopping:
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                conn.settimeout(self.read_timeout_s)
                self.track(conn)
                self._spawn(self._serve, conn)
        finally:
            listener.close()  # here, by the thread that waits on it (see stop())

    def _serve(self, conn: socket.socket) -> None:
        try:
            self.handle(conn)
        except OSError:
            pass  # the client went away first: normal for a fault peer
        except Exception as exc:  # a bug in a handler: keep it, never kill the process
            with self._lock:
                if len(self.errors) < MAX_ERRORS:
                    self.errors.append(exc)
        finally:
            with self._lock:
                self._sockets.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()


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


def bound_socket(family: socket.AddressFamily, address: Any,
                 kind: socket.SocketKind = socket.SOCK_STREAM) -> socket.socket:
    """A socket bound to `address`; closed again when binding fails (no unclosed-socket warning)."""
    sock = socket.socket(family, kind)
    try:
        # TCP only: on UDP, SO_REUSEADDR would let two sockets share the port.
        if (family, kind) == (socket.AF_INET, socket.SOCK_STREAM):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def write_private(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write a file only its owner can read (0600): a private key, a JWT app's config."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(raw)


def wake(sock: Any) -> None:
    """Shut down: a thread blocked in recv(), send() or accept() on `sock` returns at once,
    and every later call fails or reads the end; the descriptor stays open until closed."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def close_quietly(sock: Any) -> None:
    """Shut down (which wakes a thread blocked in recv() or accept()) and close."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


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
