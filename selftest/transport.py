"""The pycurl client: one request in, one Observation out.

This and `selftest.steps` are the only modules that import pycurl. The WordPress extension talks
to Box through PHP's cURL, so the same library gives the same codes. Every `pycurl.error`, whether
raised by `setopt()` (codes 4, 27, 43, 48, 53, 66 ...) or by `perform()`, becomes an Observation
here: a failure of the network is a finding, never an exception.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pycurl

from selftest.ca import CaBundle, choose_ca_bundle
from selftest.observe import Observation, observe
from selftest.redact import redact_line

#: libcurl's timing figures, by the names used in Observation.timings.
_TIMINGS = {
    "namelookup": pycurl.NAMELOOKUP_TIME,
    "connect": pycurl.CONNECT_TIME,
    "appconnect": pycurl.APPCONNECT_TIME,
    "pretransfer": pycurl.PRETRANSFER_TIME,
    "starttransfer": pycurl.STARTTRANSFER_TIME,
    "total": pycurl.TOTAL_TIME,
}


@dataclass
class Request:
    """What to ask. Options not named here go in `options`, by libcurl name without CURLOPT_."""

    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    timeout_ms: int = 30_000
    connect_timeout_ms: int | None = None
    #: CA bundle path; None: `selftest.ca.choose_ca_bundle` picks one, never libcurl's default.
    cainfo: str | None = None
    verify: bool = True
    #: CURLOPT_PROXY; None leaves libcurl to read this process's proxy variables (as PHP's cURL
    #: does); "" means no proxy. The preflight always sets it (`Context.request`).
    proxy: str | None = None
    #: CURLOPT_NOPROXY; None leaves libcurl to read no_proxy / NO_PROXY from this process; ""
    #: exempts no host. The preflight always sets it, from the environment it captured.
    noproxy: str | None = None
    #: libcurl RESOLVE entries, "HOST:PORT:ADDR".
    resolve: Sequence[str] = ()
    #: libcurl CONNECT_TO entries, "HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT".
    connect_to: Sequence[str] = ()
    #: Extra libcurl options by name, e.g. {"MAXFILESIZE": 10, "FAILONERROR": 1}.
    options: Mapping[str, Any] = field(default_factory=dict)
    #: Collect the server's certificate chain (CERTINFO) into details["certinfo"].
    certinfo: bool = False
    #: Collect libcurl's verbose lines (secrets redacted) into details["wire"].
    verbose: bool = False


def option_id(name: str) -> int:
    """Translate a libcurl option name ("MAXFILESIZE" or "CURLOPT_MAXFILESIZE") to its number."""
    key = name.upper().removeprefix("CURLOPT_")
    value = getattr(pycurl, key, None)
    if not isinstance(value, int):
        raise KeyError(f"pycurl has no option {name!r}")
    return value


def constant(name: str) -> int:
    """A pycurl constant by name (e.g. "HTTP_VERSION_2_PRIOR_KNOWLEDGE"), for data files."""
    # As spelt first: some constants are mixed case (SSLVERSION_MAX_TLSv1_2).
    value = getattr(pycurl, name, None)
    if not isinstance(value, int):
        value = getattr(pycurl, name.upper(), None)
    if not isinstance(value, int):
        raise KeyError(f"pycurl has no constant {name!r}")
    return value


def curl_build() -> dict[str, frozenset[str]]:
    """This libcurl's protocols, and its feature names (the VERSION_* bits that are set)."""
    info = pycurl.version_info()
    names = [n for n in dir(pycurl) if n.startswith("VERSION_") and n[8:].isupper()]
    features = frozenset(n.removeprefix("VERSION_") for n in names
                         if isinstance(getattr(pycurl, n), int) and info[4] & getattr(pycurl, n))
    return {"protocols": frozenset(info[8]), "features": features}


def libcurl_version() -> str:
    return str(pycurl.version)


#: How often a transfer that can be aborted looks at its `abort` (the delay a cancel may see).
ABORT_POLL_S = 0.05

#: libcurl's CURLE_ABORTED_BY_CALLBACK: what an aborted transfer is observed as.
ABORTED = 42


