"""The DNS jail: names that must fail get a local NXDOMAIN, and nothing can leave the machine."""

from __future__ import annotations

import shutil
import socket
import struct
import subprocess
from pathlib import Path

import pytest

from selftest.clients import dnsjail


def _query(name: str) -> bytes:
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split("."))
    return struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + labels + b"\x00\x00\x01\x00\x01"


def test_the_answer_is_nxdomain_for_the_same_question() -> None:
    """Same id and question back, RCODE 3 (no such name), no answer records."""
    query = _query("box-api.onion")
    answer = dnsjail.nxdomain(query)
    query_id, flags, qdcount, ancount = struct.unpack("!HHHH", answer[:8])
    assert (query_id, flags & 0xF, qdcount, ancount) == (0x1234, 3, 1, 0)
    assert answer[12:] == query[12:]
    assert dnsjail.question_name(query) == "box-api.onion"


def test_without_unshare_the_reason_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """No unshare(1): jailed() says why instead of running anything."""
    dnsjail._unshare.cache_clear()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    try:
        assert "unshare" in str(dnsjail.jailed(["true"], Path("/dev/null")))
    finally:
        dnsjail._unshare.cache_clear()


def test_a_lookup_in_the_jail_is_answered_locally(tmp_path: Path) -> None:
    """getaddrinfo in the jail fails for .onion, asked of the jail's server; only lo exists."""
    log = tmp_path / "dns.log"
    command = dnsjail.jailed(["getent", "ahosts", "box-api.onion"], log)
    if isinstance(command, str):
        pytest.skip(command)
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2, done.stdout + done.stderr  # getent: key not found
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "interfaces: lo"
    assert "question: box-api.onion" in lines
    # The machine's own resolver configuration is untouched outside the jail.
    assert "nameserver 127.0.0.1\noptions attempts:1" not in Path("/etc/resolv.conf").read_text()
    socket.getaddrinfo("localhost", 80)  # and the host's resolver still works
