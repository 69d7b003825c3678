"""Socket-level fault servers behave as their names say, and always stop."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from typing import Any

import pytest

from selftest import faults
from selftest.errors import ScenarioError
from selftest.faults._certs import pki

StartFault = Callable[..., Any]


def connect(server: Any) -> socket.socket:
    return socket.create_connection(("127.0.0.1", int(server.urls["port"])), timeout=2)


def test_part_a_faults_are_registered() -> None:
    """Every fault the part-A scenarios use is in the registry."""
    names = {"refuse", "reset-on-accept", "close-without-reply", "stall", "reset-after-bytes",
             "backlog-full", "raw-reply", "oversize-headers", "tls-ok", "tls-unknown-ca",
             "tls-wrong-host", "tls-expired-cert", "tls13-only", "tls-alert", "socks5-failure",
             "socks4-rejected", "h2c-rst-stream", "proxy-auth-required"}
    assert names <= set(faults.load_all())


def test_reset_on_accept_sends_rst(fault_server: StartFault) -> None:
    """reset-on-accept closes with RST: the client's read fails with ECONNRESET (or, when the
    RST lands before connect() has checked its own outcome — a busy machine — connect does)."""
    server = fault_server("reset-on-accept")
    with pytest.raises(ConnectionResetError):
        _connect_and_read(server)


def _connect_and_read(server: Any) -> None:
    with connect(server) as client:
        client.settimeout(2)
        _read_after_reset(client)


def _read_after_reset(client: socket.socket) -> None:
    client.sendall(b"GET / HTTP/1.1\r\n\r\n")
    client.recv(10)


def test_raw_reply_writes_exact_bytes(fault_server: StartFault) -> None:
    """raw-reply writes its reply byte for byte after the request head, then closes."""
    server = fault_server("raw-reply", reply="HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n")
    with connect(server) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        while chunk := client.recv(4096):
            received += chunk
    assert received == b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n"


def test_raw_reply_rejects_unknown_then() -> None:
    """A misspelt `then` is a scenario error, not a silent default."""
    with pytest.raises(ScenarioError, match="then must be"):
        faults.create("raw-reply", reply="x", then="explode")


def test_stall_stops_promptly_with_a_client_attached() -> None:
    """stop() ends a stall server even while a client holds a connection open."""
    server = faults.create("stall")
    server.start()
    client = connect(server)
    before = threading.active_count()
    server.stop()
    client.close()
    assert threading.active_count() <= before


def test_tls_expired_cert_fails_verification(fault_server: StartFault) -> None:
    """tls-expired-cert presents a certificate that has expired (per Python's ssl too)."""
    server = fault_server("tls-expired-cert")
    context = ssl.create_default_context(cafile=server.urls["ca"])
    with connect(server) as raw, pytest.raises(ssl.SSLCertVerificationError, match="expired"):
        context.wrap_socket(raw, server_hostname="127.0.0.1")


def test_tls_ok_is_trusted_through_the_test_ca(fault_server: StartFault) -> None:
    """tls-ok's certificate verifies against {ca} for 127.0.0.1."""
    server = fault_server("tls-ok")
    context = ssl.create_default_context(cafile=pki().placeholders()["ca"])
    with connect(server) as raw, context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        tls.sendall(b"GET / HTTP/1.1\r\n\r\n")
        assert tls.recv(100).startswith(b"HTTP/1.1 200 OK")


def test_socks5_failure_replies_general_failure(fault_server: StartFault) -> None:
    """socks5-failure accepts the greeting and answers CONNECT with reply code 1."""
    with connect(fault_server("socks5-failure")) as client:
        client.sendall(b"\x05\x01\x00")
        assert client.recv(2) == b"\x05\x00"
        client.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x50")
        assert client.recv(10)[:2] == b"\x05\x01"


def test_stop_leaves_a_handlers_socket_to_the_handler() -> None:
    """stop() wakes a handler blocked in recv() but never closes the socket under it: a socket
    closed while its thread is about to wait on it left that thread waiting on a dead (or
    reused) descriptor, holding stop() for JOIN_TIMEOUT_S in 1 run of 20."""
    from selftest.faults._base import SocketServer

    seen: dict[str, object] = {}
    woke = threading.Event()

    class Waiter(SocketServer):
        def handle(self, conn: socket.socket) -> None:
            seen["read"] = conn.recv(10)  # returns b"" once stop() shut the socket down
            woke.set()
            threading.Event().wait(0.2)  # the old stop() closed it meanwhile
            seen["open"] = conn.fileno() != -1

    server = Waiter()
    server.start()
    try:
        with connect(server):
            threading.Event().wait(0.1)  # the handler is in recv()
            server.stop()
    finally:
        server.stop()
    assert woke.is_set() and seen == {"read": b"", "open": True}


def test_refuse_keeps_its_port_from_other_servers() -> None:
    """refuse's port is refused, and no server started meanwhile can be given it (scenarios
    run side by side: a port given back at once went to the next bind to port 0)."""
    server = faults.create("refuse")
    server.start()
    try:
        port = int(server.urls["port"])
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2)
        other = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        with other, pytest.raises(OSError, match="in use"):
            other.bind(("127.0.0.1", port))
    finally:
        server.stop()
