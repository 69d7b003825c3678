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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from selftest.boxauth import (
    ASSERTION_LIFETIME_S,
    jwt_claims,
    jwt_grant_form,
    load_private_key,
    sign_assertion,
)
from selftest.errors import ScenarioError


@dataclass(frozen=True)
class JwtSpec:
    """A `jwt = {...}` table of a box-sequence request: which claim to get wrong."""

    #: exp = now + this, in seconds (SDKs use 30).
    exp_in_s: float = ASSERTION_LIFETIME_S
    #: iat = now + this, in seconds.
    iat_offset_s: float = 0.0
    #: The subject; default: the config's enterpriseID.
    sub: str | None = None
    sub_type: Literal["enterprise", "user"] = "enterprise"
    #: A fixed JWT id; default: a fresh random one.
    jti: str | None = None
    #: Send the previous request's assertion again (a retry that reuses jti).
    reuse: bool = False


def read_config(path: str) -> dict[str, Any]:
    """The app config file. Raises ScenarioError when it cannot be read."""
    try:
        doc: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        if not doc["boxAppSettings"]["appAuth"]["privateKey"]:
            raise ValueError("no privateKey")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScenarioError(f"box_config {path!r} is not a Box app config file: {exc}") from None
    return doc


def assertion(config: Mapping[str, Any], spec: JwtSpec) -> str:
    """A signed assertion; `spec` says which claim to get wrong (see the module docstring)."""
    settings = config["boxAppSettings"]
    auth = settings["appAuth"]
    try:  # the console's file holds an encrypted key and its passphrase
        key = load_private_key(auth["privateKey"], auth.get("passphrase") or None)
    except ValueError as exc:
        raise ScenarioError(f"box_config: cannot open the private key: {exc}") from None
    subject = spec.sub if spec.sub is not None else str(config.get("enterpriseID"))
    claims = jwt_claims(settings["clientID"], subject, subject_type=spec.sub_type,
                        exp_in_s=spec.exp_in_s, iat_offset_s=spec.iat_offset_s, jti=spec.jti)
    return sign_assertion(claims, key, auth["publicKeyID"])


def grant_form(config: Mapping[str, Any], signed: str) -> dict[str, str]:
    """The token-request form of the JWT bearer grant."""
    settings = config["boxAppSettings"]
    return jwt_grant_form(signed, settings["clientID"], settings["clientSecret"])
