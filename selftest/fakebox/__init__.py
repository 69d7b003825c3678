"""A stateful fake of the Box API, for tests and for `selftest serve fakebox`.

    from selftest import fakebox

    with fakebox.running(tls=True, space_amount=10**9) as box:
        ...  # point a client at box.url / box.upload_url / box.token_url, trust box.ca
        box.state.main_user.space_used = 10**9   # steer the world
        box.state.clock.advance(7 * 86400)       # age tokens and upload sessions

Modules, one concept each: clock, errors, model, state, tokens, ratelimit, names, tree, views,
http, routing, auth, reserve, and one per API area (users, folders, files, trash, uploads,
sessions, collaborations, social, sharing, previews, oauth + jwtgrant), then app (the WSGI
pipeline), server (`running()`), serve (the CLI backend) and jwtapp (test JWT apps).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import FakeBoxApp, make_app
    from .jwtapp import JwtApp, create_jwt_app
    from .server import RunningBox, running
    from .state import Config, State

#: Where each public name lives. They are imported on first use, so that importing
#: `selftest.fakebox.serve` for the CLI's options does not load werkzeug, jwt and cryptography.
_HOMES = {"FakeBoxApp": "app", "make_app": "app", "JwtApp": "jwtapp", "create_jwt_app": "jwtapp",
          "RunningBox": "server", "running": "server", "Config": "state", "State": "state"}

__all__ = ["Config", "FakeBoxApp", "JwtApp", "RunningBox", "State", "create_jwt_app",
           "make_app", "running"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
