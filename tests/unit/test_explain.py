"""`selftest explain`: pasted text in, diagnosis out, through the same classifier."""

from __future__ import annotations

import json

import pytest

from selftest.cli import main
from selftest.explain import explain


def test_php_log_line_60_mentions_ca_bundle_and_interception() -> None:
    """The issue's example names curl:60 and tells the admin about CA bundles and proxies."""
    result = explain("cURL error 60: SSL certificate problem: unable to get local issuer "
                     "certificate")
    assert result.diagnosis.ids[0] == "curl:60"
    text = (result.to_dict()["remedy"] or "").lower() + result.diagnosis.detail.lower()
    assert "ca" in text and "proxy" in text


@pytest.mark.parametrize(("text", "first"), [
    ("60", "curl:60"),
    ("429", "http:429"),
    ("item_name_in_use", "box:item_name_in_use"),
    ("cyclical_folders_structure", "box:cyclical_folder_structure"),
    ("CURLE_OPERATION_TIMEDOUT", "curl:28"),
    ("curl: (52) Empty reply from server", "curl:52"),
    ("HTTP/1.1 503 Service Unavailable", "http:503"),
    ("Invalid Credentials", "plugin:invalid-credentials"),
    ("User Rate Limit Exceeded", "plugin:user-rate-limit-exceeded"),
])
def test_accepted_forms(text: str, first: str) -> None:
    """Bare codes, names, log lines, status lines and messages are all recognised."""
    assert explain(text).diagnosis.ids[0] == first


def test_www_authenticate_header() -> None:
    """A pasted 401 challenge is an invalid token."""
    ids = explain('WWW-Authenticate: Bearer realm="Service", error="invalid_token", '
                  'error_description="The access token provided is invalid."').diagnosis.ids
    assert "oauth:invalid_token" in ids


def test_oauth_body_exp_is_clock_skew() -> None:
    """An OAuth body naming the exp claim is diagnosed as clock skew."""
    result = explain('{"error":"invalid_grant","error_description":"Current date/time MUST be '
                     "before the expiration date/time listed in the 'exp' claim\"}")
    assert "oauth:invalid_grant:exp" in result.diagnosis.ids
    assert "clock" in (result.to_dict()["remedy"] or "").lower() or "ntp" in (
        result.to_dict()["remedy"] or "").lower()


