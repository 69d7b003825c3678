"""What the control API changes while the fake runs: its settings, faults and request log.

Settings are names with units, each read from and written to the one place the fake keeps
it (the clock, the main user's quota, `Config`). Faults follow toxiproxy's model: data
`{method, path, times, action, ...}` matched against every request before routing, counted
down, removed at 0. Actions:

    respond   a Box error: `status` + `code` (+ `message`, + `retry_after_s` as retry-after);
              on /oauth2/... the OAuth shape {"error", "error_description"}; with
              `after_handler` the request is handled first (the write lands), then refused
    reset     the connection is reset (TCP RST) instead of any answer
    stall     nothing is sent for `stall_ms`, then the connection is closed

The request log keeps the newest `MAX_REQUESTS` requests (method, path, status, duration).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import itertools
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

MAX_REQUESTS = 1000
MAX_FAULTS = 100
MAX_STALL_MS = 10 * 60 * 1000
ACTIONS = frozenset({"respond", "reset", "stall"})

#: Settings the control API reads and writes: name -> (where, type). "config" is state.config,
#: "user" the main user, "clock" the fake's clock offset.
SETTINGS: dict[str, tuple[str, type]] = {
    "clock_offset_s": ("clock", float),
    "space_amount": ("user", int), "space_used": ("user", int),
    "max_upload_size": ("user", int),
    # The main user's account state: each flag makes every API call fail with its Box code.
    "password_reset_required": ("user", bool), "terms_of_service_required": ("user", bool),
    "email_confirmation_required": ("user", bool), "location_blocked": ("user", bool),
    "requests_per_window": ("config", int), "uploads_per_window": ("config", int),
    "token_requests_per_window": ("config", int), "rate_window_s": ("config", float),
    "latency_ms": ("config", int), "commit_processing_s": ("config", float),
    "max_sessions": ("config", int), "session_ttl_s": ("config", float),
    "session_idle_evict_s": ("config", float), "part_size": ("config", int),
    "min_session_file_size": ("config", int), "keep_content_bytes": ("config", int),
    "retain_content": ("config", bool), "spool_max_bytes": ("config", int),
    "max_direct_upload_bytes": ("config", int), "folder_op_s": ("config", float),
    "create_processing_ms": ("config", int),
}
#: Read-only figures shown with the settings.
READ_ONLY = ("spool_used_bytes", "upload_sessions", "items")


class SettingError(ValueError):
    """Raised for an unknown setting or a value of the wrong type or sign."""


def read_settings(state: Any) -> dict[str, Any]:
    """Every setting and the read-only figures, now."""
    user = state.main_user
    doc: dict[str, Any] = {}
    for name, (where, _) in SETTINGS.items():
        if where == "clock":
            doc[name] = state.clock.offset_s
        else:
            doc[name] = getattr(user if where == "user" else state.config, name)
    doc.update(spool_used_bytes=state.content.used_bytes, upload_sessions=len(state.sessions),
               items=len(state.items))
    return doc


def _coerce(name: str, kind: type, value: Any) -> Any:
    if kind is bool:
        if not isinstance(value, bool):
            raise SettingError(f"{name} must be true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingError(f"{name} must be a number")
    if kind is int and value != int(value):
        raise SettingError(f"{name} must be a whole number")
    if value < 0 and name != "clock_offset_s":
        raise SettingError(f"{name} must be 0 or more")
    return kind(value)


def apply_settings(state: Any, changes: dict[str, Any]) -> dict[str, Any]:
    """Check every change first, then apply them all; the settings after."""
    unknown = sorted(set(changes) - set(SETTINGS))
    if unknown:
        raise SettingError(f"unknown setting(s) {unknown}; known: {sorted(SETTINGS)}")
    checked = {name: _coerce(name, SETTINGS[name][1], value) for name, value in changes.items()}
    with state.lock:
        for name, value in checked.items():
            where = SETTINGS[name][0]
            if where == "clock":
                state.clock.set_offset(value)
            else:
                setattr(state.main_user if where == "user" else state.config, name, value)
    return read_settings(state)


@dataclass
class Fault:
    """One fault for the next `times` requests matching `method` and the `path` glob."""

    id: str
    action: str = "respond"
    method: str = "*"
    path: str = "*"
    times: int = 1
    status: int = 503
    code: str = "unavailable"
    message: str | None = None
    retry_after_s: int | None = None
    stall_ms: int = 30_000
    #: respond only: handle the request first, so the write lands and the client still sees
    #: the error (Box: "a write may still land after a 503").
    after_handler: bool = False
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method.upper())) and fnmatch.fnmatchcase(path, self.path)

    def view(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_FAULT_FIELDS = {f.name for f in dataclasses.fields(Fault)} - {"id", "hits"}


class FaultTable:
    """The faults set through the control API, matched in order; thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def add(self, spec: dict[str, Any]) -> Fault:
        """A new fault from its JSON form. Raises SettingError when the spec is wrong."""
        unknown = sorted(set(spec) - _FAULT_FIELDS)
        if unknown:
            raise SettingError(f"unknown fault field(s) {unknown}; known: {sorted(_FAULT_FIELDS)}")
        fault = Fault(id="")
        for name, value in spec.items():
            setattr(fault, name, value)
        _check_fault(fault)
        with self._lock:
            if len(self._faults) >= MAX_FAULTS:
                raise SettingError(f"at most {MAX_FAULTS} faults at once; delete some")
            fault.id = str(next(self._ids))
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching this request, counted down (removed at 0)."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    fault.hits += 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return dataclasses.replace(fault)
        return None

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.view() for f in self._faults]

    def remove(self, fault_id: str | None = None) -> int:
        """Delete one fault (or all with None); how many went."""
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if fault_id is not None and f.id != fault_id]
            return before - len(self._faults)


def _check_fault(fault: Fault) -> None:
    if fault.action not in ACTIONS:
        raise SettingError(f"action must be one of {sorted(ACTIONS)}")
    for name in ("method", "path", "code"):
        if not isinstance(getattr(fault, name), str) or not getattr(fault, name):
            raise SettingError(f"{name} must be a non-empty string")
    if fault.message is not None and not isinstance(fault.message, str):
        raise SettingError("message must be a string")
    for name, low, high in (("times", 1, 10**6), ("status", 100, 599),
                            ("stall_ms", 0, MAX_STALL_MS)):
        value = getattr(fault, name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise SettingError(f"{name} must be a whole number from {low} to {high}")
    if not isinstance(fault.after_handler, bool):
        raise SettingError("after_handler must be true or false")
    retry = fault.retry_after_s
    if retry is not None and (isinstance(retry, bool) or not isinstance(retry, int) or retry < 0):
        raise SettingError("retry_after_s must be a whole number of 0 or more")


class RequestLog:
    """The newest MAX_REQUESTS requests the fake answered."""

    def __init__(self) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=MAX_REQUESTS)
        self._lock = threading.Lock()

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def newest(self, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)[-limit:] if limit else []

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
