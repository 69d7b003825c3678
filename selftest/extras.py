"""The optional part of the install: `selftest[servers]`, for `reproduce` and `serve`.

A plain `pip install selftest` carries what `preflight`, `explain` and `catalog` use (pycurl,
certifi, cryptography, PyJWT, dnspython). The fault servers and the fake Box API need more
(pyproject.toml's `servers` extra); a command that needs them checks first and says, in one
line, which extra to install, instead of a traceback from deep inside a fault server.
"""

from __future__ import annotations

import importlib.util

from selftest.errors import MissingExtraError

#: Import names of the `servers` extra's packages (pyproject.toml keeps the same list).
SERVERS = ("trustme", "werkzeug", "dnslib", "proxy", "h2", "aioquic")


def require_servers(what: str) -> None:
    """Raise MissingExtraError when a package of the `servers` extra cannot be imported."""
    missing = []
    for name in SERVERS:
        # find_spec looks the package up without running it (importing all six would cost
        # ~0.35 s of a run that may need none of them); a module set to None counts as absent.
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    if missing:
        raise MissingExtraError(
            f"{what} needs the fault servers, which this install lacks (no module "
            f"{', '.join(map(repr, missing))}): pip install 'selftest[servers]'")
