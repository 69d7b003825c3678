"""The protocol fault servers (FTP, TFTP, RTSP, IMAP, SSH stand-ins), driven by real transfers.

Each test starts a fault, points a real libcurl transfer at it through the project's transport
or client steps, and pins the code libcurl returns. The scenario files cover one case per code;
these tests pin the servers' own behaviour (defaults, scripting, cleanup) around them.
"""

from __future__ import annotations

import os
import socket
import struct
from typing import Any

import pycurl
import pytest

from selftest.faults import create, start_fault
from selftest.faults.ftp_data import parse_eprt, parse_port
from selftest.faults.rtsp import request_cseq
from selftest.faults.tftp import error_packet
from selftest.observe import Observation
from selftest.steps import get
from selftest.transport import Request, perform

PROTOCOLS = set(pycurl.version_info()[8])


def needs(protocol: str) -> Any:
    return pytest.mark.skipif(protocol not in PROTOCOLS, reason=f"libcurl lacks {protocol}")


def fetch(url: str, **options: Any) -> Observation:
    return perform(Request(url=url, timeout_ms=2000, options=options))


@needs("ftp")
def test_ftp_default_replies_serve_the_file_in_passive_mode() -> None:
    """With nothing scripted, a passive-mode download receives `file_text`."""
    with start_fault("ftp-scripted", file_text="backup\n") as server:
        obs = fetch(server.urls["url"] + "/dir/site.wpress")
    assert (obs.curl_code, obs.body) == (0, b"backup\n")


@needs("ftp")
def test_ftp_default_replies_serve_the_file_in_active_mode() -> None:
    """With FTPPORT the server connects back to the client's EPRT address and sends the file."""
    with start_fault("ftp-scripted") as server:
        obs = fetch(server.urls["url"] + "/site.wpress", FTPPORT="127.0.0.1")
    assert (obs.curl_code, obs.body) == (0, b"hello\n")


@needs("ftp")
def test_ftp_resume_sends_the_rest_of_the_file() -> None:
    """REST is honoured: a resumed download receives the file from that offset."""
    with start_fault("ftp-scripted", file_text="0123456789") as server:
        obs = fetch(server.urls["url"] + "/site.wpress", RESUME_FROM=4)
    assert (obs.curl_code, obs.body) == (0, b"456789")


@needs("ftp")
@pytest.mark.parametrize(
    ("replies", "path", "options", "code"),
    [
        ({"CWD": "550 no"}, "/dir/f", {}, 9),
        ({"RETR": "150 opening\n425 cannot open"}, "/f", {"FTPPORT": "127.0.0.1"}, 10),
        ({"RETR": "150 opening"}, "/f", {"FTPPORT": "127.0.0.1", "ACCEPTTIMEOUT_MS": 300}, 12),
        ({"EPSV": "500 no", "PASV": "227 Entering Passive Mode (x,y,z)"}, "/f", {}, 14),
        ({"PASS": "530 no"}, "/f", {}, 67),
        ({"greeting": "200 not a greeting"}, "/f", {}, 8),
    ],
)
def test_ftp_scripted_reply_replaces_the_default(
    replies: dict[str, str], path: str, options: dict[str, Any], code: int
) -> None:
    """A scripted reply is sent as written, in one write, and nothing else is done for it."""
    with start_fault("ftp-scripted", replies=replies) as server:
        obs = fetch(server.urls["url"] + path, **options)
    assert obs.curl_code == code, obs.curl_message


@needs("ftp")
def test_ftp_final_reply_follows_the_upload() -> None:
    """`final_replies` replaces the 226 sent after the data: STOR then 552 is libcurl 70."""
    with start_fault("ftp-scripted", final_replies={"STOR": "552 full"}) as server:
        obs = get("upload-file")({"url": server.urls["url"] + "/up.bin", "timeout_ms": 2000})
    assert obs.curl_code == 70


