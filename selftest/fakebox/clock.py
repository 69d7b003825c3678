"""The fake's clock: real time plus an offset that tests can set and advance.

Token lifetimes, JWT claim checks, upload-session expiry, comment de-duplication and the
`Date` header all read this clock, so a test can put the fake "ahead of" or "behind" the client
(a skewed server, as a customer's badly set web host sees Box) or jump seven days in one call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import formatdate


class Clock:
    """Wall-clock time shifted by `offset_s` seconds; thread-safe."""

    def __init__(self, offset_s: float = 0.0, source: Callable[[], float] = time.time) -> None:
        self._offset_s = float(offset_s)
        self._source = source
        self._lock = threading.Lock()

    @property
    def offset_s(self) -> float:
        with self._lock:
            return self._offset_s

    def set_offset(self, offset_s: float) -> None:
        """Place the fake `offset_s` seconds ahead of real time (negative: behind)."""
        with self._lock:
            self._offset_s = float(offset_s)

    def advance(self, seconds: float) -> None:
        """Move the fake's time forward by `seconds` (tokens and sessions age at once)."""
        with self._lock:
            self._offset_s += float(seconds)

    def now(self) -> float:
        """Seconds since the epoch, as the fake sees it."""
        with self._lock:
            return self._source() + self._offset_s

    def http_date(self) -> str:
        """The `Date` header value (RFC 7231 IMF-fixdate) for the fake's now."""
        return formatdate(self.now(), usegmt=True)


def iso(ts: float) -> str:
    """Box's timestamp format: ISO 8601 to the second with an explicit offset."""
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
