"""requests (Python's TLS, certifi's store) as the token check's third opinion, and the run's
budget of Box API calls shared by every client (pycurl, PHP's cURL, requests), on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from preflight_servers import MiniBox, serve_minibox
from test_checks_token_quota import TOKEN, FakeApi, write_box_config

from selftest.checks.probes import proxyenv
from selftest.checks.probes.boxconfig import load_box_config
from selftest.checks.probes.context import API_BUDGET, Options
from selftest.clients import opinions, requests_view

BOX_API = ("/2.0/users/me", "/2.0/files/content", "/oauth2/token")


@pytest.fixture
def untrusted_box(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[MiniBox,
                                                                                      str]]:
    """A Box API over https with a certificate from a CA that libcurl's bundle does not hold."""
    for variable in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with serve_minibox(MiniBox(FakeApi(), ca=ca)) as box:
        yield box, str(ca_file)


def token_result(box: MiniBox) -> dict[str, object]:
    options = Options(api_base=box.url, upload_base=box.url, custom_bases=True, token=TOKEN,
                      timeout_s=10)
    [result] = opinions.run(options, "pycurl", only=("token",))
    return {"status": result.status, "summary": result.summary, **result.evidence}


def test_requests_reaching_users_me_names_the_bundle(untrusted_box: tuple[MiniBox, str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """libcurl's users/me fails with 60; requests with certifi's store (the test CA plays the
    public one) gets Box's answer: the token check says the CA bundle is what differs."""
    box, ca_file = untrusted_box
    monkeypatch.setattr(requests_view.certifi, "where", lambda: ca_file)
    seen = token_result(box)
    assert seen["status"] == "fail"
    assert seen["users_me"]["curl_code"] == 60  # type: ignore[index]
    assert seen["requests"]["code"] == 0 and seen["requests"]["status"] == 200  # type: ignore[index]
    assert "requests/certifi reaches users/me" in str(seen["summary"])
    assert "the CA bundle is what differs" in str(seen["summary"])
    assert [p for _, p in box.requests].count("/2.0/users/me?fields=id") == 1


def test_requests_failing_too_says_so(untrusted_box: tuple[MiniBox, str]) -> None:
    """When certifi's store does not hold the CA either, the summary says requests fails too."""
    box, _ = untrusted_box
    seen = token_result(box)
    assert seen["requests"]["code"] == 60  # type: ignore[index]
    assert "requests/certifi fails too" in str(seen["summary"])


def test_no_third_call_when_libcurl_gets_through(tmp_path: Path) -> None:
    """A users/me that passed (or failed above TLS) is not asked again through requests."""
    with serve_minibox(MiniBox(FakeApi())) as box:
        seen = token_result(box)
    assert seen["status"] == "pass" and "requests" not in seen


@pytest.mark.skipif(opinions.second_opinion() is None,
                    reason="no php with the curl extension on PATH (apt-get install php-curl)")
def test_pycurl_and_php_together_stay_within_the_budget(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """With --box-config and PHP's cURL beside pycurl (3 Box API calls each), the run makes at
    most API_BUDGET calls in all, and pycurl's own checks keep all of theirs."""
    for variable in ("https_proxy", "HTTPS_PROXY", "http_proxy", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    path, public_key = write_box_config(tmp_path)
    api = FakeApi()
    api.public_key = public_key
    with serve_minibox(MiniBox(api)) as box:
        options = Options(api_base=box.url, upload_base=box.url, custom_bases=True,
                          box_config=load_box_config(path), backup_size=1024, timeout_s=20)
        results = {r.check: r for r in opinions.run(options, None, only=("token", "quota"))}
    calls = [p for _, p in box.requests if p.startswith(BOX_API)]
    assert len(calls) <= API_BUDGET, calls
    assert results["token"].status == "pass" and results["quota"].status == "pass", results


@pytest.mark.parametrize(("url", "proxy_env"), [
    ("https://box-api.onion/", ""),
    ("https://127.0.0.1:9/", "http://proxy.example.onion:3128"),
])
def test_requests_never_looks_up_an_onion_name(url: str, proxy_env: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """requests' view of a .onion host (or through a .onion proxy) is curl:6, with no lookup."""
    import socket

    def no_lookup(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"getaddrinfo{args} would send a DNS query")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    env = proxyenv.capture({"HTTPS_PROXY": proxy_env} if proxy_env else {})
    view = requests_view.verdict(url, Options(proxy_env=env), timeout_s=2)
    assert view["code"] == 6 and ".onion" in view["error"]