def test_timeout_phase_is_read_from_the_log_line() -> None:
    """A pasted 'Connection timed out' 28 is refined to the connect phase."""
    result = explain("cURL error 28: Connection timed out after 10001 milliseconds")
    assert "connecting" in result.diagnosis.detail


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints input, diagnosis, summary, remedy and scenario."""
    assert main(["explain", "--json", "cURL error 28: Operation timed out after 5000 "
                 "milliseconds with 0 bytes received"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"input", "diagnosis", "summary", "remedy", "scenario"} <= doc.keys()
    assert doc["diagnosis"][0] == "curl:28"


def test_unknown_input_is_a_helpful_failure(capsys: pytest.CaptureFixture[str]) -> None:
    """Unrecognised text exits 1 with advice on stderr, never a traceback."""
    assert main(["explain", "the moon is made of cheese"]) == 1
    err = capsys.readouterr().err
    assert "does not recognise" in err and "Traceback" not in err


def test_text_output_names_remedy(capsys: pytest.CaptureFixture[str]) -> None:
    """The text form shows the chain and what to do."""
    assert main(["explain", "413"]) == 0
    out = capsys.readouterr().out
    assert "http:413" in out and "What to do" in out


# --- issue 9: what real people paste --------------------------------------------------------

PASTES = [
    # Box SDKs and tools
    ("com.box.sdk.BoxAPIException: The API returned an error code [404 | 1a2b3c] not_found - "
     "Not Found", ["http:404", "box:not_found"]),
    ("com.box.sdk.BoxAPIException: The API returned an error code [Forbidden | 1a2b3c] "
     "access_denied_insufficient_permissions - Access denied", ["http:403"]),
    ("The API returned an error code: 401", ["http:401"]),
    ('Unexpected API Response [409 Conflict] (item_name_in_use: "Item with the same name '
     'already exists")', ["http:409", "box:item_name_in_use"]),
    ("boxsdk.exception.BoxAPIException: Message: Invalid grant\nStatus: 400\nCode: invalid_grant"
     "\nRequest ID: 1a2b", ["http:400", "oauth:invalid_grant"]),
    ('Box.V2.Exceptions.BoxException: {"type":"error","status":403,'
     '"code":"storage_limit_exceeded"}', ["http:403", "box:storage_limit_exceeded"]),
    ("Box.V2.Exceptions.BoxException: Message=Forbidden", ["http:403"]),
    ('Error "item_name_in_use" (409): Item with the same name already exists',
     ["http:409", "box:item_name_in_use"]),
    ("couldn't fetch token: invalid_grant: maybe token expired? - try refreshing",
     ["oauth:invalid_grant"]),
    ('400: {"type":"error","status":400,"code":"bad_request"} (Boxr::BoxrError)',
     ["http:400", "box:bad_request"]),
    ('oauth2: cannot fetch token: 400 Bad Request\nResponse: {"error":"invalid_grant",'
     "\"error_description\":\"Please check the 'sub' claim.\"}",
     ["http:400", "oauth:invalid_grant:sub"]),
    # JSON that is not the whole text, or not strict JSON
    ("{'type': 'error', 'status': 409, 'code': 'item_name_in_use'}", ["box:item_name_in_use"]),
    ("{ type: 'error', status: 404, code: 'not_found' }", ["http:404", "box:not_found"]),
    ('"{\\"type\\":\\"error\\",\\"status\\":409,\\"code\\":\\"item_name_in_use\\"}"',
     ["http:409", "box:item_name_in_use"]),
    ('Response: {"type":"error","status":404,"code":"not_found","message":"Not Fou',
     ["box:not_found"]),
    # OAuth without JSON
    ("Current date/time MUST be before the expiration date/time listed in the 'exp' claim",
     ["oauth:invalid_grant:exp"]),
    ("Please check the \u2018sub\u2019 claim", ["oauth:invalid_grant:sub"]),
    ("Grant credentials are invalid", ["oauth:invalid_grant:credentials"]),
    ("Invalid refresh token", ["oauth:invalid_grant"]),
    ("Auth code doesn't exist or is invalid for the client", ["oauth:invalid_grant"]),
    ('Bearer realm="Service", error="insufficient_scope"', ["oauth:insufficient_scope"]),
    ("{'WWW-Authenticate': 'Bearer realm=\"Service\", error=\"invalid_token\"'}",
     ["http:401", "oauth:invalid_token"]),
    ('HTTP/1.1 401 Unauthorized\nWWW-Authenticate: NTLM\nWWW-Authenticate: Basic realm="corp"',
     ["http:407"]),
    # libcurl codes inside any wrapper
    ("cURL error: [77]", ["curl:77"]),
    ("ErrCode: 77, Reason: 'error setting certificate verify locations'", ["curl:77"]),
    ("[curl] 28: Operation timed out", ["curl:28"]),
    ("cURL Error Number:[28]", ["curl:28"]),
    ("request failed (err: 7)", ["curl:7"]),
    ("curl status: 7", ["curl:7"]),
    ("error [60]: certificate rejected", ["curl:60"]),
    ("Error: 60: x", ["curl:60"]),
    ("curl_easy_perform = 5", ["curl:5"]),
    ("(23) Failed writing body", ["curl:23"]),
    ("URL using bad/illegal format or missing URL (3)", ["curl:3"]),
    ("[curl_error_58]", ["curl:58"]),
    ("[CURL-EASY][URL_MALFORMAT]", ["curl:3"]),
    ("pycurl.error: (60, 'SSL certificate problem: self signed certificate in certificate chain')",
     ["curl:60"]),
    ("curl_cffi.requests.errors.RequestsError: Failed to perform, curl: (35) TLS connect error",
     ["curl:35"]),
    ("== Info: Could not resolve host: api.box.com\n== Info: Closing connection 0", ["curl:6"]),
    # libcurl and TLS-backend messages with no number
    ("Couldn't connect to server", ["curl:7"]),
    ("couldn't connect to host", ["curl:7"]),
    ("Resolving timed out after 5000 milliseconds", ["curl:28"]),
    ("Received HTTP code 407 from proxy after CONNECT", ["http:407"]),
    ("HTTP/2 stream 1 was not closed cleanly: INTERNAL_ERROR (err 2)", ["curl:92"]),
    ("OpenSSL SSL_write: SSL_ERROR_SYSCALL, errno 32", ["curl:55"]),
    ("error:0A00010B:SSL routines::wrong version number", ["curl:35"]),
    ("gnutls_handshake() failed: An unexpected TLS packet was received.", ["curl:35"]),
    ("Peer reports incompatible or unsupported protocol version.", ["curl:35"]),
    ("schannel: CertGetCertificateChain trust error CERT_TRUST_IS_UNTRUSTED_ROOT", ["curl:60"]),
    ("schannel: next InitializeSecurityContext failed: Unknown error (0x80092012) - Die "
     "Sperrfunktion konnte keine Sperrpr\u00fcfung durchf\u00fchren.",
     ["curl:35", "curl:35:revocation-unchecked"]),
    ("schannel: next InitializeSecurityContext failed: Unknown error (0x80092013)",
     ["curl:35:revocation-offline"]),
    ("SSL certificate problem: Invalid certificate chain", ["curl:60"]),
    ("fatal: unable to access 'https://example.org/x.git/': SSL certificate problem: unable to "
     "get local issuer certificate", ["curl:60"]),
    # HTTP statuses anywhere
    ("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", ["http:502"]),
    ("HTTP 502", ["http:502"]),
    ("a\nb\nHTTP/2 504", ["http:504"]),
    ("(502) Bad Gateway", ["http:502"]),
    ("Status Code:502", ["http:502"]),
    ("Status: 401 Unauthorized", ["http:401"]),
    ("Request failed with status code 504", ["http:504"]),
    ("407 Proxy Authentication Required", ["http:407"]),
    # WordPress's own messages
    ("Too many redirects", ["curl:47"]),
    ("A valid URL was not provided.", ["curl:3"]),
    ("cURL error 56: CONNECT tunnel failed, response 407", ["curl:56", "http:407"]),
]


@pytest.mark.parametrize(("text", "expected"), PASTES)
def test_real_paste_shapes(text: str, expected: list[str]) -> None:
    """Every form issue 9 lists is diagnosed with the ids it proves."""
    named = {i for f in explain(text).findings for i in f.diagnosis.ids}
    assert set(expected) <= named, named


def test_wordpress_proxy_407_is_the_primary_cause() -> None:
    """libcurl 7's vague 56 after a refused CONNECT is diagnosed as the proxy's 407."""
    result = explain("cURL error 56: CONNECT tunnel failed, response 407")
    assert result.diagnosis.primary == "http:407"


@pytest.mark.parametrize(("text", "first"), [
    ("http:409", "http:409"), ("box:item_name_in_use", "box:item_name_in_use"),
    ("oauth:invalid_grant:exp", "oauth:invalid_grant:exp"),
    ("plugin:invalid-credentials", "plugin:invalid-credentials"),
    ("curl:0", "curl:0"), ("0", "curl:0"), ("CURLE_OK", "curl:0"),
    ("curl:35:revocation-offline", "curl:35:revocation-offline"),
])
def test_every_catalog_id_is_accepted(text: str, first: str) -> None:
    """Catalog ids, 0 and CURLE_OK name their entry."""
    assert explain(text).diagnosis.ids[0] == first


def test_every_catalog_id_explains_itself() -> None:
    """Each id of the catalog, pasted alone, is diagnosed with that id in the chain."""
    from selftest.catalog import load

    missing = [e.id for e in load() if e.id not in explain(e.id).diagnosis.ids]
    assert missing == []


def test_several_codes_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    """`explain 60 429` gives two explanations, in order."""
    assert main(["explain", "--json", "60", "429"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [f["diagnosis"][0] for f in doc["findings"]] == ["curl:60", "http:429"]
    assert doc["diagnosis"][0] == "curl:60"


LOG = """[2026-01-05 10:00:01] backup started
[2026-01-05 10:00:31] cURL error 28: Operation timed out after 30001 ms with 0 bytes received
[2026-01-05 10:00:32] retrying
[2026-01-05 10:01:02] cURL error 28: Operation timed out after 30001 ms with 0 bytes received
[2026-01-05 10:05:00] backup resumed
[2026-01-05 10:05:01] upload
[2026-01-05 10:05:02] noise
[2026-01-05 10:05:03] noise
[2026-01-05 10:05:04] noise
[2026-01-05 10:05:05] HTTP/1.1 401 Unauthorized
[2026-01-05 10:05:05] {"type":"error","status":401,"code":"unauthorized"}"""


def test_several_errors_in_one_paste_each_with_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    """A timeout then a 401: two findings, in order, each with its line; repeats once."""
    result = explain(LOG)
    assert [(f.line, f.diagnosis.ids[0]) for f in result.findings] == [(2, "curl:28"),
                                                                        (10, "http:401")]
    assert "box:unauthorized" in result.findings[1].diagnosis.ids
    assert main(["explain", "--json", LOG]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["diagnosis"][0] == "curl:28" and doc["line"] == 2
    assert [f["line"] for f in doc["findings"]] == [2, 10]
    assert {"input", "diagnosis", "summary", "remedy", "scenario"} <= doc["findings"][1].keys()


@pytest.mark.parametrize("text", [
    "\u00b2", "9" * 5000, "[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000,
    "cURL error" + " " * 1500, "WWW-Authenticate:" + "x" * 30000, "\udcff\udcfe curl",
    ("cURL error 28: Operation timed out".ljust(200) + "\n") * 20, "", "   ", "\x00\x01\x1b[31m",
])
def test_pathological_input_never_raises(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Odd characters, huge numbers, deep nesting, invalid UTF-8: an answer, never a traceback."""
    status = main(["explain", text or " "])
    out = capsys.readouterr()
    assert status in (0, 1)
    assert "Traceback" not in out.err
    assert main(["explain", "--json", text or " "]) in (0, 1)
    json.loads(capsys.readouterr().out)