@needs("ftp")
def test_ftp_wildcard_download_reads_the_listing() -> None:
    """A wildcard download lists the folder on the data connection and fetches the match."""
    with start_fault("ftp-scripted") as server:
        obs = fetch(server.urls["url"] + "/dir/*.txt", WILDCARDMATCH=1)
    assert (obs.curl_code, obs.body) == (0, b"hello\n")


@needs("ftp")
def test_ftps_control_channel_runs_over_tls_until_ccc() -> None:
    """AUTH TLS upgrades the control connection (CA in {cainfo}); the CCC flood gives 80."""
    with start_fault("ftp-scripted", auth_tls=True) as server:
        url = server.urls["url"] + "/site.wpress"
        ok = fetch(url, USE_SSL=pycurl.USESSL_CONTROL, CAINFO=server.urls["cainfo"])
        ccc = fetch(url, USE_SSL=pycurl.USESSL_CONTROL, CAINFO=server.urls["cainfo"],
                    FTP_SSL_CCC=1)
    assert (ok.curl_code, ok.body, ccc.curl_code) == (0, b"hello\n", 80)


def test_ftp_tls_files_are_removed_on_stop() -> None:
    """The FTPS test CA lives in a private folder that stop() removes."""
    with start_fault("ftp-scripted", auth_tls=True) as server:
        cainfo = server.urls["cainfo"]
        assert os.path.exists(cainfo)
    assert not os.path.exists(cainfo)


def test_eprt_and_port_arguments_are_parsed() -> None:
    """EPRT (RFC 2428) and PORT (RFC 959) name the same address; malformed ones give None."""
    assert parse_eprt("|1|127.0.0.1|40139|") == ("127.0.0.1", 40139)
    assert parse_port("127,0,0,1,156,203") == ("127.0.0.1", 40139)
    assert parse_eprt("|1|127.0.0.1|x|") is None
    assert parse_port("127,0,0,1") is None


def test_stop_closes_connections_a_client_left_open() -> None:
    """stop() returns promptly even when a client still holds the control connection."""
    server = create("ftp-scripted")
    server.start()
    port = int(server.urls["url"].rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=2) as client:
        assert client.recv(100).startswith(b"220")
        server.stop()
        assert client.recv(100) == b""


def test_tftp_error_packet_layout() -> None:
    """An ERROR packet is opcode 5, the code, the message and a NUL (RFC 1350 section 5)."""
    assert error_packet(3, "Disk full") == struct.pack("!HH", 5, 3) + b"Disk full\0"


def test_tftp_responder_survives_an_empty_datagram() -> None:
    """A zero-length datagram is ignored: the responder still answers the next request."""
    with start_fault("tftp-error-reply") as server, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(2)
        address = ("127.0.0.1", int(server.urls["port"]))
        client.sendto(b"", address)
        client.sendto(struct.pack("!H", 1) + b"f\0octet\0", address)
        assert client.recvfrom(100)[0] == error_packet(1, "File not found")


@needs("tftp")
@pytest.mark.parametrize(("tftp_code", "curl_code"), [(1, 68), (2, 69), (4, 71), (5, 72),
                                                      (7, 74), (0, 71), (8, 42)])
def test_tftp_error_codes_map_to_libcurl_codes(tftp_code: int, curl_code: int) -> None:
    """libcurl maps each TFTP error code on a download to its own code (8 and up: 42)."""
    with start_fault("tftp-error-reply", error_code=tftp_code) as server:
        obs = fetch(server.urls["url"] + "/site.wpress")
    assert obs.curl_code == curl_code, obs.curl_message


@needs("tftp")
@pytest.mark.parametrize(("tftp_code", "curl_code"), [(3, 70), (6, 73)])
def test_tftp_upload_errors(tftp_code: int, curl_code: int) -> None:
    """Disk full and file exists, answered to a write request, are 70 and 73."""
    with start_fault("tftp-error-reply", error_code=tftp_code) as server:
        obs = get("upload-file")({"url": server.urls["url"] + "/up.bin", "timeout_ms": 2000})
    assert obs.curl_code == curl_code, obs.curl_message


