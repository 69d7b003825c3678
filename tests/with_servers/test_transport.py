"""The pycurl transport: real loopback exchanges become Observations, never exceptions."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from pytest_httpserver import HTTPServer

from selftest.ca import choose_ca_bundle
from selftest.errors import UsageError
from selftest.transport import Request, perform


def test_box_error_is_observed(httpserver: HTTPServer) -> None:
    """A 409 with a Box body is observed with status, code and headers."""
    httpserver.expect_request("/2.0/folders").respond_with_json(
        {"type": "error", "status": 409, "code": "item_name_in_use", "message": "x"},
        status=409, headers={"BOX-REQUEST-ID": "r1"})
    obs = perform(Request(httpserver.url_for("/2.0/folders"), method="POST", body=b"{}"))
    assert obs.curl_code == 0 and obs.http_status == 409 and obs.phase == "done"
    assert obs.box_error is not None and obs.box_error.code == "item_name_in_use"
    assert obs.headers["box-request-id"] == "r1"


def test_refused_connection_is_code_7() -> None:
    """A closed port gives libcurl 7 in the connect phase."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    obs = perform(Request(f"http://127.0.0.1:{port}/", timeout_ms=2000))
    assert obs.curl_code == 7 and obs.phase == "connect"


def test_setopt_refusal_is_an_observation() -> None:
    """An option libcurl refuses at setopt() is observed in the setup phase, not raised."""
    obs = perform(Request("http://127.0.0.1:9/", options={"SSLVERSION": 99}))
    assert obs.curl_code == 43 and obs.phase == "setup"


def test_onion_names_fail_before_any_lookup() -> None:
    """libcurl refuses .onion names (RFC 7686): code 6 with no DNS traffic."""
    obs = perform(Request("http://box.onion/", timeout_ms=2000))
    assert obs.curl_code == 6


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, trustme.CA]]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("api.box.com", "127.0.0.1").configure_cert(context)
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], ca
    finally:
        server.shutdown()
        server.server_close()


def test_pinned_name_with_trusted_ca_verifies(tls_server: tuple[int, trustme.CA],
                                              tmp_path: Path) -> None:
    """RESOLVE pins api.box.com to loopback; with the right CA the handshake verifies."""
    port, ca = tls_server
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    obs = perform(Request(f"https://api.box.com:{port}/nonexistent",
                          cainfo=str(tmp_path / "ca.pem"),
                          resolve=[f"api.box.com:{port}:127.0.0.1"], timeout_ms=5000))
    assert obs.curl_code == 0 and obs.http_status == 404
    assert obs.details["ca_source"] == "explicit"


def test_unknown_issuer_is_code_60(tls_server: tuple[int, trustme.CA], tmp_path: Path) -> None:
    """A CA bundle without the server's issuer gives 60, as on a host with a stale bundle."""
    port, _ = tls_server
    trustme.CA().cert_pem.write_to_path(str(tmp_path / "other.pem"))
    obs = perform(Request(f"https://api.box.com:{port}/", cainfo=str(tmp_path / "other.pem"),
                          resolve=[f"api.box.com:{port}:127.0.0.1"], timeout_ms=5000))
    assert obs.curl_code == 60 and obs.phase == "tls"


def test_verbose_wire_redacts_authorization(httpserver: HTTPServer) -> None:
    """-v lines show the exchange but never the bearer token."""
    httpserver.expect_request("/2.0/users/me").respond_with_json({"id": "1"})
    obs = perform(Request(httpserver.url_for("/2.0/users/me"), verbose=True,
                          headers={"Authorization": "Bearer s3cr3t-token"}))
    wire = "\n".join(obs.details["wire"])
    assert "GET /2.0/users/me" in wire and "s3cr3t" not in wire


def test_ca_choice_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An explicit bundle beats CURL_CA_BUNDLE, which beats SSL_CERT_FILE."""
    first, second = tmp_path / "a.pem", tmp_path / "b.pem"
    first.write_text("x")
    second.write_text("x")
    monkeypatch.setenv("CURL_CA_BUNDLE", str(first))
    monkeypatch.setenv("SSL_CERT_FILE", str(second))
    assert choose_ca_bundle().source == "CURL_CA_BUNDLE"
    monkeypatch.delenv("CURL_CA_BUNDLE")
    assert choose_ca_bundle().source == "SSL_CERT_FILE"
    assert choose_ca_bundle(str(first)).path == str(first)


def test_ca_choice_never_uses_libcurls_compiled_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no variables set, a bundle that exists is chosen (system or certifi)."""
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    chosen = choose_ca_bundle()
    assert Path(chosen.path).is_file() and chosen.source in ("system", "certifi")


def test_missing_explicit_bundle_is_a_usage_error() -> None:
    """--cacert naming a missing file is the user's mistake, said plainly."""
    with pytest.raises(UsageError, match="does not exist"):
        choose_ca_bundle("/nonexistent/ca.pem")