def test_invalid_utf8_on_stdin(monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    """Bytes that are not UTF-8 on standard input are read, not a traceback."""
    import io

    class _Stdin(io.StringIO):
        buffer = io.BytesIO(b"\xff\xfe cURL error 60: \xc3 SSL certificate problem")

    monkeypatch.setattr("sys.stdin", _Stdin())
    assert main(["explain", "-"]) == 0
    assert "curl:60" in capsys.readouterr().out


def test_text_never_breaks_names_and_honours_the_width() -> None:
    """Wrapped at spaces only: host names and commands stay whole; no line passes the width."""
    from selftest.commands.explain import render

    for width in (40, 60, 100):
        out = render(explain("cURL error 60: SSL certificate problem: unable to get local "
                             "issuer certificate"), width)
        words = {w for line in out.splitlines() for w in line.split()}
        assert "redirect.wp-migration.com" in " ".join(words) or "api.box.com" in out
        assert all(len(line) <= width or " " not in line.strip() for line in out.splitlines())
        assert not any(line.rstrip().endswith("-") for line in out.splitlines())


def test_suggests_only_scenarios_that_exist_and_can_be_served(
        capsys: pytest.CaptureFixture[str]) -> None:
    """51 points at curl-60 (served); 6 is reproduced by its client alone: nothing to serve."""
    assert main(["explain", "51"]) == 0
    out = capsys.readouterr().out
    assert "selftest reproduce curl-60 -v" in out and "selftest serve curl-60" in out
    assert main(["explain", "6"]) == 0
    out = capsys.readouterr().out
    assert "selftest reproduce curl-6 -v" in out and "selftest serve" not in out


def test_never_unrecognised_when_a_code_is_there() -> None:
    """Text holding a code, a status, a Box/OAuth error or a libcurl wording is recognised."""
    for text in ("blah cURL error 7 blah", "blah 503 Service Unavailable", "blah invalid_grant",
                 "blah item_name_in_use", "blah Could not resolve host: x"):
        assert explain(text).recognised, text


def _secret_pastes() -> list[dict[str, object]]:
    import tomllib
    from pathlib import Path

    path = Path(__file__).parents[1] / "data" / "secret_pastes.toml"
    return list(tomllib.loads(path.read_text(encoding="utf-8"))["paste"])


def test_no_secret_of_the_paste_corpus_reaches_any_output(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Text, JSON and stderr of explain hold none of the corpus's secrets (0 leaks)."""
    leaks = []
    for paste in _secret_pastes():
        text = str(paste["text"])
        for argv in (["explain", text], ["explain", "--json", text],
                     ["explain", "no code here " + text.replace("\n", " ")[:0] + "\n" + text]):
            main(argv)
            out = capsys.readouterr()
            leaks += [s for s in paste["secrets"] if s in out.out or s in out.err]  # type: ignore[attr-defined]
    unrecognised = "nothing to see here " + " ".join(
        str(p["text"]).replace("cURL", "c").replace("HTTP", "h") for p in _secret_pastes()[:3])
    main(["explain", unrecognised])
    err = capsys.readouterr().err
    leaks += [s for p in _secret_pastes()[:3] for s in p["secrets"] if s in err]  # type: ignore[attr-defined]
    assert leaks == []


def test_the_closest_scenario_is_suggested() -> None:
    """A connect timeout points at curl-28-connect, an expired certificate at curl-60-expired."""
    assert explain("cURL error 28: Connection timed out after 10001 milliseconds").scenario \
        == "curl-28-connect"
    assert explain("cURL error 60: SSL certificate problem: certificate has expired").scenario \
        == "curl-60-expired"
    assert explain("28").scenario == "curl-28"


def test_a_status_standing_alone_is_the_last_reading() -> None:
    """With nothing else in the text, `upstream said 502` is a 502; a port is never a status."""
    assert explain("upstream said 502").diagnosis.ids[0] == "http:502"
    assert not explain("port 443 is open").recognised
    assert explain("cURL error 7 upstream said 502").diagnosis.ids == ("curl:7",)


@pytest.mark.parametrize(("text", "status"), [
    ('Bearer realm="Service", error="insufficient_scope"', "http:403"),
    ('WWW-Authenticate: Bearer realm="Service", error="insufficient_scope"', "http:403"),
    ('Bearer realm="Service", error="invalid_token"', "http:401"),
])
def test_a_bearer_challenge_alone_implies_its_status(text: str, status: str) -> None:
    """A challenge pasted without its status line: insufficient_scope comes with 403, others 401."""
    assert explain(text).diagnosis.ids[0] == status


def test_securetransport_verification_failure_is_60() -> None:
    """SecureTransport's 'SSL: certificate verification failed (result: 5)' names curl:60."""
    assert explain("SSL: certificate verification failed (result: 5)").diagnosis.ids[0] == "curl:60"


def test_an_oauth_error_retyped_with_spaces_is_that_error() -> None:
    """`{"error": "invalid grant"}` (preritdas/jeeves-v2#98) is invalid_grant; a message after an
    `error` key that is no OAuth error (`"not found"`) names nothing."""
    assert explain('{"error": "invalid grant"}').diagnosis.ids[0] == "oauth:invalid_grant"
    assert explain("{'error': 'invalid client'}").diagnosis.ids[0] == "oauth:invalid_client"
    assert not explain('{"error": "not found"}').recognised


def test_a_reason_phrase_on_the_line_of_a_status_is_its_body() -> None:
    """Guzzle's `resulted in a 502 Bad Gateway response: {"error": "Internal Server Error"}` is one
    502 (spatie/laravel-backup#586), not a 502 and a 500; on another line it is another error."""
    line = ('Server error: POST https://content.dropboxapi.com/2/files/upload resulted in a '
            '502 Bad Gateway response: {"error": "Internal Server Error"}')
    assert [f.diagnosis.ids[0] for f in explain(line).findings] == ["http:502"]
    two = "HTTP/1.1 502 Bad Gateway\n\n\nlater: Internal Server Error"
    assert [f.diagnosis.ids[0] for f in explain(two).findings] == ["http:502", "http:500"]
