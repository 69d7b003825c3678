"""Run a client where names that must fail get a local answer and no packet can leave the machine.

pycurl's libcurl ≥ 8.1 refuses `.onion` names before any lookup (RFC 7686); libcurl 7.x — PHP's
cURL on Debian 12 — hands them to the system resolver, which would send a real DNS query out.
So a scenario whose names must fail (`box-api.onion`, `proxy.onion`) runs its PHP client here:

    unshare --net --mount [--map-root-user] -- python -m selftest.clients.dnsjail LOG -- php ...

Inside the new namespaces: a network with only the loopback interface (nothing can leave);
/etc/resolv.conf replaced by one naming 127.0.0.1, /etc/nsswitch.conf by `hosts: files dns`
(so no nscd or systemd-resolved socket on the file system is asked instead); a DNS server on
127.0.0.1:53 that answers every question NXDOMAIN and writes each to LOG. The client's own
resolver (glibc's getaddrinfo, as libcurl's threaded resolver uses it) then gets a real, local
"no such name" — the same code and message libcurl 7 gives for an unknown name anywhere.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

_MS_BIND = 4096
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1
#: Sockets through which a name service outside this process could answer instead of DNS.
_NAME_SERVICE_DIRS = ("/var/run/nscd", "/run/nscd", "/run/systemd/resolve")


def jailed(argv: Sequence[str], log: Path) -> list[str] | str:
    """The command line running `argv` in the jail, or why this machine cannot make one."""
    prefix = _unshare()
    if isinstance(prefix, str):
        return prefix
    return [*prefix, sys.executable, "-m", "selftest.clients.dnsjail", str(log), "--", *argv]


@cache
def _unshare() -> list[str] | str:
    """`unshare` with the options this machine allows, tried once; or why there is none."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return "no unshare(1) here (util-linux): cannot give names a local DNS answer"
    user = [] if os.geteuid() == 0 else ["--map-root-user"]
    command = [unshare, "--net", "--mount", *user, "--"]
    try:
        tried = subprocess.run([*command, "true"], capture_output=True, text=True, timeout=10,
                               check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot make a network namespace for a local DNS answer: {exc}"
    if tried.returncode != 0:
        said = tried.stderr.strip().splitlines()[-1:] or ["no reason given"]
        return f"cannot make a network namespace for a local DNS answer: {said[0]}"
    return command


def nxdomain(query: bytes) -> bytes:
    """The answer to `query`: same id and question, QR + RD + RA set, RCODE 3, no records."""
    if len(query) < 12:
        return b""
    query_id, _flags, qdcount = struct.unpack("!HHH", query[:6])
    return struct.pack("!HHHHHH", query_id, 0x8183, qdcount, 0, 0, 0) + query[12:]


def question_name(query: bytes) -> str:
    """The first question's name in a DNS query (RFC 1035 §4.1.2), dotted."""
    labels, offset = [], 12
    while offset < len(query) and query[offset]:
        size = query[offset]
        labels.append(query[offset + 1:offset + 1 + size].decode("ascii", "replace"))
        offset += 1 + size
    return ".".join(labels)


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(sock, _SIOCGIFFLAGS, request)[:18])[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | _IFF_UP))


def _bind_over(source: Path, target: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(str(source).encode(), target.encode(), None, _MS_BIND, None) != 0:
        raise OSError(ctypes.get_errno(), f"cannot bind {source} over {target}")


def _serve(sock: socket.socket, log: Path) -> None:
    while True:
        query, peer = sock.recvfrom(4096)
        with log.open("a", encoding="utf-8") as out:
            out.write(f"question: {question_name(query)}\n")
        sock.sendto(nxdomain(query), peer)


def main(argv: Sequence[str]) -> int:
    """Inside the namespaces: set up the local resolver, run the command, return its status."""
    log, command = Path(argv[0]), list(argv[2:])
    _loopback_up()
    folder = Path(tempfile.mkdtemp(prefix="selftest-dnsjail-"))
    (folder / "resolv.conf").write_text("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n",
                                        encoding="ascii")
    (folder / "nsswitch.conf").write_text("hosts: files dns\n", encoding="ascii")
    (folder / "empty").mkdir()
    _bind_over(folder / "resolv.conf", "/etc/resolv.conf")
    _bind_over(folder / "nsswitch.conf", "/etc/nsswitch.conf")
    for directory in _NAME_SERVICE_DIRS:
        if os.path.isdir(directory):
            _bind_over(folder / "empty", directory)
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 53))
    interfaces = " ".join(name for _index, name in socket.if_nameindex())
    log.write_text(f"interfaces: {interfaces}\n", encoding="utf-8")
    threading.Thread(target=_serve, args=(server, log), daemon=True).start()
    try:
        return subprocess.run(command, check=False).returncode
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
