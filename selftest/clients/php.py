"""PHP's own cURL as a reproduction client: PHP's constants, PHP's own `curl_*` functions.

`describe()` asks the PHP on PATH what it is (PHP version, `curl_version()`: libcurl, SSL backend,
features, protocols; its curl constants; its CA settings from php.ini). `php_options()` turns a
scenario's filled [client] table into numbered `curl_setopt` calls with PHP's constants, or says
why PHP cannot express it (an option or constant PHP's extension does not define). `run()` makes
the request through `php_replay.php` (a php process of its own, or a long-lived worker of
`selftest.clients.php_workers`) and returns the Observation; the message a site admin would see
is `admin_message()`'s: "cURL error N: ..." as PHP plugins and WordPress print it.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from selftest.errors import SelftestError
from selftest.observe import (
    BODY_LIMIT_BYTES,
    BoxError,
    Observation,
    observe,
    parse_error_body,
)

if TYPE_CHECKING:
    from selftest.clients.php_workers import Workers

#: The helper script shipped beside this module.
SCRIPT = "php_replay.php"

#: Time the php process gets beyond the request's own timeout (start-up, JSON, exit).
PROCESS_SLACK_S = 10.0

#: [client] keys of a plain request (the `perform` / `setopt` steps) this client carries over.
REQUEST_KEYS = frozenset({"url", "method", "headers", "body", "timeout_ms", "connect_timeout_ms",
                          "options", "proxy", "resolve", "connect_to", "cainfo", "verify",
                          "certinfo", "header_padding_bytes", "step", "verbose"})


class ClientMissing(SelftestError):
    """Raised when the requested client (php, its curl extension, WordPress) is not usable here."""


@dataclass(frozen=True)
class PhpBuild:
    """What the PHP on PATH is: versions, libcurl's features and protocols, its constants."""

    php: str
    php_version: str
    libcurl: str
    ssl: str
    features: tuple[str, ...]
    protocols: tuple[str, ...]
    constants: Mapping[str, int] = field(repr=False)
    ini: Mapping[str, str] = field(default_factory=dict)

    @property
    def libcurl_major(self) -> int:
        return int(self.libcurl.split(".", 1)[0]) if self.libcurl[:1].isdigit() else 0

    def to_dict(self) -> dict[str, Any]:
        return {"php": self.php, "php_version": self.php_version, "libcurl": self.libcurl,
                "ssl": self.ssl, "features": list(self.features),
                "protocols": list(self.protocols), "ini": dict(self.ini)}


def script_path() -> Path:
    """The shipped PHP helper (a real file: php needs a path)."""
    return Path(str(resources.files("selftest.clients") / SCRIPT))


def find_php(php: str | None = None) -> str:
    """The php executable to use. Raises ClientMissing naming what is absent."""
    found = shutil.which(php or "php")
    if found is None:
        raise ClientMissing(f"no {php or 'php'} on PATH: install php-cli and php-curl "
                            "(Debian: apt-get install php-cli php-curl)")
    return found


def describe(php: str | None = None, timeout_s: float = PROCESS_SLACK_S) -> PhpBuild:
    """Ask the PHP on PATH what it is. Raises ClientMissing without php or its curl extension,
    SelftestError when it gives no answer within `timeout_s`."""
    executable = find_php(php)
    doc = _run_php(executable, ["describe"], b"", timeout_s=timeout_s)
    version = doc["curl_version"]
    constants = {str(k): int(v) for k, v in doc["constants"].items() if isinstance(v, int)}
    bits = int(version.get("features", 0))
    features = tuple(sorted(name.removeprefix("CURL_VERSION_") for name, value in constants.items()
                            if name.startswith("CURL_VERSION_") and value and bits & value
                            and name != "CURL_VERSION_NOW"))
    return PhpBuild(php=executable, php_version=str(doc["php_version"]),
                    libcurl=str(version.get("version", "")),
                    ssl=str(version.get("ssl_version", "")), features=features,
                    protocols=tuple(str(p) for p in version.get("protocols", ())),
                    constants=constants, ini={str(k): str(v) for k, v in doc["ini"].items()})


class ChildRunner(Protocol):
    """Runs a command under a preflight's deadline, in its own process group, killed on Ctrl-C
    (`Context.run_child`), `stdin` written to it: (exit status, stdout, stderr), or why it gave
    no answer."""

    def __call__(self, argv: list[str], timeout_s: float,
                 stdin: str | None = None) -> tuple[int, str, str] | str: ...