def perform(request: Request, configure: Callable[[Any], None] | None = None,
            after: Callable[[Any], None] | None = None, *,
            abort: Callable[[], bool] | None = None) -> Observation:
    """Run one request. `configure(handle)` may set further options (used by scenario steps).

    `after(handle)` runs once perform() succeeded, on the still-open handle, for the calls libcurl
    makes only then (curl_easy_recv after CONNECT_ONLY); a pycurl.error it raises is observed as
    perform()'s would be.

    With `abort`, the transfer is driven through a multi handle and stopped within ABORT_POLL_S
    once `abort()` is true, in any phase (libcurl calls no progress callback during a TLS
    handshake, so a tarpit would otherwise hold the thread until the timeout): it is then
    observed as code 42, and no thread of an interrupted run is left inside libcurl.
    """
    curl = pycurl.Curl()
    headers = io.BytesIO()
    body = io.BytesIO()
    wire: list[str] = []
    details: dict[str, Any] = {}
    try:
        try:
            ca = _setup(curl, request, headers, body, wire)
            if ca is not None:
                details["ca_bundle"] = ca.path
                details["ca_source"] = ca.source
            if configure is not None:
                configure(curl)
        except pycurl.error as exc:
            code, message = _error_parts(exc)
            return observe(curl_code=code, curl_message=message, url=request.url,
                           phase="setup", details=details)
        started = time.monotonic()
        code, message = 0, ""
        try:
            if abort is None:
                curl.perform()
            else:
                _perform_unless(curl, abort)
            if after is not None:
                after(curl)
        except pycurl.error as exc:
            code, message = _error_parts(exc)
        details["elapsed_ms"] = round((time.monotonic() - started) * 1000, 1)
        details.update(_info(curl, request))
        if wire:
            details["wire"] = wire
        return observe(
            curl_code=code,
            curl_message=message,
            url=request.url,
            raw_headers=headers.getvalue(),
            body=body.getvalue(),
            connect_status=_getinfo(curl, pycurl.HTTP_CONNECTCODE, 0),
            timings={name: _getinfo(curl, info, 0.0) for name, info in _TIMINGS.items()},
            details=details,
            proxy=_proxy_used(curl, request),
        )
    finally:
        curl.close()


def _perform_unless(curl: Any, abort: Callable[[], bool]) -> None:
    """`curl.perform()` through a multi handle, looking at `abort()` between waits; raises
    pycurl.error as perform() would (code 42 once aborted)."""
    multi = pycurl.CurlMulti()
    multi.add_handle(curl)
    try:
        while True:
            status, active = multi.perform()
            if status == pycurl.E_CALL_MULTI_PERFORM:
                continue
            if not active:
                break
            if abort():
                raise pycurl.error(ABORTED, "aborted: the run was cancelled")
            wait_ms = multi.timeout()  # -1: no timer set; 0: call perform() at once
            wait_s = ABORT_POLL_S if wait_ms < 0 else min(ABORT_POLL_S, wait_ms / 1000)
            if any(multi.fdset()):
                multi.select(wait_s)
            else:  # only a timer to wait for: select() on no socket would return at once
                time.sleep(wait_s)
        _, _, failed = multi.info_read()
        if failed:
            _, code, message = failed[0]
            raise pycurl.error(code, message)
    finally:
        multi.remove_handle(curl)
        multi.close()


def _error_parts(exc: pycurl.error) -> tuple[int, str]:
    # pycurl's own errors (not libcurl's) carry no code: a 1-tuple. Code -1 marks them.
    if len(exc.args) >= 2 and isinstance(exc.args[0], int):
        return exc.args[0], str(exc.args[1])
    return -1, str(exc.args[0]) if exc.args else "pycurl error"


