"""Whether PHP with its curl extension is on PATH: the tests that drive it skip, saying why."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from selftest.clients import php


def _php_missing() -> str | None:
    try:
        php.describe()
    except php.ClientMissing as exc:
        return str(exc)
    return None


#: Why PHP cannot be used here, or None when it can.
PHP_MISSING = _php_missing()
needs_php = pytest.mark.skipif(PHP_MISSING is not None, reason=PHP_MISSING or "")


def hanging_php(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                body: str = "sleep 300") -> Path:
    """Put a `php` first on PATH that never answers (a shell script running `body`)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "php").write_text(f"#!/bin/sh\n{body}\n")
    (bindir / "php").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    return bindir / "php"
