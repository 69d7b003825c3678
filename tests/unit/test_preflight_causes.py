"""One fault, one cause, named where it is — the runner's hand-offs, tested without sockets.

Every exchange here is answered by a MockTransport (simulated observations): a proxy that never
answers CONNECT or refuses connections, a server that tarpits the TLS handshake, a proxy that
refuses the credentials it was given. The real-socket versions are in test_preflight_impostors.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from selftest import preflight, transport
from selftest.checks import CheckResult, proxy, token
from selftest.checks.probes import proxyenv
from selftest.checks.probes.context import Context, Options
from selftest.checks.probes.mock import Handler, MockTransport
from selftest.checks.probes.reach import PathProbe
from selftest.observe import Observation

API = "https://127.0.0.1:8443"
PROXY = "http://127.0.0.1:3128"
USER = {"type": "user", "id": "7", "login": "admin@example.com", "space_amount": 10**10,
        "space_used": 10**9, "max_upload_size": 10**9, "status": "active"}
STALLED_CONNECT = Observation(curl_code=28, curl_message="Connection timed out after 2000 ms",
                              phase="tls", connect_status=0,
                              timings={"namelookup": 0.001, "connect": 0.002})


def run(handler: Handler, **options: Any) -> dict[str, CheckResult]:
    fields: dict[str, Any] = {"api_base": API, "upload_base": API + "/api",
                              "custom_bases": True, "token": "t0ken-for-tests",
                              "timeout_s": 5, **options}
    ctx = Context(Options(**fields), transport=MockTransport(handler))
    return {r.check: r for r in preflight.run(ctx)}


def stalling_proxy(request: transport.Request) -> Observation:
    assert request.proxy, "nothing may go around the proxy"
    return STALLED_CONNECT


def test_stalling_proxy_is_named_once_and_the_rest_is_skipped() -> None:
    """A proxy that never answers CONNECT is the proxy check's finding, not a TLS timeout in
    four checks; tls, clock, token and quota are skipped pointing at it."""
    results = run(stalling_proxy, proxy=PROXY)
    assert results["proxy"].status == "fail"
    assert "never answered the CONNECT" in results["proxy"].summary
    assert "TLS handshake" not in results["proxy"].summary
    assert results["proxy"].diagnosis == ("curl:28",)
    for name in ("tls", "clock", "token", "quota"):
        assert results[name].status == "skip", name
        assert "see the proxy check" in results[name].summary
        assert "TLS handshake" not in results[name].summary


def test_refusing_proxy_cascades_into_skips_not_fails() -> None:
    """A proxy that refuses connections fails once (curl:7); the dependent checks skip."""
    refused = Observation(curl_code=7, curl_message="Failed to connect", phase="connect")
    results = run(lambda request: refused, proxy=PROXY)
    assert results["proxy"].status == "fail" and "refuses connections" in results["proxy"].summary
    assert [results[n].status for n in ("tls", "clock", "token", "quota")] == ["skip"] * 4


def test_tls_tarpit_gives_one_code_and_cause() -> None:
    """A server that never finishes the handshake: tls fails with curl:28, clock/token/quota are
    skipped naming the same cause, instead of 35 in two checks and 28 in another."""
    tarpit = Observation(curl_code=28, curl_message="Connection timed out", phase="tls",
                         timings={"namelookup": 0.001, "connect": 0.002})
    results = run(lambda request: tarpit)
    assert results["tls"].status == "fail" and results["tls"].diagnosis == ("curl:28",)
    cause = results["tls"].summary
    for name in ("clock", "token", "quota"):
        assert results[name].status == "skip", name
        assert cause in results[name].summary and "see the tls check" in results[name].summary


def test_wrong_proxy_credentials_do_not_advise_putting_them_in_the_url() -> None:
    """A 407 for a URL that carries credentials says they were refused, not 'put them in'."""
    denied = Observation(curl_code=56, phase="connect", connect_status=407)
    finding = proxy.tunnel_finding(denied, "http://bob:wrong-pass@127.0.0.1:3128")
    assert "refused the credentials" in finding.summary
    assert "Put the proxy's user and password in the proxy URL" not in finding.remedy
    assert "http:407" in finding.diagnosis
    bare = proxy.tunnel_finding(denied, "http://127.0.0.1:3128")
    assert "USER:PASSWORD@HOST:PORT" in bare.remedy


def test_raw_at_in_an_environment_proxy_password_is_named() -> None:
    """https_proxy with a raw '@' in its password is what libcurl cannot read (not 'cannot be
    resolved'); the message says to write it as %40."""
    env = proxyenv.capture({"https_proxy": "http://bob:p@ss@127.0.0.1:3128"})
    unreadable = Observation(curl_code=5, curl_message="Unsupported proxy syntax", phase="setup")
    results = run(lambda request: unreadable, proxy_env=env)
    assert "has an '@'" in results["proxy"].summary and "%40" in results["proxy"].remedy
    assert "p@ss" not in json.dumps([r.to_dict() for r in results.values()])


def test_box_shaped_answers_pass_without_a_socket() -> None:
    """With a mock transport the token and quota logic runs end to end without a socket."""
    def box(request: transport.Request) -> Observation:
        if request.method == "OPTIONS":
            return Observation(http_status=200, body=b'{"upload_url": "https://u.example/x"}')
        return Observation(http_status=200, body=json.dumps(USER).encode())

    mock = MockTransport(box)
    ctx = Context(Options(api_base=API, upload_base=API, custom_bases=True, token="t0ken-x"),
                  transport=mock)
    assert token.run(ctx).status == "pass"
    assert [r.method for r in mock.requests] == ["GET"]


def test_path_probe_places_the_break() -> None:
    """A tunnel that opened (CONNECT 200) and then failed is the server's; anything before is
    the proxy's; without a proxy it is always the server's."""
    ctx = Context(Options(api_base=API, upload_base=API, custom_bases=True))
    after_tunnel = Observation(curl_code=35, connect_status=200)
    assert PathProbe(ctx.api, PROXY, after_tunnel).broken_at == "server"
    assert PathProbe(ctx.api, PROXY, STALLED_CONNECT).broken_at == "proxy"
    assert PathProbe(ctx.api, "", STALLED_CONNECT).broken_at == "server"
    assert PathProbe(ctx.api, "socks5://127.0.0.1:1080",
                     Observation(curl_code=97)).broken_at == "proxy"
    assert PathProbe(ctx.api, PROXY, Observation()).broken_at == ""


@pytest.mark.parametrize(("only", "proxied", "owner"), [
    (["token"], False, "token"), (["clock", "quota"], False, "clock"),
    (["token", "quota"], True, "token"), (["tls", "token"], True, "tls"),
])
def test_a_fault_is_never_only_skips(only: list[str], proxied: bool, owner: str) -> None:
    """With --only leaving out the check that owns the fault, the first selected check fails
    with the cause (exit 1), the others skip: a refused way never exits 0."""
    refused = Observation(curl_code=7, curl_message="Failed to connect", phase="connect")
    options: dict[str, Any] = {"proxy": PROXY} if proxied else {}
    ctx = Context(Options(api_base=API, upload_base=API + "/api", custom_bases=True,
                          token="t0ken-x", timeout_s=5, **options),
                  transport=MockTransport(lambda request: refused))
    results = {r.check: r for r in preflight.run(ctx, only=only)}
    assert results[owner].status == "fail" and results[owner].diagnosis[0] == "curl:7"
    assert all(r.status == "skip" for n, r in results.items() if n != owner)


def test_open_tunnel_to_a_failing_server_claims_no_interception_check() -> None:
    """A tunnel that opens to a server failing the handshake is the tls check's finding; the
    proxy check passes without claiming 'no interception' (it could not look)."""
    behind = Observation(curl_code=35, curl_message="handshake failed", phase="tls",
                         connect_status=200, timings={"namelookup": 0.001, "connect": 0.002})
    results = run(lambda request: behind, proxy=PROXY)
    assert results["proxy"].status == "pass"
    assert "no interception" not in results["proxy"].summary
    assert "see the tls check" in results["proxy"].summary
    assert results["tls"].status == "fail" and results["tls"].diagnosis[0] == "curl:35"
    assert all(results[n].status == "skip" for n in ("clock", "token", "quota"))
