"""The control API: read and change a running fake from outside Python (toxiproxy's REST API
is the model). Plain HTTP on its own loopback port; JSON in and out.

    GET    /                    what is here
    GET    /settings            every setting (runtime.SETTINGS) and a few read-only figures
    POST   /settings            {"name": value, ...}: change some; all are checked first
    GET    /faults              the faults waiting
    POST   /faults              {action, method, path, times, status, code, message,
                                 retry_after_s, stall_ms, after_handler}: a fault for the
                                 next N matching requests (201, with its id)
    DELETE /faults[/{id}]       remove one fault, or all
    GET    /requests?limit=N    the newest N requests the fake answered (default 100)
    POST   /reset               the world at start: settings, no files/folders/sessions/faults

Errors are `{"error": "..."}` with 400 (bad JSON, unknown setting, wrong type) or 404.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from .runtime import SETTINGS, SettingError, apply_settings, read_settings
from .state import State

MAX_BODY_BYTES = 64 * 1024
INDEX = {
    "settings": "GET, POST /settings", "faults": "GET, POST, DELETE /faults; DELETE /faults/ID",
    "requests": "GET /requests?limit=N", "reset": "POST /reset",
    "setting_names": sorted(SETTINGS),
}


def _json(doc: Any, status: int = 200) -> Response:
    return Response(json.dumps(doc, indent=1), status=status, content_type="application/json")


def _error(message: str, status: int = 400) -> Response:
    return _json({"error": message}, status)


class ControlApp:
    """The control API over one fake's `State` (a WSGI callable)."""

    def __init__(self, state: State) -> None:
        self.state = state

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self._answer(request)
        except SettingError as exc:
            response = _error(str(exc))
        except Exception as exc:  # a bug here must not kill the control port
            self.state.record_error(request.method, "control:" + request.path, exc)
            response = _error(f"internal error: {type(exc).__name__}", 500)
        return response(environ, start_response)

    def _body(self, request: Request) -> dict[str, Any]:
        raw = request.stream.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            raise SettingError("the request body is too large")
        try:
            doc = json.loads(raw or b"{}")
        except (ValueError, RecursionError):
            raise SettingError("the request body is not JSON") from None
        if not isinstance(doc, dict):
            raise SettingError("the request body must be a JSON object")
        return doc

    def _answer(self, request: Request) -> Response:
        method, path = request.method, request.path.rstrip("/") or "/"
        state = self.state
        if path == "/" and method == "GET":
            return _json(INDEX)
        if path == "/settings":
            if method == "GET":
                return _json(read_settings(state))
            if method in ("POST", "PATCH", "PUT"):
                return _json(apply_settings(state, self._body(request)))
        if path == "/faults":
            if method == "GET":
                return _json(state.faults.list())
            if method == "POST":
                return _json(state.faults.add(self._body(request)).view(), 201)
            if method == "DELETE":
                return _json({"removed": state.faults.remove(None)})
        if path.startswith("/faults/") and method == "DELETE":
            removed = state.faults.remove(path.removeprefix("/faults/"))
            return _json({"removed": removed}) if removed else _error("no such fault", 404)
        if path == "/requests" and method == "GET":
            raw = request.args.get("limit", "100")
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
                raise SettingError("limit must be a whole number")
            return _json(state.requests.newest(int(raw)))
        if path == "/reset" and method == "POST":
            state.reset()
            return _json(read_settings(state))
        return _error(f"no {method} {path} here; GET / lists what there is", 404)
