"""A scripted FTP responder: every reply is data, so one small server reaches many libcurl codes.

libcurl downloads with USER, PASS, PWD, [CWD], EPSV (or EPRT with FTPPORT), TYPE I, SIZE,
[REST], RETR (https://curl.se/libcurl/c/libcurl-errors.html names the reply behind each code).
The fault answers each command with a sensible default, unless `replies` scripts it::

    [server]
    fault = "ftp-scripted"
    replies = { CWD = "550 no such directory" }          # -> libcurl 9
    final_replies = { STOR = "552 disk full" }            # after the data transfer -> 70

A scripted reply is sent as it stands, in one write (lines split on "\\n" and sent with CRLF), and
nothing else happens for that command: a scripted `150` on RETR opens no data connection, which is
how 10 and 12 are reached. `auth_tls = true` answers AUTH TLS and runs the control connection over
TLS (a trustme certificate for 127.0.0.1; its CA is `{cainfo}`); after a 200 to CCC the server
keeps sending TLS records and never its close_notify, which is code 80.
`abstract_unix_socket = true` listens on a Linux abstract unix socket (`{abstract_socket}`)
instead of TCP, for code 15.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import trustme

from selftest.faults import register
from selftest.faults._base import LineReader, SocketServer, bound_socket
from selftest.faults.ftp_data import DataChannel, receive_until_closed, send_and_close

#: What each command gets when the scenario does not script it.
DEFAULT_REPLIES = {
    "greeting": "220 selftest scripted FTP responder",
    "USER": "331 password, please",
    "PASS": "230 logged in",
    "ACCT": "230 account accepted",
    "PWD": '257 "/" is the current directory',
    "CWD": "250 directory changed",
    "TYPE": "200 type set",
    "PRET": "200 PRET accepted",
    "PBSZ": "200 PBSZ=0",
    "PROT": "200 protection level set",
    "MDTM": "213 20000101000000",
    "SYST": "215 UNIX Type: L8",
    "NOOP": "200 ok",
    "AUTH": "500 AUTH not understood",
    "QUIT": "221 bye",
}

#: A one-file Unix `ls -l` listing that libcurl's wildcard parser accepts.
DEFAULT_LISTING = "-rw-r--r--   1 owner group           6 Jan 01  2000 a.txt\r\n"

#: How long the server keeps sending TLS records after CCC before giving up on the client.
CCC_FLOOD_S = 5.0


@register("ftp-scripted")
class ScriptedFtpServer(SocketServer):
    """An FTP server whose replies, per command, are the scenario's data."""

    scheme = "ftp"
    read_timeout_s = None  # a control connection may idle between commands; stop() ends it

    def __init__(
        self,
        replies: Mapping[str, str] | None = None,
        final_replies: Mapping[str, str] | None = None,
        file_text: str = "hello\n",
        list_text: str = DEFAULT_LISTING,
        auth_tls: bool = False,
        abstract_unix_socket: bool = False,
        *,
        port: int = 0,
    ) -> None:
        super().__init__(port=port)
        self.abstract_name = f"selftest-ftp-{uuid.uuid4().hex[:12]}" if abstract_unix_socket else ""
        self.replies = {key if key == "greeting" else key.upper(): value
                        for key, value in (replies or {}).items()}
        self.final_replies = {key.upper(): value for key, value in (final_replies or {}).items()}
        self.file_bytes = file_text.encode()
        self.list_bytes = list_text.encode()
        self.auth_tls = auth_tls
        self.tls_context: ssl.SSLContext | None = None
        self._cert_dir = ""

    def start(self) -> None:
        if self.auth_tls:
            self.tls_context = self._make_tls_context()
        super().start()

    def bind(self) -> socket.socket:
        if not self.abstract_name:
            return super().bind()
        # Linux abstract namespace: a leading NUL byte, no file on disk to clean up.
        return bound_socket(socket.AF_UNIX, "\0" + self.abstract_name)

    def make_urls(self) -> dict[str, str]:
        urls = super().make_urls()
        if self.abstract_name:
            # The host in the URL is only a name: the control connection goes to the socket.
            urls = {"url": "ftp://127.0.0.1", "abstract_socket": self.abstract_name}
        if self._cert_dir:
            urls["cainfo"] = os.path.join(self._cert_dir, "ca.pem")
        return urls

    def stop(self) -> None:
        super().stop()
        if self._cert_dir:
            shutil.rmtree(self._cert_dir, ignore_errors=True)

    def handle(self, conn: Any) -> None:
        FtpSession(self, conn).run()

    def _make_tls_context(self) -> ssl.SSLContext:
        ca = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self._cert_dir = tempfile.mkdtemp(prefix="selftest-ftps-")
        ca.cert_pem.write_to_path(os.path.join(self._cert_dir, "ca.pem"))
        return context


