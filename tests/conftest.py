"""Shared test settings.

Every test talks only to loopback. libcurl reads proxy variables from the environment as PHP's
cURL does, so they are cleared here: a CI machine with a proxy configured must not route the
tests' loopback traffic through it.
"""

from __future__ import annotations

import pytest

_PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                    "ALL_PROXY", "no_proxy", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
