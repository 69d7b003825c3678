"""Secrets never appear in output: tokens, passwords, keys, assertions.

Box's SDK keeps a list of keys that are always redacted when printed (box_sdk_gen
`networking/fetch.py`); this is the same idea for header lines, form fields and JSON keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"

#: Keys whose values are secret wherever they appear (header names, form fields, JSON keys).
SECRET_KEYS = frozenset({
    "authorization", "proxy-authorization", "cookie", "set-cookie",
    "access_token", "refresh_token", "client_secret", "assertion", "password",
    "passphrase", "privatekey", "private_key", "upload_token",
})

_HEADER = re.compile(r"^(\s*[<>*]?\s*)(authorization|proxy-authorization|cookie|set-cookie)"
                     r"(\s*:\s*)(\S+)(?:\s+\S+)?", re.IGNORECASE)
_FIELD = re.compile(r"\b(access_token|refresh_token|client_secret|assertion|password|token)"
                    r"(=|\":\s*\")([^&\s\"]+)", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(\w+://[^:/@\s]+:)([^@\s]+)(@)")


def redact_line(line: str) -> str:
    """Blank out secrets in one line of text (a header, a URL, a form body)."""
    line = _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}{REDACTED}", line)
    line = _FIELD.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", line)
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", line)


def redact(value: Any) -> Any:
    """Redact a JSON-like value: secret keys blanked at any depth, strings line-redacted."""
    if isinstance(value, Mapping):
        return {k: REDACTED if str(k).lower() in SECRET_KEYS and v else redact(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_line(value)
    return value