class FtpSession:
    """One control connection: read a command, answer it (scripted or default), repeat."""

    def __init__(self, server: ScriptedFtpServer, conn: Any) -> None:
        self.server = server
        self.sock = conn
        self.reader = LineReader(conn)
        self.data = DataChannel(server.track)
        self.rest_offset = 0
        self.handlers: dict[str, Callable[[str], None]] = {
            "EPSV": self.epsv, "PASV": self.pasv, "EPRT": self.eprt, "PORT": self.port,
            "SIZE": self.size, "REST": self.rest, "RETR": self.retr, "STOR": self.stor,
            "LIST": self.listing, "NLST": self.listing, "AUTH": self.auth, "CCC": self.ccc,
        }

    def run(self) -> None:
        self.reply(self.server.replies.get("greeting", DEFAULT_REPLIES["greeting"]))
        while (line := self.reader.readline()) is not None:
            verb, _, argument = line.decode("latin-1").partition(" ")
            verb = verb.upper()
            self.answer(verb, argument.strip())
            if verb == "QUIT" or self.server.stopping:
                return

    def answer(self, verb: str, argument: str) -> None:
        scripted = self.server.replies.get(verb)
        if scripted is not None:
            self.reply(scripted)
        elif verb in self.handlers and (verb not in ("AUTH", "CCC") or self.server.auth_tls):
            self.handlers[verb](argument)
        else:
            self.reply(DEFAULT_REPLIES.get(verb, f"500 {verb} not understood"))

    def reply(self, text: str) -> None:
        # All lines in one write: libcurl must see e.g. "150 ...\r\n425 ..." as one burst.
        lines = text.replace("\r\n", "\n").split("\n")
        self.sock.sendall("".join(f"{line}\r\n" for line in lines).encode("latin-1"))

    def epsv(self, _argument: str) -> None:
        self.reply(f"229 Entering Extended Passive Mode (|||{self.data.listen_passive()}|)")

    def pasv(self, _argument: str) -> None:
        port = self.data.listen_passive()
        self.reply(f"227 Entering Passive Mode (127,0,0,1,{port // 256},{port % 256})")

    def eprt(self, argument: str) -> None:
        ok = self.data.use_active(argument, extended=True)
        self.reply("200 EPRT command successful" if ok else "501 bad EPRT argument")

    def port(self, argument: str) -> None:
        ok = self.data.use_active(argument, extended=False)
        self.reply("200 PORT command successful" if ok else "501 bad PORT argument")

    def size(self, _argument: str) -> None:
        self.reply(f"213 {len(self.server.file_bytes)}")

    def rest(self, argument: str) -> None:
        self.rest_offset = int(argument) if argument.isdigit() else 0
        self.reply(f"350 restarting at {self.rest_offset}")

    def retr(self, _argument: str) -> None:
        self.send_over_data("RETR", self.server.file_bytes[self.rest_offset:])

    def listing(self, _argument: str) -> None:
        self.send_over_data("LIST", self.server.list_bytes)

    def send_over_data(self, verb: str, payload: bytes) -> None:
        self.reply("150 opening data connection")
        conn = self.data.open()
        if conn is None:
            self.reply("425 cannot open data connection")
            return
        send_and_close(conn, payload)
        self.reply(self.server.final_replies.get(verb, "226 transfer complete"))

    def stor(self, _argument: str) -> None:
        self.reply("150 ready to receive")
        conn = self.data.open()
        if conn is None:
            self.reply("425 cannot open data connection")
            return
        receive_until_closed(conn)
        self.reply(self.server.final_replies.get("STOR", "226 upload complete"))

    def auth(self, _argument: str) -> None:
        self.reply("234 AUTH TLS accepted, start the handshake")
        assert self.server.tls_context is not None  # auth_tls makes one in start()
        tls = self.server.tls_context.wrap_socket(self.sock, server_side=True)
        self.server.track(tls)
        self.sock = tls
        self.reader = LineReader(tls)

    def ccc(self, _argument: str) -> None:
        # RFC 4217 §12.3: both ends should exchange close_notify. This server never sends its
        # own and keeps the TLS records coming, so libcurl cannot shut TLS down (code 80).
        self.reply("200 CCC accepted, clearing the command channel")
        deadline = time.monotonic() + CCC_FLOOD_S
        while time.monotonic() < deadline and not self.server.stopping:
            self.sock.sendall(b"x" * 1024)
