"""Box authentication in one place: the app config file, JWT assertions and the grant forms.

Everything that signs or posts a Box grant uses this module — the preflight's JWT check
(checks/probes/boxconfig.py), the box-sequence step (steps/oauth.py) and the fake's test apps
(fakebox/jwtapp.py) — so the claim set, the grant-type string and the form fields are written
once. Facts (box-api-facts.md §3, https://developer.box.com/guides/authentication/jwt/):

- the assertion is RS256 with `kid` = the app's publicKeyID; claims `iss` (client id), `sub`
  (enterprise or user id), `box_sub_type`, `aud`, `jti` (unique, 16-128 chars), `exp` at most
  60 s after Box's now (the SDKs use now + 30 s), optionally `iat`;
- `aud` is Box's token URL, `https://api.box.com/oauth2/token`, whatever host the request is
  sent to. A client that posts to another token endpoint (the fake Box) may name that
  endpoint's URL instead; the fake accepts both, real Box only the first;
- the developer console's config file holds an ENCRYPTED PKCS#8 private key and its
  passphrase (`load_private_key` opens both forms).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

BOX_TOKEN_URL = "https://api.box.com/oauth2/token"  # noqa: S105 - a URL, not a password
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
REFRESH_GRANT = "refresh_token"
CLIENT_CREDENTIALS_GRANT = "client_credentials"
#: The SDKs' lifetime for an assertion; Box refuses exp more than 60 s ahead of its clock.
ASSERTION_LIFETIME_S = 30


def load_private_key(pem: str | bytes, passphrase: str | None) -> RSAPrivateKey:
    """The RSA key of a config file. Raises ValueError (wrong passphrase, not RSA, not PEM)."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = load_pem_private_key(data, password=passphrase.encode() if passphrase else None)
    except TypeError as exc:  # a passphrase for a plain key, or none for an encrypted one
        raise ValueError(str(exc)) from None
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("the private key is not an RSA key (Box signs with RS256)")
    return key


def jwt_claims(client_id: str, subject: str, *, subject_type: str = "enterprise",
               audience: str = BOX_TOKEN_URL, now: float | None = None,
               exp_in_s: float = ASSERTION_LIFETIME_S, iat_offset_s: float | None = None,
               jti: str | None = None, **extra: Any) -> dict[str, Any]:
    """The claim set of a Box JWT assertion; `now` is the CLIENT's clock (default: real)."""
    at = time.time() if now is None else now
    claims: dict[str, Any] = {
        "iss": client_id, "sub": subject, "box_sub_type": subject_type, "aud": audience,
        "jti": jti or secrets.token_hex(16), "exp": int(at + exp_in_s), **extra}
    if iat_offset_s is not None:
        claims["iat"] = int(at + iat_offset_s)
    return claims


def sign_assertion(claims: dict[str, Any], key: Any, public_key_id: str) -> str:
    """The claims signed RS256 with `kid` = the app's public key id."""
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": public_key_id})


def jwt_grant_form(assertion: str, client_id: str, client_secret: str) -> dict[str, str]:
    """The token-request form of the JWT bearer grant."""
    return {"grant_type": JWT_GRANT, "assertion": assertion, "client_id": client_id,
            "client_secret": client_secret}


def refresh_grant_form(refresh_token: str, client_id: str, client_secret: str
                       ) -> dict[str, str]:
    """The token-request form of a refresh (single use on Box: it logs other holders out)."""
    return {"grant_type": REFRESH_GRANT, "refresh_token": refresh_token,
            "client_id": client_id, "client_secret": client_secret}
