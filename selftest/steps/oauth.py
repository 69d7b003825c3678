"""JWT assertions for the token endpoint, signed as Box's SDKs sign them, with a claim made wrong.

Used by the `box-sequence` step: a request with a `jwt = {...}` table posts the JWT bearer grant
built here from the app config file Box's developer console hands out (`{box_config}`). Claims
are computed on THIS machine's clock, as a customer's web host computes them; the fake's clock
offset (`clock_offset_s`) is what makes them wrong by Box's clock, which is the real failure
(docs/facts.md §1: exp at most 60 s ahead, no leeway on iat).

    exp_in_s       exp = now + this (SDKs use 30)
    iat_offset_s   iat = now + this
    sub            the subject (default: the config's enterpriseID); `sub_type` enterprise|user
    jti            a fixed JWT id (default: a fresh random one)
    reuse          true: send the previous request's assertion again (a retry that reuses jti)
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt

from selftest.errors import ScenarioError

BOX_AUDIENCE = "https://api.box.com/oauth2/token"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_JWT_KEYS = {"exp_in_s", "iat_offset_s", "sub", "sub_type", "jti", "reuse"}


def read_config(path: str) -> dict[str, Any]:
    """The app config file. Raises ScenarioError when it cannot be read."""
    try:
        doc: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        if not doc["boxAppSettings"]["appAuth"]["privateKey"]:
            raise ValueError("no privateKey")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScenarioError(f"box_config {path!r} is not a Box app config file: {exc}") from None
    return doc


def assertion(config: Mapping[str, Any], spec: Mapping[str, Any]) -> str:
    """A signed assertion; `spec` says which claim to get wrong (see the module docstring)."""
    unknown = set(spec) - _JWT_KEYS
    if unknown:
        raise ScenarioError(f"jwt table has unknown key(s) {sorted(unknown)}; "
                            f"allowed: {sorted(_JWT_KEYS)}")
    settings = config["boxAppSettings"]
    now = time.time()
    claims = {
        "iss": settings["clientID"], "sub": str(spec.get("sub", config.get("enterpriseID"))),
        "box_sub_type": spec.get("sub_type", "enterprise"), "aud": BOX_AUDIENCE,
        "jti": spec.get("jti") or secrets.token_hex(16),
        "exp": int(now + float(spec.get("exp_in_s", 30))),
        "iat": int(now + float(spec.get("iat_offset_s", 0))),
    }
    auth = settings["appAuth"]
    return jwt.encode(claims, auth["privateKey"], algorithm="RS256",
                      headers={"kid": auth["publicKeyID"]})


def grant_form(config: Mapping[str, Any], signed: str) -> dict[str, str]:
    """The token-request form of the JWT bearer grant."""
    settings = config["boxAppSettings"]
    return {"grant_type": JWT_GRANT, "assertion": signed, "client_id": settings["clientID"],
            "client_secret": settings["clientSecret"]}
