"""HTTP/3 faults: a QUIC server that resets every request, and a unix socket HTTP/3 cannot use.

- `http3-reset-stream`: an HTTP/3 server (aioquic, https://github.com/aiortc/aioquic) on UDP
  127.0.0.1 completes the QUIC handshake, reads the request's HEADERS and resets the request
  stream (RESET_STREAM with H3_INTERNAL_ERROR, RFC 9114 section 8.1). libcurl, asked for
  CURL_HTTP_VERSION_3ONLY, reports 95 (CURLE_HTTP3) "HTTP/3 stream 0 reset by server". Its
  certificate is for 127.0.0.1, signed by a trustme CA (`{cainfo}`).
- `unix-socket-listener`: a unix socket (`{socket_path}`) that accepts and closes. HTTP/3 runs
  over UDP, so libcurl refuses CURL_HTTP_VERSION_3ONLY with CURLOPT_UNIX_SOCKET_PATH before
  connecting: 96 (CURLE_QUIC_CONNECT_ERROR), "HTTP/3 cannot be used over UNIX domain sockets".

aioquic is imported only when the HTTP/3 server starts; a scenario `[requires] python =
["aioquic"]` skips cleanly where it is missing.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
import threading
from typing import Any

import trustme

from selftest.faults import register
from selftest.faults._base import SocketServer, bound_socket, write_private

#: How long start() waits for the QUIC server to bind, and stop() for its loop to end.
LOOP_TIMEOUT_S = 5.0
#: How long stop() lets the UDP transport send what it still holds before closing it anyway.
CLOSE_TIMEOUT_S = 1.0
#: RFC 9114 section 8.1: H3_INTERNAL_ERROR.
H3_INTERNAL_ERROR = 0x0102


@register("http3-reset-stream")
class Http3ResetStream:
    """An HTTP/3 server that answers every request by resetting its stream."""

    def __init__(self, *, port: int = 0) -> None:
        self.port = port
        self.urls: dict[str, str] = {}
        self._dir = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Any = None

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()  # no loop thread, socket or certificate folder outlives a failed start
            raise

    def _start(self) -> None:
        from aioquic.asyncio.server import serve

        configuration = self._configuration()
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, daemon=True,
                                        name=f"http3-reset-stream:{self.port}")
        self._thread.start()
        coroutine = serve("127.0.0.1", self.port, configuration=configuration,
                          create_protocol=_reset_protocol_class())
        self._server = asyncio.run_coroutine_threadsafe(coroutine, loop).result(LOOP_TIMEOUT_S)
        # serve() has no public way to tell the port it bound; its UDP transport knows it.
        self.port = port = self._server._transport.get_extra_info("sockname")[1]
        self.urls.update(url=f"https://127.0.0.1:{port}", host="127.0.0.1", port=str(port),
                         hostport=f"127.0.0.1:{port}",
                         cainfo=os.path.join(self._dir, "ca.pem"))

    def stop(self) -> None:
        loop, thread, server = self._loop, self._thread, self._server
        self._loop, self._thread, self._server = None, None, None
        try:
            if loop is not None and thread is not None:
                if server is not None:
                    asyncio.run_coroutine_threadsafe(_close(server), loop).result(LOOP_TIMEOUT_S)
                loop.call_soon_threadsafe(loop.stop)
                thread.join(LOOP_TIMEOUT_S)
            if loop is not None and (thread is None or not thread.is_alive()):
                loop.close()  # its selector and self-pipe: a loop left open warns when collected
        finally:
            if self._dir:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir = ""

    def _configuration(self) -> Any:
        from aioquic.h3.connection import H3_ALPN
        from aioquic.quic.configuration import QuicConfiguration

        ca = trustme.CA()
        leaf = ca.issue_cert("127.0.0.1", "localhost")
        self._dir = tempfile.mkdtemp(prefix="selftest-h3-")
        ca.cert_pem.write_to_path(os.path.join(self._dir, "ca.pem"))
        cert_path = os.path.join(self._dir, "cert.pem")
        key_path = os.path.join(self._dir, "key.pem")
        with open(cert_path, "wb") as chain:
            chain.write(b"".join(pem.bytes() for pem in leaf.cert_chain_pems))
        write_private(key_path, leaf.private_key_pem.bytes())
        configuration = QuicConfiguration(is_client=False, alpn_protocols=H3_ALPN)
        configuration.load_cert_chain(cert_path, key_path)
        return configuration


async def _close(server: Any) -> None:
    """Close the QUIC server and wait until its UDP socket is really closed.

    The transport closes its socket in a callback the loop runs later (later still when datagrams
    wait to be sent); a socket still open when the loop stops is the "unclosed socket"
    ResourceWarning that pytest's warnings-as-errors turns into a failure of some later test.
    """
    transport = server._transport
    server.close()
    sock = transport.get_extra_info("socket")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CLOSE_TIMEOUT_S
    while sock is not None and sock.fileno() != -1:
        if loop.time() > deadline:
            transport.abort()  # drop what is still buffered: close now
            deadline = float("inf")
        await asyncio.sleep(0.001)


def _reset_protocol_class() -> type:
    """The aioquic protocol class, built on first use so that importing this module is free."""
    from aioquic.asyncio.protocol import QuicConnectionProtocol
    from aioquic.h3.connection import H3Connection
    from aioquic.h3.events import HeadersReceived
    from aioquic.quic.events import ProtocolNegotiated, QuicEvent

    class ResetEveryRequest(QuicConnectionProtocol):
        h3: H3Connection | None = None

        def quic_event_received(self, event: QuicEvent) -> None:
            if isinstance(event, ProtocolNegotiated):
                self.h3 = H3Connection(self._quic)
            if self.h3 is None:
                return
            for h3_event in self.h3.handle_event(event):
                if isinstance(h3_event, HeadersReceived):
                    self._quic.reset_stream(h3_event.stream_id, H3_INTERNAL_ERROR)
                    self.transmit()

    return ResetEveryRequest


@register("unix-socket-listener")
class UnixSocketListener(SocketServer):
    """A unix socket in a private temporary folder that accepts each connection and closes it.

    It has no TCP port: `port` is accepted (as by every fault) and has nothing to bind."""

    def __init__(self, *, port: int = 0) -> None:
        super().__init__(port=port)
        self._dir = ""

    def bind(self) -> socket.socket:
        self._dir = tempfile.mkdtemp(prefix="selftest-unix-")
        return bound_socket(socket.AF_UNIX, self._socket_path())

    def make_urls(self) -> dict[str, str]:
        return {"url": "https://localhost", "socket_path": self._socket_path()}

    def stop(self) -> None:
        super().stop()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    def handle(self, conn: socket.socket) -> None:
        conn.close()

    def _socket_path(self) -> str:
        return os.path.join(self._dir, "server.sock")
