"""The WSGI application: routing, authentication, limits, error rendering, common headers.

Every request goes through one path::

    latency -> route (404 not_found / 405 method_not_allowed + Allow)
            -> token endpoint, or: bearer token (401) -> account state -> scope (403)
            -> rate limit (429 + retry-after) -> injected fault -> handler

`retry-after` is spelled in lower case on every response that carries it (429, 202, 503 and
injected faults alike), as Box sends it (http.RETRY_AFTER).

and every response leaves with `Date` (from the fake's clock), `BOX-REQUEST-ID` (not the body's
request_id, as on Box) and `Strict-Transport-Security`. An exception nothing expected becomes a
Box 500 internal_server_error and a short record in `state.errors` (the newest 50, without the
request body), so a test can assert there were none.
"""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from . import (
    collaborations,
    downloads,
    files,
    folders,
    oauth,
    previews,
    sessions,
    sharing,
    social,
    trash,
    uploads,
    users,
)
from .auth import authenticate
from .clock import iso
from .errors import HELP_URL, BoxApiError, OAuthFailure, Unauthorized
from .http import RETRY_AFTER, Ctx, empty, json_response
from .record import RecordedResponse, ResponseHook, process_hooks
from .routing import Route, build_map
from .runtime import Fault
from .state import State, random_request_id

ROUTES: list[Route] = [
    *users.ROUTES, *folders.ROUTES, *files.ROUTES, *downloads.ROUTES, *trash.ROUTES,
    *uploads.ROUTES, *sessions.ROUTES, *collaborations.ROUTES, *social.ROUTES,
    *sharing.ROUTES, *previews.ROUTES,
    Route("POST", "/oauth2/token", oauth.token_endpoint, scope="none", bearer=False,
          prefixed=False),
    Route("POST", "/oauth2/revoke", oauth.revoke_endpoint, scope="none", bearer=False,
          prefixed=False),
]
HSTS = "max-age=31536000"
#: environ key: the request handler must reset ("reset") or close ("close") the connection.
ABORT = "selftest.fakebox.abort"


def render_box_error(error: BoxApiError) -> Response:
    """A ClientError body exactly as Box shapes it."""
    return json_response({
        "type": "error", "status": error.status, "code": error.code,
        "context_info": error.context_info, "help_url": HELP_URL, "message": error.message,
        "request_id": random_request_id()}, error.status, error.headers)


def render_unauthorized() -> Response:
    """401 with no body: only the Bearer challenge, as real Box answers an expired token."""
    response = Response(b"", status=401, headers={"WWW-Authenticate": Unauthorized.CHALLENGE})
    del response.headers["Content-Type"]
    return response


def _from_werkzeug(exc: HTTPException) -> BoxApiError:
    """Werkzeug's own refusals (a body over max_content_length, a broken form) in Box's words."""
    if exc.code == 413:
        return BoxApiError("request_entity_too_large")
    return BoxApiError("bad_request", exc.description or "Bad request")


@functools.cache
def _shared_map() -> tuple[Map, dict[str, Route]]:
    """The routes never change: one werkzeug Map (~0.1 s of CPU to compile) for every fake of
    the process (a reproduce run starts 15), shared as werkzeug shares it between threads."""
    return build_map(ROUTES)


#: (method, request target, headers) of a request as it arrives.
RequestHook = Callable[[str, str, list[tuple[str, str]]], None]


