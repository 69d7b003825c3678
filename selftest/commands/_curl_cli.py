"""The `curl` command line that does what a scenario's client does, for `selftest serve` hints.

A table from libcurl option names to curl's flags, so a support engineer can point the curl they
have at a served fault and see the same exit code. Options with no curl flag are named, not hidden.
"""

from __future__ import annotations

import shlex
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

Flag = Callable[[Any], list[str]]


def _switch(flag: str) -> Flag:
    """A curl flag given alone when the option is set (FOLLOWLOCATION: `--location`)."""
    return lambda value: [flag] if value else []


def _value(flag: str) -> Flag:
    """A curl flag followed by the option's value."""
    return lambda value: [flag, str(value)]


def _seconds(flag: str) -> Flag:
    """A curl flag taking seconds, for a libcurl option in milliseconds."""
    return lambda value: [flag, f"{int(value) / 1000:g}"]


#: Special values spelt "@CONSTANT" in scenarios, and the curl flag each stands for.
_CONSTANT_FLAGS = {
    "@CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE": ["--http2-prior-knowledge"],
    "@CURL_HTTP_VERSION_1_1": ["--http1.1"],
    "@SSLVERSION_MAX_TLSv1_2": ["--tls-max", "1.2"],
    "@SSLVERSION_MAX_TLSv1_1": ["--tls-max", "1.1"],
}

OPTION_FLAGS: dict[str, Flag] = {
    "FOLLOWLOCATION": _switch("--location"),
    "MAXREDIRS": _value("--max-redirs"),
    "FAILONERROR": _switch("--fail"),
    "RESUME_FROM": _value("--continue-at"),
    "MAXFILESIZE": _value("--max-filesize"),
    "HTTPPROXYTUNNEL": _switch("--proxytunnel"),
    "ACCEPT_ENCODING": lambda value: ["--compressed"],
    "CAINFO": _value("--cacert"),
    "SSLCERT": _value("--cert"),
    "CRLFILE": _value("--crlfile"),
    "PINNEDPUBLICKEY": _value("--pinnedpubkey"),
    "SSL_VERIFYSTATUS": _switch("--cert-status"),
    "SSL_CIPHER_LIST": _value("--ciphers"),
    "INTERFACE": _value("--interface"),
    "SSL_FALSESTART": _switch("--false-start"),
    "SSLENGINE": _value("--engine"),
    "TIMEOUT_MS": _seconds("--max-time"),
    "CONNECTTIMEOUT_MS": _seconds("--connect-timeout"),
}


def padding_file(size_bytes: int) -> Path:
    """A file holding the scenario's `X-Padding` header of that size, for `curl --header @FILE`.

    A header over 128 KiB cannot be one command-line argument (Linux's MAX_ARG_STRLEN), and a hint
    that dropped it would test another request: curl-100 passed on libcurl 7 only that way.
    """
    path = Path(tempfile.gettempdir()) / f"selftest-padding-{size_bytes}.txt"
    line = f"X-Padding: {'a' * size_bytes}\n"
    if not path.is_file() or path.stat().st_size != len(line):
        path.write_text(line, encoding="ascii")
    return path


def curl_command(client: Mapping[str, Any]) -> tuple[str, list[str]]:
    """(the command line, options it cannot express) for a filled, unresolved [client] table.

    Everything the scenario sends is carried: method, headers (the padding one from a file),
    body, proxy, CA, resolve pins, timeouts; what curl has no flag for is returned, never dropped.
    """
    args = ["curl", "--silent", "--show-error", "--output", "/dev/null"]
    if client.get("method", "GET").upper() != "GET":
        args += ["--request", str(client["method"]).upper()]
    for name, value in dict(client.get("headers", {})).items():
        args += ["--header", f"{name}: {value}"]
    padding = int(client.get("header_padding_bytes", 0))
    if padding:
        args += ["--header", f"@{padding_file(padding)}"]
    if client.get("body") is not None:
        args += ["--data-binary", str(client["body"])]
    if client.get("verify", True) is False:
        args.append("--insecure")
    elif client.get("cainfo"):
        args += ["--cacert", str(client["cainfo"])]
    if client.get("proxy") is not None:
        args += ["--proxy", str(client["proxy"])]
    for entry in client.get("resolve", ()):
        args += ["--resolve", str(entry)]
    for entry in client.get("connect_to", ()):
        args += ["--connect-to", str(entry)]
    if "timeout_ms" in client:
        args += OPTION_FLAGS["TIMEOUT_MS"](client["timeout_ms"])
    if "connect_timeout_ms" in client:
        args += OPTION_FLAGS["CONNECTTIMEOUT_MS"](client["connect_timeout_ms"])
    missing: list[str] = []
    for name, value in dict(client.get("options", {})).items():
        if isinstance(value, str) and value in _CONSTANT_FLAGS:
            args += _CONSTANT_FLAGS[value]
        elif name.upper() in OPTION_FLAGS:
            args += OPTION_FLAGS[name.upper()](value)
        else:
            missing.append(name)
    args.append(str(client.get("url", "")))
    return shlex.join(args), missing
