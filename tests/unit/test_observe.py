"""Turning raw transfer results into Observations."""

from __future__ import annotations

from selftest.observe import (
    BoxError,
    OAuthError,
    observe,
    parse_header_block,
    parse_www_authenticate,
    phase_from_timings,
)

BOX_409 = (b'{"type":"error","status":409,"code":"item_name_in_use","context_info":'
           b'{"conflicts":{"type":"file","id":"12345"}},"help_url":"http://developers.box.com/'
           b'docs/#errors","message":"Item with the same name already exists",'
           b'"request_id":"ffhfc9hpkud5li85"}')


def test_last_response_head_wins() -> None:
    """After a 100 Continue or a redirect, the final head is the one observed."""
    raw = (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 409 Conflict\r\n"
           b"Content-Type: application/json\r\nBOX-REQUEST-ID: abc\r\n\r\n")
    version, status, reason, headers = parse_header_block(raw)
    assert (version, status, reason) == ("1.1", 409, "Conflict")
    assert headers["box-request-id"] == "abc"


def test_box_client_error_body_is_parsed() -> None:
    """A Box ClientError body becomes a BoxError with its code and request id."""
    obs = observe(curl_code=0, raw_headers=b"HTTP/2 409\r\n\r\n", body=BOX_409)
    assert obs.box_error == BoxError(409, "item_name_in_use", "Item with the same name already "
                                     "exists", "ffhfc9hpkud5li85", "http://developers.box.com/"
                                     "docs/#errors", {"conflicts": {"type": "file", "id": "12345"}})


def test_api_401_challenge_is_an_oauth_error() -> None:
    """Box's empty-bodied 401 is read from its WWW-Authenticate header."""
    raw = (b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm="Service", '
           b'error="invalid_token", error_description="The access token provided is invalid."'
           b"\r\n\r\n")
    obs = observe(curl_code=0, raw_headers=raw)
    assert obs.oauth_error == OAuthError("invalid_token", "The access token provided is invalid.",
                                         "www-authenticate")


def test_challenge_without_error_is_ignored() -> None:
    """A bare `Bearer realm=...` challenge carries no error."""
    assert parse_www_authenticate('Bearer realm="Service"') is None


def test_phases_follow_libcurl_timings() -> None:
    """The phase is the first timing libcurl never reached."""
    assert phase_from_timings({"namelookup": 0.0}, https=True, completed=False) == "resolve"
    assert phase_from_timings({"namelookup": 0.1}, https=True, completed=False) == "connect"
    assert phase_from_timings({"namelookup": 0.1, "connect": 0.2}, https=True,
                              completed=False) == "tls"
    assert phase_from_timings({"namelookup": 0.1, "connect": 0.2}, https=False,
                              completed=False) == "send"
    assert phase_from_timings({"namelookup": 0.1, "connect": 0.2, "appconnect": 0.3,
                               "starttransfer": 0.4}, https=True, completed=False) == "receive"
    assert phase_from_timings({}, https=True, completed=True) == "done"


def test_waiting_for_the_proxys_connect_answer_is_its_own_phase() -> None:
    """Connected to an HTTP(S) proxy with no 200 to CONNECT is the proxy phase, not the TLS
    handshake; a SOCKS proxy, an opened tunnel, or no proxy leave it at tls."""
    reached = {"namelookup": 0.1, "connect": 0.2}
    for proxy in ("http://127.0.0.1:3128", "https://proxy.example:443", "127.0.0.1:3128"):
        assert phase_from_timings(reached, https=True, completed=False, proxy=proxy) == "proxy"
        assert phase_from_timings(reached, https=True, completed=False, proxy=proxy,
                                  connect_status=407) == "proxy"
        assert phase_from_timings(reached, https=True, completed=False, proxy=proxy,
                                  connect_status=200) == "tls"
    assert phase_from_timings(reached, https=True, completed=False,
                              proxy="socks5h://127.0.0.1:1080") == "tls"
    assert phase_from_timings(reached, https=True, completed=False, proxy="") == "tls"
    assert observe(curl_code=28, url="https://api.box.com/", timings=reached,
                   proxy="http://127.0.0.1:3128").phase == "proxy"


def test_libcurl7_waiting_for_connect_is_told_from_connecting_by_the_peer() -> None:
    """libcurl 7 keeps CONNECT_TIME at 0 until the tunnel opens: connected to the proxy (its
    address known) is the proxy phase; no address yet is still the TCP connect."""
    pending = {"namelookup": 0.1, "connect": 0.0}
    proxy = "http://127.0.0.1:3128"
    assert phase_from_timings(pending, https=True, completed=False, proxy=proxy,
                              peer="127.0.0.1") == "proxy"
    assert phase_from_timings(pending, https=True, completed=False, proxy=proxy) == "connect"
    assert phase_from_timings(pending, https=True, completed=False, peer="127.0.0.1") == "connect"


def test_non_error_json_is_not_an_error() -> None:
    """A 4xx with a JSON body that is neither Box's nor OAuth's shape gives no parsed error."""
    obs = observe(curl_code=0, raw_headers=b"HTTP/1.1 404 Not Found\r\n\r\n", body=b'{"a": 1}')
    assert obs.box_error is None and obs.oauth_error is None


def test_transport_facts_are_typed_fields() -> None:
    """ca_bundle, certinfo and wire are typed fields (read by the checks), not only details."""
    from selftest.observe import observe

    obs = observe(curl_code=0, details={"ca_bundle": "/etc/ssl/ca.pem", "wire": ["* hi"],
                                        "certinfo": [[("Subject", "CN=x"), ("Cert", "PEM")]]})
    assert obs.ca_bundle == "/etc/ssl/ca.pem" and obs.wire == ("* hi",)
    assert obs.certinfo == ((("Subject", "CN=x"), ("Cert", "PEM")),)
    assert observe(curl_code=7).certinfo == ()