def _run_php(executable: str, args: Sequence[str], stdin: bytes, *, timeout_s: float,
             prefix: Sequence[str] = (), script: Path | None = None,
             runner: ChildRunner | None = None, workers: Workers | None = None,
             key: tuple[Hashable, ...] = ()) -> dict[str, Any]:
    """The helper's JSON answer to `stdin` (one request). With `workers` and no `prefix`, a
    long-lived `serve` worker of the same executable, script and `key` answers it; otherwise
    a php process of its own (the DNS jail's `prefix` is per request)."""
    flags = [executable, "-d", "display_errors=stderr", "-d", "log_errors=0"]
    script = script or script_path()
    if runner is not None:
        return _run_under(runner, [*prefix, *flags, str(script), *args], stdin, timeout_s)
    if workers is not None and not prefix:
        doc = workers.ask((executable, str(script), *key), [*flags, str(script), "serve"],
                          stdin, timeout_s)
    else:
        doc = _run_once([*prefix, *flags, str(script), *args], stdin, timeout_s)
    if "fault" in doc:
        raise ClientMissing(f"{executable}: {doc['fault']} (Debian: apt-get install php-curl)")
    return doc


def _run_once(command: list[str], stdin: bytes, timeout_s: float) -> dict[str, Any]:
    """`command`'s one JSON document: a php process of its own for one request."""
    # Its own process group, killed whole at the timeout (the DNS jail's children too).
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = child.communicate(stdin, timeout=timeout_s)
    except BaseException as exc:  # the timeout, or Ctrl-C: php and its group die with the call
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        if isinstance(exc, subprocess.TimeoutExpired):
            raise SelftestError(f"php did not finish within {timeout_s:.1f} s") from None
        raise
    try:
        doc = json.loads(out.decode("utf-8", "replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        said = err.decode("utf-8", "replace").strip()[:300]
        raise SelftestError(f"php printed no JSON (exit {child.returncode}): {said}") from None
    if not isinstance(doc, dict):
        raise SelftestError("php printed JSON that is not an object")
    return doc


def _run_under(runner: ChildRunner, command: list[str], stdin: bytes,
               timeout_s: float) -> dict[str, Any]:
    """`command` through `runner`, its request on its stdin.

    Never through a file: the request carries the bearer token, and a file (or the folder around
    it) can outlive the run on an exit that runs no clean-up (SIGKILL, a second SIGTERM after the
    handlers are restored, the interpreter ending a check's daemon thread between `mkdtemp` and
    its removal), which is how `selftest-php-*` folders used to survive an interrupted run.
    """
    done = runner(command, timeout_s, stdin.decode())
    if isinstance(done, str):
        # No answer in time, or interrupted: libcurl's own word for it is 28.
        return {"errno": 28, "error": f"PHP gave no answer: {done}"}
    status, out, err = done
    try:
        doc = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise SelftestError(f"php printed no JSON (exit {status}): {err.strip()[:300]}") from None
    if not isinstance(doc, dict):
        raise SelftestError("php printed JSON that is not an object")
    return doc


def php_constant(build: PhpBuild, name: str) -> int | None:
    """PHP's value for a libcurl constant spelt as pycurl spells it (`SSLVERSION_MAX_TLSv1_2`)."""
    for candidate in (name, f"CURL_{name}", f"CURL{name}", f"CURLOPT_{name}"):
        if candidate in build.constants:
            return build.constants[candidate]
    return None


def option_name(name: str) -> str:
    """PHP's constant name for a pycurl option name (`OPT_RTSP_REQUEST` -> CURLOPT_RTSP_REQUEST)."""
    upper = name.upper()
    return "CURLOPT_" + upper.removeprefix("OPT_")


def php_options(client: Mapping[str, Any],
                build: PhpBuild) -> tuple[list[list[Any]], str | None]:
    """(curl_setopt calls as [id, value, name], None) or ([], why PHP cannot express it).

    The same options, in the same order, as `selftest.transport` sets for pycurl; the proxy is
    always set ("" when none) so the environment's proxy variables never change a scenario, and
    a preflight Request sets NO_PROXY too (from the environment the command captured).
    """
    calls: list[tuple[str, Any]] = [("CURLOPT_NOSIGNAL", 1)]
    calls.append(("CURLOPT_TIMEOUT_MS", int(client.get("timeout_ms", 30_000))))
    if client.get("connect_timeout_ms") is not None:
        calls.append(("CURLOPT_CONNECTTIMEOUT_MS", int(client["connect_timeout_ms"])))
    method = str(client.get("method", "GET")).upper()
    if method == "HEAD":
        calls.append(("CURLOPT_NOBODY", 1))
    elif method != "GET" or client.get("body") is not None:
        calls.append(("CURLOPT_CUSTOMREQUEST", method))
    headers = [f"{k}: {v}" for k, v in dict(client.get("headers", {})).items()]
    padding = int(client.get("header_padding_bytes", 0))
    if padding:
        headers.append(f"X-Padding: {'a' * padding}")
    if headers:
        calls.append(("CURLOPT_HTTPHEADER", headers))
    url = str(client.get("url", ""))
    if url.lower().startswith(("https:", "ftps:", "imaps:", "pop3s:", "smtps:", "wss:")):
        if client.get("verify", True) is False:
            calls += [("CURLOPT_SSL_VERIFYPEER", 0), ("CURLOPT_SSL_VERIFYHOST", 0)]
        elif client.get("cainfo"):
            calls.append(("CURLOPT_CAINFO", str(client["cainfo"])))
    # A scenario's table has no proxy key: no proxy, whatever the environment says (hermetic).
    # A preflight Request names its proxy and NO_PROXY ("" for none) from the environment the
    # command was given, so PHP goes the way pycurl goes and the proxy check reports.
    proxy = client.get("proxy", "")
    if proxy is not None:
        calls.append(("CURLOPT_PROXY", str(proxy)))
    if client.get("proxy") and client.get("cainfo"):
        calls.append(("CURLOPT_PROXY_CAINFO", str(client["cainfo"])))
    if client.get("noproxy") is not None:
        calls.append(("CURLOPT_NOPROXY", str(client["noproxy"])))
    if client.get("resolve"):
        calls.append(("CURLOPT_RESOLVE", [str(x) for x in client["resolve"]]))
    if client.get("connect_to"):
        calls.append(("CURLOPT_CONNECT_TO", [str(x) for x in client["connect_to"]]))
    for name, value in dict(client.get("options", {})).items():
        if isinstance(value, str) and value.startswith("@"):
            from selftest.machine import or_constants  # the scenario layer: a replay's need

            try:
                value = or_constants(value, lambda name: _known_constant(build, name))
            except KeyError:
                return [], f"PHP's curl extension defines no constant for {value[1:]}"
        calls.append((option_name(name), value))
    out: list[list[Any]] = []
    for name, value in calls:
        if name not in build.constants:
            return [], f"PHP's curl extension has no {name} (curl_setopt cannot set it)"
        out.append([build.constants[name], value, name])
    return out, None


def _known_constant(build: PhpBuild, name: str) -> int:
    """`php_constant`, raising KeyError for a name PHP's curl extension lacks."""
    found = php_constant(build, name)
    if found is None:
        raise KeyError(name)
    return found


def request_table(request: Any) -> dict[str, Any]:
    """A transport Request as the [client]-table form the PHP helper is driven by."""
    return {"url": request.url, "method": request.method, "headers": dict(request.headers),
            "body": request.body, "timeout_ms": request.timeout_ms,
            "connect_timeout_ms": request.connect_timeout_ms, "proxy": request.proxy,
            "noproxy": request.noproxy, "resolve": list(request.resolve),
            "connect_to": list(request.connect_to),
            "cainfo": request.cainfo, "verify": request.verify, "options": dict(request.options),
            "certinfo": request.certinfo, "verbose": request.verbose}


def names_needing_an_answer(client: Mapping[str, Any]) -> list[str]:
    """Host names of the URL and proxy that are neither IP literals, localhost, nor pinned.

    Such a name would reach the system resolver (a real DNS query) under libcurl 7: the replay
    runs in `selftest.clients.dnsjail` instead, where a local server answers it.
    """
    pinned = {str(entry).split(":", 1)[0].lower()
              for key in ("resolve", "connect_to") for entry in client.get(key, ())}
    names = []
    for text in (client.get("url"), client.get("proxy")):
        if not text:
            continue
        host = (urlsplit(str(text) if "://" in str(text) else f"http://{text}").hostname or "")
        if host and not _is_local(host) and host not in pinned:
            names.append(host)
    return names


def _is_local(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True  # libcurl ≥ 7.85 answers these itself, without the resolver
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def run(build: PhpBuild, client: Mapping[str, Any], calls: list[list[Any]],
        prefix: Sequence[str] = (), runner: ChildRunner | None = None,
        workers: Workers | None = None) -> Observation:
    """One request through PHP's curl_exec; its result as an Observation (phase from timings).

    `prefix` runs php inside another command (the DNS jail); `workers` lends a long-lived php
    to a request without one (`selftest.clients.php_workers`).
    """
    url = str(client.get("url", ""))
    body = client.get("body")
    request = {"url": url, "options": calls, "body_limit_bytes": BODY_LIMIT_BYTES,
               "body_b64": body_b64(body), "certinfo": bool(client.get("certinfo")),
               "verbose": bool(client.get("verbose"))}
    timeout_s = int(client.get("timeout_ms", 30_000)) / 1000 + PROCESS_SLACK_S
    doc = _run_php(build.php, ["replay"], json.dumps(request).encode(), timeout_s=timeout_s,
                   prefix=prefix, runner=runner, workers=workers)
    from selftest.transport import proxy_in_use

    return observation_from(doc, url, client="php",
                            proxy=proxy_in_use(url, _text_or_none(client.get("proxy", "")),
                                               _text_or_none(client.get("noproxy"))))


def _text_or_none(value: Any) -> str | None:
    """A [client] value as text, None staying None (the variable left to libcurl)."""
    return None if value is None else str(value)


def body_b64(body: Any) -> str | None:
    """A request body (text or bytes) for the PHP helpers' JSON; None when there is none."""
    if body is None:
        return None
    raw = body if isinstance(body, bytes) else str(body).encode()
    return base64.b64encode(raw).decode()


def observation_from(doc: Mapping[str, Any], url: str, *, client: str,
                     proxy: str = "") -> Observation:
    """The Observation for a PHP helper's JSON result (shared with the WordPress client);
    `proxy` is the one the request went through ("" when none)."""
    if "php_error" in doc:
        raise SelftestError(f"PHP refused the request: {doc['php_error']}")
    details: dict[str, Any] = {"client": client}
    for key in ("elapsed_ms", "primary_ip", "effective_url", "ssl_verify_result",
                "refused_option", "message", "wp_error_code", "certinfo", "wire", "pid"):
        if doc.get(key) not in (None, ""):
            details[key] = doc[key]
    timings = {str(k): float(v) for k, v in dict(doc.get("timings") or {}).items()}
    return observe(
        curl_code=int(doc.get("errno") or 0), curl_message=str(doc.get("error") or ""), url=url,
        raw_headers=base64.b64decode(doc.get("headers_b64") or ""),
        body=base64.b64decode(doc.get("body_b64") or ""),
        connect_status=int(doc.get("connect_code") or 0), timings=timings, details=details,
        phase="setup" if doc.get("phase") == "setup" else None, proxy=proxy)


def admin_message(obs: Observation) -> str:
    """What a PHP plugin shows the site admin: "cURL error N: ..." or the HTTP error it got."""
    if obs.curl_code:
        return f"cURL error {obs.curl_code}: {obs.curl_message}"
    return http_message(obs)


def http_message(obs: Observation) -> str:
    """An HTTP error as the admin's log holds it.

    A Box error body alone (it carries its status); otherwise the status line, the bearer
    challenge if there is one, and the Box or OAuth error body if there is one, one per line: an
    OAuth body names no status, and a 401's cause may be only in its WWW-Authenticate header.
    """
    if obs.http_status is None or obs.http_status < 400:
        return ""
    text = obs.body.decode("utf-8", "replace").strip()
    parsed = parse_error_body(obs.body, obs.http_status)
    challenge = obs.headers.get("www-authenticate")
    if isinstance(parsed, BoxError) and not challenge:
        return text
    version = obs.http_version or "1.1"
    lines = [f"HTTP/{version} {obs.http_status} {obs.reason}".rstrip()]
    if challenge:
        lines.append(f"WWW-Authenticate: {challenge}")
    if parsed is not None:
        lines.append(text)
    return "\n".join(lines)
