"""HTTP/2 faults, spoken by the `h2` library over cleartext (h2c, prior knowledge).

    h2c-rst-stream   a real HTTP/2 server that answers every request stream with RST_STREAM
                     (`error_code`, default 2 INTERNAL_ERROR): libcurl reports 92 (HTTP2_STREAM)

An HTTP/1.1 server met with prior knowledge (code 16) needs no h2 at all: see raw-reply.
"""

from __future__ import annotations

import socket

import h2.config
import h2.connection
import h2.events

from selftest.faults import register
from selftest.faults._base import SocketServer


@register("h2c-rst-stream")
class H2ResetStream(SocketServer):
    """Accepts the HTTP/2 connection, then resets each request stream."""

    def __init__(self, *, error_code: int = 2, port: int = 0) -> None:
        super().__init__(port=port)
        self.error_code = error_code

    def handle(self, conn: socket.socket) -> None:
        h2conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        h2conn.initiate_connection()
        conn.sendall(h2conn.data_to_send())
        while not self.stopping:
            data = conn.recv(65536)
            if not data:
                return
            for event in h2conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    h2conn.reset_stream(event.stream_id, error_code=self.error_code)
            conn.sendall(h2conn.data_to_send())