class FakeBoxApp:
    """The fake Box API as a WSGI callable over a `State`."""

    def __init__(self, state: State, on_response: ResponseHook | None = None,
                 on_request: RequestHook | None = None) -> None:
        self.state = state
        self.on_response = on_response
        #: Called with (method, target, headers) of every request as it arrives.
        self.on_request = on_request
        self.url_map, self.routes = _shared_map()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started = time.monotonic()
        request = Request(environ)
        if self.on_request is not None:
            query = request.query_string.decode("latin-1")
            self.on_request(request.method, request.path + (f"?{query}" if query else ""),
                            list(request.headers.items()))
        route: Route | None = None
        fault: Fault | None = None
        try:
            if self.state.config.latency_ms > 0:
                time.sleep(self.state.config.latency_ms / 1000)
            fault = self.state.faults.take(request.method, request.path)
            if fault is not None:
                if fault.after_handler and fault.action == "respond":
                    self._dispatch(request)  # the write lands; the client sees the fault
                response = self._fault(fault, request)
            else:
                route = self._route(request)
                response = self._dispatch(request)
        except Exception as exc:  # the catch-all: never a traceback to the client
            self.state.record_error(request.method, request.path, exc)
            response = render_box_error(BoxApiError("internal_server_error"))
        finally:
            request.close()  # uploaded parts spool to temporary files: release them now
        response.headers["Date"] = self.state.clock.http_date()
        response.headers["BOX-REQUEST-ID"] = "0" + secrets.token_hex(12)
        response.headers["Strict-Transport-Security"] = HSTS
        self.state.requests.add({
            "time": iso(self.state.clock.now()), "method": request.method,
            "host": request.host, "path": request.path,
            "query": request.query_string.decode("latin-1")[:200],
            "status": response.status_code, "fault": fault.id if fault else None,
            "duration_ms": round((time.monotonic() - started) * 1000, 1)})
        self._notify(request, route, response)
        return response(environ, start_response)

    def _fault(self, fault: Fault, request: Request) -> Response:
        """A fault from the control API: a Box (or OAuth) error, a reset, or a stall."""
        if fault.action == "respond":
            headers = {RETRY_AFTER: str(fault.retry_after_s)} \
                if fault.retry_after_s is not None else None
            if request.path.startswith("/oauth2/"):
                return oauth.oauth_response({"error": fault.code, "error_description":
                                             fault.message or fault.code}, fault.status, headers)
            return render_box_error(BoxApiError(fault.code, fault.message, status=fault.status,
                                                headers=headers))
        if fault.action == "stall":
            self.state.stopping.wait(fault.stall_ms / 1000)
        # The server's request handler acts on this (server.py): RST, or close without answer.
        request.environ[ABORT] = "reset" if fault.action == "reset" else "close"
        return empty(200)

    def _notify(self, request: Request, route: Route | None, response: Response) -> None:
        """Hand the response to the on_response hooks (none: nothing is parsed)."""
        hooks = ([self.on_response] if self.on_response else []) + process_hooks()
        if not hooks:
            return
        streamed = response.direct_passthrough or response.is_streamed
        recorded = RecordedResponse.of(
            request.method, route.path if route else None, response.status_code,
            response.content_type or "", b"" if streamed else response.get_data())
        for hook in hooks:
            hook(recorded)

    def _route(self, request: Request) -> Route | None:
        """The route a request names, None when none (for the response record only)."""
        try:
            endpoint, _ = self.url_map.bind_to_environ(request.environ).match()
        except HTTPException:
            return None
        return self.routes[str(endpoint)]

    def _dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except NotFound:
            return render_box_error(BoxApiError("not_found"))
        except MethodNotAllowed as exc:
            allow = ", ".join(sorted(exc.valid_methods or []))
            return render_box_error(BoxApiError("method_not_allowed", headers={"Allow": allow}))
        return self._answer(self.routes[str(endpoint)], request, args)

    def _answer(self, route: Route, request: Request, args: Mapping[str, Any]) -> Response:
        try:
            if not route.bearer:
                return route.handler(self.state, request, **args)
            return self._api_call(route, request, args)
        except BoxApiError as exc:
            return render_box_error(exc)
        except Unauthorized:
            return render_unauthorized()
        except OAuthFailure as exc:
            return oauth.oauth_response({"error": exc.error,
                                         "error_description": exc.description},
                                        exc.status, exc.headers)
        except HTTPException as exc:
            return render_box_error(_from_werkzeug(exc))

    def _api_call(self, route: Route, request: Request, args: Mapping[str, Any]) -> Response:
        user, token = authenticate(self.state, request, route.scope)
        self._limit(user.id, route)
        ctx = Ctx(request, self.state, user, token)
        injection = self.state.take_injection(request.path)
        if injection is None:
            return route.handler(ctx, **args)
        if injection.raise_exception:
            raise RuntimeError(f"injected fault on {request.path}")
        if injection.after_handler:
            route.handler(ctx, **args)  # the write lands; the client still sees the failure
        headers = {RETRY_AFTER: str(injection.retry_after_s)} \
            if injection.retry_after_s is not None else None
        raise BoxApiError(injection.code, status=injection.status, headers=headers)

    def _limit(self, user_id: str, route: Route) -> None:
        """Per-user limits (429 rate_limit_exceeded with retry-after)."""
        cfg, limiter = self.state.config, self.state.limiter
        assert limiter is not None
        wait = limiter.hit(f"api:{user_id}", cfg.requests_per_window, cfg.rate_window_s)
        if not wait and route.upload:
            wait = limiter.hit(f"upload:{user_id}", cfg.uploads_per_window, cfg.rate_window_s)
        if wait:
            raise BoxApiError("rate_limit_exceeded", headers={RETRY_AFTER: str(wait)})


def make_app(state: State | None = None) -> FakeBoxApp:
    """A fake Box app over `state` (a fresh world when None)."""
    return FakeBoxApp(state or State.create())
