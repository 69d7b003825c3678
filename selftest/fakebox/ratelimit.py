"""Sliding-window request limits, per key (a user id, or an OAuth client id).

Box allows about 1000 API requests per minute per user and 240 uploads per minute
(docs/facts.md §5); the fake's default is far more generous so ordinary tests never hit it,
and a test lowers it (`state.config.requests_per_window`) to provoke 429. The limit is read at
each hit, so a change applies at once. The window is measured on the fake's clock.
"""

from __future__ import annotations

import math
import threading
from collections import deque

from .clock import Clock

#: Keys kept at most; the least recently seen are dropped first (a long serve stays bounded).
MAX_KEYS = 10_000


class RateLimiter:
    """Counts requests per key over a sliding window."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, window_s: float) -> int:
        """Count one request; 0 when allowed, else the whole seconds to wait (retry-after)."""
        now = self.clock.now()
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            self._hits[key] = hits  # re-insert: dict order doubles as recency
            while hits and hits[0] <= now - window_s:
                hits.popleft()
            if len(hits) >= limit:
                return max(1, math.ceil(hits[0] + window_s - now))
            hits.append(now)
            if len(self._hits) > MAX_KEYS:
                del self._hits[next(iter(self._hits))]
            return 0
