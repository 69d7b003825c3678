"""Every fault listens on the `port` it is given (`selftest serve --port`), and stops cleanly."""

from __future__ import annotations

import gc
import importlib.util
import socket
import tempfile
from pathlib import Path
from typing import Any

import pytest

from selftest import faults

#: The attributes a fault cannot do without; every other fault starts with none.
REQUIRED: dict[str, dict[str, Any]] = {
    "raw-reply": {"reply": "HTTP/1.1 204 No Content\r\n\r\n"},
    "reset-after-bytes": {"reply": "HTTP/1.1 200 OK\r\n\r\n", "after_bytes": 5},
}
#: Over UDP: the free port is found with a datagram socket.
UDP = {"tftp-error-reply", "http3-reset-stream"}
#: No TCP or UDP port at all: it listens on a unix socket.
NO_PORT = {"unix-socket-listener"}


def free_port(kind: socket.SocketKind) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("name", sorted(set(faults.load_all()) - NO_PORT))
def test_fault_listens_on_the_port_it_is_given(name: str) -> None:
    """A fault started with `port=N` serves on 127.0.0.1:N and says so in its urls."""
    if name == "http3-reset-stream" and importlib.util.find_spec("aioquic") is None:
        pytest.skip("aioquic is not installed")
    port = free_port(socket.SOCK_DGRAM if name in UDP else socket.SOCK_STREAM)
    with faults.start_fault(name, port=port, **REQUIRED.get(name, {})) as server:
        assert server.urls["port"] == str(port)


def test_a_unix_socket_fault_accepts_a_port_it_has_no_use_for() -> None:
    """`selftest serve --port` on a unix-socket fault still starts it (there is no port to bind)."""
    with faults.start_fault("unix-socket-listener", port=1) as server:
        assert server.urls["socket_path"].endswith("server.sock")


@pytest.mark.parametrize(("name", "attributes", "kind"), [
    ("raw-reply", REQUIRED["raw-reply"], socket.SOCK_STREAM),
    ("ftp-scripted", {"auth_tls": True}, socket.SOCK_STREAM),
    ("tftp-error-reply", {}, socket.SOCK_DGRAM),
])
def test_a_port_in_use_fails_start_and_leaves_nothing_behind(
        name: str, attributes: dict[str, Any], kind: socket.SocketKind,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """start() on a taken port raises OSError, closes its socket and removes its temporary files."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # not /tmp: other runs write there
    with socket.socket(socket.AF_INET, kind) as taken:
        taken.bind(("127.0.0.1", 0))
        if kind == socket.SOCK_STREAM:
            taken.listen(1)
        server = faults.create(name, port=taken.getsockname()[1], **attributes)
        with pytest.raises(OSError, match="already in use"):
            server.start()
    gc.collect()  # an unclosed socket would warn here, an error under warnings-as-errors
    assert list(tmp_path.iterdir()) == []