def _setup(curl: Any, request: Request, headers: io.BytesIO, body: io.BytesIO,
           wire: list[str]) -> CaBundle | None:
    curl.setopt(pycurl.URL, request.url)
    curl.setopt(pycurl.HEADERFUNCTION, headers.write)
    curl.setopt(pycurl.WRITEFUNCTION, body.write)
    curl.setopt(pycurl.NOSIGNAL, 1)
    curl.setopt(pycurl.TIMEOUT_MS, request.timeout_ms)
    if request.connect_timeout_ms is not None:
        curl.setopt(pycurl.CONNECTTIMEOUT_MS, request.connect_timeout_ms)
    method = request.method.upper()
    if method == "HEAD":
        curl.setopt(pycurl.NOBODY, 1)
    elif method != "GET" or request.body is not None:
        curl.setopt(pycurl.CUSTOMREQUEST, method)
    if request.body is not None:
        curl.setopt(pycurl.POSTFIELDSIZE, len(request.body))
        curl.setopt(pycurl.COPYPOSTFIELDS, request.body)
    if request.headers:
        curl.setopt(pycurl.HTTPHEADER, [f"{k}: {v}" for k, v in request.headers.items()])
    ca: CaBundle | None = None
    if request.url.lower().startswith(("https:", "ftps:", "imaps:", "pop3s:", "smtps:", "wss:")):
        if request.verify:
            ca = choose_ca_bundle(request.cainfo)
            curl.setopt(pycurl.CAINFO, ca.path)
        else:
            curl.setopt(pycurl.SSL_VERIFYPEER, 0)
            curl.setopt(pycurl.SSL_VERIFYHOST, 0)
    if request.proxy is not None:
        curl.setopt(pycurl.PROXY, request.proxy)
        if request.proxy:
            ca_proxy = choose_ca_bundle(request.cainfo)
            curl.setopt(pycurl.PROXY_CAINFO, ca_proxy.path)
    if request.noproxy is not None:
        curl.setopt(pycurl.NOPROXY, request.noproxy)
    if request.resolve:
        curl.setopt(pycurl.RESOLVE, list(request.resolve))
    if request.connect_to:
        curl.setopt(pycurl.CONNECT_TO, list(request.connect_to))
    if request.certinfo:
        curl.setopt(pycurl.OPT_CERTINFO, 1)
    if request.verbose:
        curl.setopt(pycurl.VERBOSE, 1)
        curl.setopt(pycurl.DEBUGFUNCTION, lambda kind, data: _debug(wire, kind, data))
    for name, value in request.options.items():
        curl.setopt(option_id(name), value)
    return ca


_DEBUG_PREFIX = {0: "*", 1: "<", 2: ">"}  # text, header in, header out (as `curl -v` shows them)


def _debug(wire: list[str], kind: int, data: bytes) -> None:
    prefix = _DEBUG_PREFIX.get(kind)
    if prefix is None or len(wire) > 2000:
        return
    for line in data.decode("latin-1").splitlines():
        if line.strip():
            wire.append(f"{prefix} {redact_line(line)}")


#: CURLINFO_USED_PROXY (libcurl 8.7): libcurl's own word on whether a proxy was used.
_USED_PROXY = getattr(pycurl, "USED_PROXY", -1)


def proxy_in_use(url: str, proxy: str | None, noproxy: str | None = None) -> str:
    """The proxy libcurl goes through for `url`: `proxy`, unless `noproxy` (CURLOPT_NOPROXY)
    names the host ("" when none), as `selftest.checks.probes.proxyenv` reads libcurl's rules.
    Where either is None libcurl reads this process's variables instead, and so does this."""
    from urllib.parse import urlsplit

    from selftest.checks.probes import proxyenv

    env: dict[str, str] = {}
    if proxy is None or noproxy is None:
        env.update(proxyenv.from_process())
    if noproxy is not None:
        for name in proxyenv.NO_PROXY_VARIABLES:
            env.pop(name, None)
        env["no_proxy"] = noproxy
    return proxyenv.proxy_for(urlsplit(url).hostname or "", proxy, env).url


def _proxy_used(curl: Any, request: Request) -> str:
    if _USED_PROXY >= 0 and _getinfo(curl, _USED_PROXY, 1) == 0:
        return ""
    return proxy_in_use(request.url, request.proxy, request.noproxy)


def _getinfo(curl: Any, info: int, default: Any) -> Any:
    try:
        return curl.getinfo(info)
    except pycurl.error:
        return default


def _info(curl: Any, request: Request) -> dict[str, Any]:
    info: dict[str, Any] = {
        "primary_ip": _getinfo(curl, pycurl.PRIMARY_IP, ""),
        "primary_port": _getinfo(curl, pycurl.PRIMARY_PORT, 0),
        "effective_url": _getinfo(curl, pycurl.EFFECTIVE_URL, request.url),
        "ssl_verify_result": _getinfo(curl, pycurl.SSL_VERIFYRESULT, 0),
    }
    if request.certinfo:
        info["certinfo"] = _getinfo(curl, pycurl.INFO_CERTINFO, [])
    return info
