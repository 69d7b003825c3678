"""What a client sent, as the server that received it recorded it: for a scenario's [expect.sent].

A fault server that sees the request keeps a `Recorder` as its `sent` attribute: the fake Box
(every request), and every socket fault server that reads a request head
(`SocketServer.receive_head`: raw-reply, close-without-reply, stall, reset-after-bytes,
oversize-headers, the TLS servers, the stalled gateway). The runner notes where the record
stood when a scenario started and compares what was added while it ran with the scenario's
[expect.sent] — method, path, headers — so a scenario pins what the client sent as well as
what came back (curl's test files verify the request in `<verify><protocol>`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: Requests a recorder keeps (the newest): a run sends a few per scenario, a loop must not grow.
MAX_KEPT = 200


@dataclass(frozen=True)
class SentRequest:
    """One request as received: its method, request target (path and query) and headers."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_head(cls, head: bytes) -> SentRequest | None:
        """The request a raw HTTP/1.x head holds, None when it is not one."""
        lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            return None
        headers = tuple((name.strip(), value.strip()) for name, sep, value in
                        (line.partition(":") for line in lines[1:]) if sep)
        return cls(parts[0], parts[1], headers)

    @property
    def path(self) -> str:
        """The target without its query."""
        return self.target.split("?", 1)[0]

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), None when it was not sent."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def summary(self) -> str:
        """"GET /path (Accept, Authorization)": the request line and the header names."""
        names = ", ".join(name for name, _ in self.headers)
        return f"{self.method} {self.target}" + (f" ({names})" if names else "")


class Recorder:
    """The requests a server received, in order, at most MAX_KEPT; safe across threads."""

    def __init__(self) -> None:
        """An empty record."""
        self._lock = threading.Lock()
        self._kept: list[SentRequest] = []
        self._total = 0

    def add(self, request: SentRequest | None) -> None:
        """Record `request` (None: the server could not read one; nothing is recorded)."""
        if request is None:
            return
        with self._lock:
            self._kept = [*self._kept[-(MAX_KEPT - 1):], request]
            self._total += 1

    def mark(self) -> int:
        """Where the record stands now; `since(mark)` gives what comes after."""
        with self._lock:
            return self._total

    def since(self, mark: int) -> list[SentRequest]:
        """The requests recorded after `mark` (those still kept)."""
        with self._lock:
            return self._kept[max(0, len(self._kept) - (self._total - mark)):]


@dataclass(frozen=True)
class Watch:
    """Where a server's record stood when a scenario started: what came after is its own."""

    recorder: Recorder | None
    mark: int = 0

    @classmethod
    def of(cls, server: object) -> Watch:
        """Watch `server`'s `sent` record (a server without one records nothing)."""
        recorder = getattr(server, "sent", None)
        if not isinstance(recorder, Recorder):
            return cls(None)
        return cls(recorder, recorder.mark())

    def problems(self, expect: SentExpect | None) -> list[str]:
        """Why the requests recorded since the start do not meet `expect` ([] when they do)."""
        if expect is None:
            return []
        return expect.problems(self.recorder.since(self.mark) if self.recorder else None)


@dataclass(frozen=True)
class SentExpect:
    """[expect.sent]: some request of the scenario must match every field given.

    `headers` values match exactly, or as a prefix when they end in "*" ("Bearer *").
    """

    method: str | None = None
    #: The path, compared without the query unless it holds a "?".
    path: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def matches(self, request: SentRequest) -> bool:
        """Whether `request` is what this expects."""
        if self.method is not None and request.method.upper() != self.method.upper():
            return False
        if self.path is not None and self.path != (
                request.target if "?" in self.path else request.path):
            return False
        return all(_value_matches(request.header(name), wanted)
                   for name, wanted in self.headers.items())

    def problems(self, recorded: Iterable[SentRequest] | None) -> list[str]:
        """Why what was recorded does not satisfy this ([] when it does)."""
        if recorded is None:
            return ["[expect.sent]: this fault server records nothing the client sent "
                    "(the fake Box and the faults that read a request head do)"]
        seen = list(recorded)
        if any(self.matches(request) for request in seen):
            return []
        sent = "; ".join(r.summary() for r in seen[-3:]) or "nothing"
        return [f"no request matched [expect.sent] {self.describe()}; the server got: {sent}"]

    def describe(self) -> str:
        """The expectation as a short text."""
        parts = [p for p in (self.method, self.path) if p]
        parts += [f"{name}: {value}" for name, value in self.headers.items()]
        return "(" + ", ".join(parts) + ")"


def _value_matches(seen: str | None, wanted: str) -> bool:
    """A header value against an expected one (a trailing * is a prefix match)."""
    if seen is None:
        return False
    return seen.startswith(wanted[:-1]) if wanted.endswith("*") else seen == wanted
