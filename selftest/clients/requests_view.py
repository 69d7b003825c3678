"""requests as the third opinion on TLS: Python's own TLS stack (the `ssl` module) and certifi.

libcurl (pycurl's, with the bundle `selftest.ca` chose) and PHP's cURL (with `curl.cainfo` or its
built-in bundle) both verify through libcurl and OpenSSL. requests verifies through Python's `ssl`
module with certifi's copy of Mozilla's list: when libcurl fails and requests passes, the bundle
is what differs, not the network. `verdict()` makes one unauthenticated HEAD of the host's root
(what the clock check sends too; no Box API call) and returns the libcurl-style code it amounts
to; `annotate()` adds requests' verdict per host to the tls check's result and, where the stacks
disagree, says so in the summary ("libcurl with the system bundle fails, requests/certifi and
PHP pass").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import certifi
import requests

from selftest.checks import CheckResult
from selftest.checks.probes.context import ApiBudget, Options, parallel
from selftest.checks.probes.proxyenv import proxy_for

#: The libcurl code each requests failure amounts to (the most specific class first).
_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (requests.exceptions.SSLError, 60),
    (requests.exceptions.ProxyError, 7),
    (requests.exceptions.ConnectTimeout, 28),
    (requests.exceptions.ReadTimeout, 28),
    (requests.exceptions.ConnectionError, 7),
    (requests.exceptions.RequestException, 56),
)


#: requests' own timeout (connect, and each read) when the run leaves more time than this.
DEFAULT_TIMEOUT_S = 10.0


def verdict(url: str, options: Options, timeout_s: float = DEFAULT_TIMEOUT_S, method: str = "HEAD",
            headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """requests' view of `url`: {"code": 0 (verified) or the libcurl-style code, "error"}."""
    # libcurl's proxy for the host, from the run's captured environment (never requests' own
    # reading of os.environ, nor its NO_PROXY rules): requests goes the way libcurl goes.
    proxy = proxy_for(urlsplit(url).hostname or "", options.proxy, options.proxy_env).url
    proxies = {"https": proxy, "http": proxy} if proxy else None
    onion = _onion(url, proxy)
    if onion:
        # Python's resolver would send the name to DNS; libcurl >= 8.1 refuses it (RFC 7686).
        return {"code": 6, "error": f"not asked: {onion} is a .onion name, never looked up"}
    try:
        with requests.Session() as session:
            session.trust_env = False  # the proxy is chosen above; no .netrc either
            response = session.request(method, url, verify=options.cacert or certifi.where(),
                                       timeout=timeout_s, allow_redirects=False,
                                       proxies=proxies, headers=dict(headers or {}))
            response.close()
    except requests.exceptions.RequestException as exc:
        code = next(c for kind, c in _CODES if isinstance(exc, kind))
        return {"code": code, "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    return {"code": 0, "status": response.status_code}


def _onion(*urls: str) -> str:
    """The first .onion host among `urls` (a proxy may be given without a scheme), or ""."""
    for text in filter(None, urls):
        host = urlsplit(text if "://" in text else f"http://{text}").hostname or ""
        if host.rstrip(".").endswith(".onion"):
            return host
    return ""


#: Less time than this left before the run's deadline: requests is not asked at all.
MIN_LEFT_S = 0.2
_NO_TIME = "requests/certifi not asked: the run's deadline (--timeout) had passed"


def annotate(result: CheckResult, options: Options,
             php_codes: Mapping[str, int] | None = None,
             left_s: float = DEFAULT_TIMEOUT_S) -> CheckResult:
    """The tls result with requests' verdict for each handshaken host (pinned hosts are left
    out: requests cannot pin a name to an address); a disagreement is said in the summary.
    requests gets at most `left_s` (what is left of the run's deadline)."""
    hosts = [h for h in result.evidence.get("hosts", ()) if isinstance(h, dict)
             and "curl_code" in h and not _pinned(str(h.get("host")), options)]
    if not hosts:
        return result
    if left_s < MIN_LEFT_S:
        return _with(result, {"skipped": _NO_TIME}, _NO_TIME)
    urls = [_url(h) for h in hosts]
    timeout_s = min(DEFAULT_TIMEOUT_S, left_s)
    views = parallel(lambda u: verdict(u, options, timeout_s), urls)
    notes = []
    for host, view in zip(hosts, views, strict=True):
        host["requests"] = view
        libcurl, php = host.get("curl_code"), (php_codes or {}).get(str(host.get("host")))
        if libcurl and view["code"] == 0:
            also = " and PHP pass" if php == 0 else " passes" if php is None else \
                f" passes (PHP: {php})"
            notes.append(f"libcurl with {host.get('ca_bundle') or 'its bundle'} fails for "
                         f"{host['host']}, requests/certifi{also}: the CA bundle is what differs")
        elif not libcurl and view["code"]:
            notes.append(f"requests/certifi fails for {host['host']} ({view['error']}) where "
                         "libcurl verifies: only Python tools are affected")
    evidence = {**result.evidence, "hosts": list(result.evidence.get("hosts", ())),
                "requests": {"version": requests.__version__, "ca": certifi.where()}}
    if not notes:
        return replace(result, evidence=evidence)
    return replace(result, evidence=evidence, summary=f"{result.summary}; {'; '.join(notes)}")


#: libcurl codes of a failed TLS handshake or verification (the token check's users/me call):
#: 35 handshake, 58/59 client certificate and ciphers, 60 peer certificate, 77 CA file, 80
#: shutdown, 83 issuer, 90 pinned key, 91 OCSP.
_TLS_CODES = frozenset({35, 58, 59, 60, 77, 80, 83, 90, 91})


def annotate_token(result: CheckResult, options: Options, budget: ApiBudget,
                   left_s: float = DEFAULT_TIMEOUT_S) -> CheckResult:
    """The token result with requests' users/me (Python's TLS, certifi's store), when libcurl's
    users/me failed at TLS level and the run's budget of Box API calls allows one more call:
    whether requests/certifi gets through to Box is said in the summary. requests gets at most
    `left_s` (what is left of the run's deadline)."""
    seen = result.evidence.get("users_me")
    if not isinstance(seen, dict) or not options.token or not (
            seen.get("curl_code") in _TLS_CODES or seen.get("phase") == "tls"):
        return result
    host = _host(options.api_base)
    if _pinned(host, options):
        return result  # requests cannot pin a name to an address: it would ask DNS
    if left_s < MIN_LEFT_S:
        return _with(result, {"skipped": _NO_TIME}, _NO_TIME)
    if not budget.spend("GET /2.0/users/me (requests)"):
        return _with(result, {"skipped": "the run's budget of Box API calls is spent"},
                     "requests/certifi not asked: the run's budget of Box API calls is spent")
    url = options.api_base.rstrip("/") + "/2.0/users/me?fields=id"
    view = verdict(url, options, min(DEFAULT_TIMEOUT_S, left_s), method="GET", headers={
        "Authorization": f"Bearer {options.token}", "Accept": "application/json"})
    if view["code"] == 0:
        note = (f"requests/certifi reaches users/me on {host} (HTTP {view['status']}) where "
                "libcurl fails the TLS handshake: the CA bundle is what differs")
    else:
        note = (f"requests/certifi fails too ({view['error']}): not only libcurl's CA bundle")
    return _with(result, view, note)


def _with(result: CheckResult, view: Mapping[str, Any], note: str) -> CheckResult:
    evidence = {**result.evidence, "requests": {**view, "version": requests.__version__,
                                                "ca": certifi.where()}}
    return replace(result, evidence=evidence, summary=f"{result.summary}; {note}")


def _host(base: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(base if "://" in base else f"https://{base}").hostname or ""


def _pinned(host: str, options: Options) -> bool:
    return any(pin.split(":", 1)[0].lower() == host.lower() for pin in options.resolve)


def _url(host: Mapping[str, Any]) -> str:
    name = str(host["host"])
    name = f"[{name}]" if ":" in name else name
    port = int(host.get("port", 443))
    return f"https://{name}{'' if port == 443 else f':{port}'}/"
