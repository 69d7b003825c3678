"""The Box app config file (`--box-config`) and the JWT assertion built from it.

The file is the one the Box developer console downloads (docs/facts.md §3):
`{"boxAppSettings": {"clientID", "clientSecret", "appAuth": {"publicKeyID", "privateKey",
"passphrase"}}, "enterpriseID"}`. The assertion follows Box's JWT guide
(https://developer.box.com/guides/authentication/jwt/without-sdk/): RS256 with `kid`, a unique
`jti`, `aud` = the token URL and `exp` = now + 30 s, as the SDKs do. No `iat` is sent: Box
allows no skew on it, and the clock check measures the skew on its own.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from selftest.errors import UsageError

#: The SDKs' lifetime for an assertion; Box refuses exp more than 60 s ahead of its clock.
ASSERTION_LIFETIME_S = 30

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class BoxAppConfig:
    client_id: str
    client_secret: str = field(repr=False)
    public_key_id: str
    private_key: RSAPrivateKey = field(repr=False)
    enterprise_id: str
    source: str = ""


def _field(doc: Any, path: str, source: str) -> str:
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
        key = load_pem_private_key(pem.encode(), password=passphrase.encode() or None)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path}: cannot open the private key (wrong passphrase?): {exc}"
                         ) from None
    if not isinstance(key, RSAPrivateKey):
        raise UsageError(f"{path}: the private key is not an RSA key (Box signs with RS256)")
    return BoxAppConfig(
        client_id=_field(doc, f"{settings}.clientID", path),
        client_secret=_field(doc, f"{settings}.clientSecret", path),
        public_key_id=_field(doc, f"{settings}.appAuth.publicKeyID", path),
        private_key=key,
        enterprise_id=_field(doc, "enterpriseID", path),
        source=path,
    )


def assertion(config: BoxAppConfig, token_url: str, now: float | None = None) -> str:
    """A signed JWT assertion for the enterprise, valid for ASSERTION_LIFETIME_S seconds."""
    issued = time.time() if now is None else now
    claims = {
        "iss": config.client_id,
        "sub": config.enterprise_id,
        "box_sub_type": "enterprise",
        "aud": token_url,
        "jti": secrets.token_urlsafe(32),
        "exp": int(issued) + ASSERTION_LIFETIME_S,
    }
    return jwt.encode(claims, config.private_key, algorithm="RS256",
                      headers={"kid": config.public_key_id})


def grant_form(config: BoxAppConfig, token_url: str) -> dict[str, str]:
    """The form fields of the JWT grant (never a refresh grant: that would log the plugin out)."""
    return {
        "grant_type": JWT_GRANT,
        "assertion": assertion(config, token_url),
        "client_id": config.client_id,
        "client_secret": config.client_secret,
    }
