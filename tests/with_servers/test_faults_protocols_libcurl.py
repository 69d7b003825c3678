"""Options pycurl does not expose (set through ctypes on its own libcurl) and the HTTP/3 faults."""

from __future__ import annotations

import importlib.util
import os

import pycurl
import pytest

from selftest.faults import start_fault
from selftest.steps import get, libcurl_ctypes
from selftest.transport import Request, perform

FEATURES = pycurl.version_info()[4]
HTTP3 = bool(FEATURES & getattr(pycurl, "VERSION_HTTP3", 0))
needs_ftp = pytest.mark.skipif("ftp" not in pycurl.version_info()[8], reason="libcurl lacks ftp")


def test_ctypes_reaches_the_libcurl_pycurl_loaded() -> None:
    """The library found in /proc/self/maps reports the same libcurl version as pycurl."""
    version = libcurl_ctypes.loaded_libcurl().curl_version().decode()
    assert version.startswith(f"libcurl/{pycurl.version_info()[1]} ")


def test_easy_handle_is_checked_against_curlinfo_private() -> None:
    """The CURL* found in a pycurl.Curl gives back that object's address as CURLINFO_PRIVATE."""
    curl = pycurl.Curl()
    try:
        assert libcurl_ctypes.easy_handle(curl) != 0
    finally:
        curl.close()


def test_closed_handle_is_refused_not_dereferenced() -> None:
    """After close() the handle slot is NULL: LibcurlUnreachable, and no call into libcurl."""
    curl = pycurl.Curl()
    curl.close()
    with pytest.raises(libcurl_ctypes.LibcurlUnreachable):
        libcurl_ctypes.easy_handle(curl)


def test_refused_string_option_is_observed_like_pycurls() -> None:
    """An option libcurl refuses through ctypes comes back as a setup-phase observation."""

    def configure(curl: object) -> None:
        # 10000 + 999 names no option: libcurl answers CURLE_UNKNOWN_OPTION (48).
        libcurl_ctypes.setopt_string(curl, 10000 + 999, "x")

    obs = perform(Request(url="http://127.0.0.1:9/"), configure)
    assert (obs.curl_code, obs.phase) == (48, "setup")


@needs_ftp
def test_ftp_account_set_through_ctypes_reaches_the_server() -> None:
    """FTP_ACCOUNT set through ctypes is sent after a 332; an accepted ACCT lets the download on."""
    with start_fault("ftp-scripted", replies={"PASS": "332 need account"}) as server:
        obs = get("perform-with-ctypes-options")({
            "url": server.urls["url"] + "/f", "timeout_ms": 2000,
            "ctypes_options": {"FTP_ACCOUNT": "backups"}})
    assert (obs.curl_code, obs.body) == (0, b"hello\n")


@needs_ftp
def test_abstract_unix_socket_carries_the_control_connection() -> None:
    """With ABSTRACT_UNIX_SOCKET the FTP login happens over the socket; only the data fails (15)."""
    with start_fault("ftp-scripted", abstract_unix_socket=True) as server:
        obs = get("perform-with-ctypes-options")({
            "url": server.urls["url"] + "/f", "timeout_ms": 2000,
            "ctypes_options": {"ABSTRACT_UNIX_SOCKET": server.urls["abstract_socket"]}})
    assert obs.curl_code == 15, obs.curl_message


@needs_ftp
def test_chunk_callback_refusal_stops_a_wildcard_download() -> None:
    """The CHUNK_BGN callback returning CURL_CHUNK_BGN_FUNC_FAIL is libcurl 88."""
    with start_fault("ftp-scripted") as server:
        obs = get("wildcard-chunk-refused")({"url": server.urls["url"] + "/d/*.txt",
                                             "timeout_ms": 2000})
    assert obs.curl_code == 88, obs.curl_message


@pytest.mark.skipif(not HTTP3 or importlib.util.find_spec("aioquic") is None,
                    reason="needs libcurl with HTTP/3 and the aioquic package")
def test_http3_server_resets_the_request_stream() -> None:
    """The aioquic server completes QUIC, then resets the request stream: libcurl 95."""
    with start_fault("http3-reset-stream") as server:
        obs = perform(Request(url=server.urls["url"] + "/", cainfo=server.urls["cainfo"],
                              timeout_ms=2000,
                              options={"HTTP_VERSION": pycurl.CURL_HTTP_VERSION_3ONLY}))
        cainfo = server.urls["cainfo"]
    assert obs.curl_code == 95, obs.curl_message
    assert not os.path.exists(cainfo)


@pytest.mark.skipif(not HTTP3, reason="needs libcurl with HTTP/3")
def test_http3_over_a_unix_socket_is_refused() -> None:
    """HTTP/3-only through a unix socket is refused before connecting (96); the socket goes."""
    with start_fault("unix-socket-listener") as server:
        path = server.urls["socket_path"]
        obs = perform(Request(url=server.urls["url"] + "/", timeout_ms=2000, options={
            "HTTP_VERSION": pycurl.CURL_HTTP_VERSION_3ONLY, "UNIX_SOCKET_PATH": path}))
    assert obs.curl_code == 96, obs.curl_message
    assert not os.path.exists(path)
