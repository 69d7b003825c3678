"""The Box app config file (`--box-config`) and the JWT assertion built from it.

The file is the one the Box developer console downloads (docs/facts.md §3):
`{"boxAppSettings": {"clientID", "clientSecret", "appAuth": {"publicKeyID", "privateKey",
"passphrase"}}, "enterpriseID"}`. The assertion follows Box's JWT guide
(https://developer.box.com/guides/authentication/jwt/without-sdk/): RS256 with `kid`, a unique
`jti`, `aud` = the token URL and `exp` = now + 30 s, as the SDKs do. No `iat` is sent: Box
allows no skew on it, and the clock check measures the skew on its own. The claims, the signing
and the grant form come from selftest/boxauth.py, the one home of Box's auth facts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from selftest.boxauth import (
    ASSERTION_LIFETIME_S,
    JWT_GRANT,
    jwt_claims,
    jwt_grant_form,
    load_private_key,
    sign_assertion,
)
from selftest.errors import UsageError

__all__ = ["ASSERTION_LIFETIME_S", "JWT_GRANT", "BoxAppConfig", "assertion", "grant_form",
           "load_box_config"]


@dataclass(frozen=True)
class BoxAppConfig:
    """What a preflight needs of the console's config file; the secret and the key are never
    shown in a repr."""

    client_id: str
    client_secret: str = field(repr=False)
    public_key_id: str
    private_key: RSAPrivateKey = field(repr=False)
    enterprise_id: str
    source: str = ""


def _field(doc: Any, path: str, source: str) -> str:
    """The value (a non-empty string or number) at the dotted `path` of the config, as text.
    Raises UsageError when it is missing or empty."""
    value = doc
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, str | int) or value == "":
        raise UsageError(f"{source}: Box app config lacks {path}")
    return str(value)


def load_box_config(path: str) -> BoxAppConfig:
    """Read and check a Box app config. Raises UsageError when it is missing or unusable."""
    try:
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)
    except OSError as exc:
        raise UsageError(f"cannot read Box app config {path!r}: {exc.strerror}") from None
    except ValueError as exc:
        raise UsageError(f"Box app config {path!r} is not JSON: {exc}") from None
    settings = "boxAppSettings"
    pem = _field(doc, f"{settings}.appAuth.privateKey", path)
    passphrase = (doc.get(settings, {}).get("appAuth", {}).get("passphrase") or "")
    try:
        key = load_private_key(pem, passphrase or None)
    except ValueError as exc:
        raise UsageError(f"{path}: cannot open the private key (wrong passphrase?): {exc}"
                         ) from None
    return BoxAppConfig(
        client_id=_field(doc, f"{settings}.clientID", path),
        client_secret=_field(doc, f"{settings}.clientSecret", path),
        public_key_id=_field(doc, f"{settings}.appAuth.publicKeyID", path),
        private_key=key,
        enterprise_id=_field(doc, "enterpriseID", path),
        source=path,
    )


def assertion(config: BoxAppConfig, token_url: str, now: float | None = None) -> str:
    """A signed JWT assertion for the enterprise, valid for ASSERTION_LIFETIME_S seconds.

    `aud` is the token URL the form is posted to: api.box.com's for Box, the fake's own for a
    fake (which accepts both, boxauth.py says why).
    """
    claims = jwt_claims(config.client_id, config.enterprise_id, audience=token_url, now=now)
    return sign_assertion(claims, config.private_key, config.public_key_id)


def grant_form(config: BoxAppConfig, token_url: str) -> dict[str, str]:
    """The form fields of the JWT grant (never a refresh grant: that would log the plugin out)."""
    return jwt_grant_form(assertion(config, token_url), config.client_id, config.client_secret)
