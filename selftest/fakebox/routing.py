"""The route table: which handler answers which method and path, and what it needs.

Paths are written as in Box's OpenAPI spec ("/folders/{folder_id}") so the contract test can
find each response's schema; they are served under both the API base ("/2.0") and the upload
base ("/api/2.0"), as a client pointed at either host expects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from werkzeug.routing import Map, Rule

from .http import Handler

Scope = Literal["read", "write", "users", "none"]
PREFIXES = ("/2.0", "/api/2.0")


@dataclass(frozen=True)
class Route:
    """One method on one path. `scope`: what the token must allow; `upload`: counts as upload."""

    method: str
    path: str
    handler: Handler
    scope: Scope = "read"
    upload: bool = False
    #: False for the token endpoint, which authenticates the client itself.
    bearer: bool = True
    prefixed: bool = True


def _werkzeug_path(path: str) -> str:
    return re.sub(r"\{(\w+)\}", r"<\1>", path)


def build_map(routes: list[Route]) -> tuple[Map, dict[str, Route]]:
    """A werkzeug Map (405 with the right Allow list for free) and endpoint -> Route."""
    rules, table = [], {}
    for route in routes:
        endpoint = f"{route.method} {route.path}"
        table[endpoint] = route
        prefixes = PREFIXES if route.prefixed else ("",)
        for prefix in prefixes:
            rules.append(Rule(prefix + _werkzeug_path(route.path), endpoint=endpoint,
                              methods=[route.method]))
    return Map(rules, strict_slashes=False, merge_slashes=False), table
