"""Whether PHP with its curl extension is on PATH: the tests that drive it skip, saying why."""

from __future__ import annotations

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
