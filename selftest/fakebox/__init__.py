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

from .app import FakeBoxApp, make_app
from .jwtapp import JwtApp, create_jwt_app
from .server import RunningBox, running
from .state import Config, State

__all__ = ["Config", "FakeBoxApp", "JwtApp", "RunningBox", "State", "create_jwt_app",
           "make_app", "running"]