@needs("rtsp")
@pytest.mark.parametrize(("attributes", "options", "code"), [
    ({}, {}, 0),
    ({"reply_cseq": 999}, {}, 85),
    ({"session_id": "xyz"}, {"OPT_RTSP_SESSION_ID": "abc"}, 86),
])
def test_rtsp_reply_cseq_and_session(attributes: dict[str, Any], options: dict[str, Any],
                                     code: int) -> None:
    """By default the CSeq is echoed (success); a scripted CSeq or Session is caught by libcurl."""
    with start_fault("rtsp-reply", **attributes) as server:
        obs = fetch(server.urls["url"] + "/stream",
                    OPT_RTSP_REQUEST=pycurl.RTSPREQ_OPTIONS, **options)
    assert obs.curl_code == code, obs.curl_message


def test_rtsp_request_cseq_is_read_from_the_head() -> None:
    """The request's CSeq header is found whatever its case; none gives 0."""
    assert request_cseq([b"OPTIONS * RTSP/1.0", b"cseq: 7"]) == 7
    assert request_cseq([b"OPTIONS * RTSP/1.0"]) == 0


@needs("imap")
def test_imap_server_lists_its_capabilities() -> None:
    """The IMAP fault greets and answers CAPABILITY with the configured list."""
    with start_fault("imap-gssapi-only", capabilities="IMAP4rev1 AUTH=GSSAPI") as server:
        port = int(server.urls["port"])
        with socket.create_connection(("127.0.0.1", port), timeout=2) as client:
            assert client.recv(200).startswith(b"* OK")
            client.sendall(b"A1 CAPABILITY\r\n")
            reply = client.recv(200)
    assert reply == b"* CAPABILITY IMAP4rev1 AUTH=GSSAPI\r\nA1 OK CAPABILITY completed\r\n"


@needs("imap")
def test_without_kerberos_ticket_restores_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The hermetic Kerberos variables are gone after the step; the code is 94."""
    monkeypatch.setenv("KRB5_CONFIG", "/etc/original-krb5.conf")
    monkeypatch.delenv("KRB5CCNAME", raising=False)
    with start_fault("imap-gssapi-only") as server:
        obs = get("without-kerberos-ticket")({
            "url": server.urls["url"] + "/INBOX", "timeout_ms": 2000,
            "options": {"LOGIN_OPTIONS": "AUTH=GSSAPI", "USERNAME": "u@SELFTEST.INVALID"}})
    assert obs.curl_code == 94, obs.curl_message
    assert os.environ["KRB5_CONFIG"] == "/etc/original-krb5.conf"
    assert "KRB5CCNAME" not in os.environ


@needs("sftp")
def test_ssh_banner_that_is_not_ssh_fails_session_setup() -> None:
    """A non-SSH identification line makes libssh2 give up: libcurl 2."""
    with start_fault("ssh-not-ssh-banner") as server:
        obs = fetch(server.urls["url"] + "/f")
    assert obs.curl_code == 2, obs.curl_message


@needs("sftp")
@pytest.mark.parametrize("host_field", ["{host}", "[{host}]:{port}"])
def test_rsa1_known_hosts_line_is_refused_before_the_handshake(host_field: str) -> None:
    """An RSA1 known_hosts entry for the host, plain or with its port, stops libcurl with 79."""
    with start_fault("ssh-silent-accept") as server:
        line = host_field.format(**server.urls) + " 2048 65537 " + "1234567890" * 4
        obs = get("sftp-with-known-hosts")({"url": server.urls["url"] + "/f",
                                            "timeout_ms": 2000, "known_hosts": line})
    assert obs.curl_code == 79, obs.curl_message
