"""An RTSP responder whose reply carries a chosen CSeq and Session header.

RTSP (RFC 2326) pairs each reply with its request by the CSeq header, and a server names the
session with a Session header. libcurl checks both (lib/rtsp.c): a CSeq other than the one it
sent is code 85, a Session other than CURLOPT_RTSP_SESSION_ID is code 86.

    [server]
    fault = "rtsp-reply"
    reply_cseq = 999            # 0: echo the request's CSeq
    session_id = "xyz"          # "": no Session header
"""

from __future__ import annotations

import socket

from selftest.faults import register
from selftest.faults._base import LineReader, SocketServer


@register("rtsp-reply")
class RtspReply(SocketServer):
    """Answers every RTSP request `RTSP/1.0 200 OK` with the scripted CSeq and Session."""

    scheme = "rtsp"
    read_timeout_s = None  # an RTSP session may idle between requests; stop() ends it

    def __init__(self, reply_cseq: int = 0, session_id: str = "", *, port: int = 0) -> None:
        super().__init__(port=port)
        self.reply_cseq = reply_cseq
        self.session_id = session_id

    def handle(self, conn: socket.socket) -> None:
        reader = LineReader(conn)
        while (head := reader.read_head()) is not None:
            if head:  # a stray blank line is not a request
                conn.sendall(self.reply_to(head))

    def reply_to(self, head: list[bytes]) -> bytes:
        cseq = self.reply_cseq or request_cseq(head)
        lines = ["RTSP/1.0 200 OK", f"CSeq: {cseq}", "Public: OPTIONS, DESCRIBE"]
        if self.session_id:
            lines.append(f"Session: {self.session_id}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def request_cseq(head: list[bytes]) -> int:
    """The CSeq a request carried (0 when none)."""
    for line in head:
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "cseq" and value.strip().isdigit():
            return int(value.strip())
    return 0
