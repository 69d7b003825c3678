"""A mock transport: the checks' logic exercised without a socket (httpx's `MockTransport`).

    def handler(request: transport.Request) -> Observation:
        if "CONNECT_ONLY" in request.options:
            return Observation(curl_code=28, phase="tls")
        return Observation(http_status=200, body=b'{"type": "user", ...}')

    ctx = Context(options, transport=MockTransport(handler))

Every Observation it hands out is labelled `simulated` (it was not produced by a real exchange),
and every request is kept in `requests` for the test to look at.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from selftest import transport
from selftest.observe import Observation

Handler = Callable[[transport.Request], Observation]


class MockTransport:
    """Answers each request with `handler(request)`; thread-safe, as the checks run in threads."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[transport.Request] = []
        self._lock = threading.Lock()

    def __call__(self, request: transport.Request) -> Observation:
        """Record the request and answer it with the handler's observation, marked simulated."""
        with self._lock:
            self.requests.append(request)
        obs = self.handler(request)
        return replace(obs, url=obs.url or request.url, simulated=True)
