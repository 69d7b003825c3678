"""JWT apps for tests: register a key pair with the fake, then mint assertions as an SDK would.

`create_jwt_app(state)` returns what a developer downloads from the Box console (client id and
secret, public key id, private key, enterprise id) and `JwtApp.assertion()` signs claims the way
Box's SDKs do (RS256, exp = now + 30 s, a fresh jti) — with knobs to get each claim wrong.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .jwtgrant import BOX_AUDIENCE
from .state import State
from .tokens import App


@dataclass(frozen=True)
class JwtApp:
    """A registered JWT app and its private key (PEM, unencrypted)."""

    client_id: str
    client_secret: str
    public_key_id: str
    private_key_pem: bytes
    enterprise_id: str

    def config(self) -> dict[str, Any]:
        """The app config file Box's developer console hands out."""
        return {"boxAppSettings": {
            "clientID": self.client_id, "clientSecret": self.client_secret,
            "appAuth": {"publicKeyID": self.public_key_id,
                        "privateKey": self.private_key_pem.decode(), "passphrase": ""}},
            "enterpriseID": self.enterprise_id}

    def assertion(self, *, now: float | None = None, exp_in_s: float = 30,
                  iat_offset_s: float | None = 0, sub: str | None = None,
                  sub_type: str = "enterprise", jti: str | None = None,
                  aud: str = BOX_AUDIENCE, **extra: Any) -> str:
        """A signed assertion. `now` is the CLIENT's clock (default: real time)."""
        at = time.time() if now is None else now
        claims: dict[str, Any] = {
            "iss": self.client_id, "sub": sub or self.enterprise_id, "box_sub_type": sub_type,
            "aud": aud, "jti": jti or secrets.token_hex(16), "exp": int(at + exp_in_s), **extra}
        if iat_offset_s is not None:
            claims["iat"] = int(at + iat_offset_s)
        return jwt.encode(claims, self.private_key_pem, algorithm="RS256",
                          headers={"kid": self.public_key_id})

    def form(self, assertion: str) -> dict[str, str]:
        """The token-request form for the JWT bearer grant."""
        return {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": assertion, "client_id": self.client_id,
                "client_secret": self.client_secret}


def create_jwt_app(state: State, *, approved: bool = True) -> JwtApp:
    """Register a new app with a fresh RSA key pair; its service account is a new user."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    client_id, kid = secrets.token_hex(16), secrets.token_hex(4)
    service = state.add_user(f"AutomationUser_{client_id[:6]}@boxdevedition.com",
                             "Service Account")
    app = App(client_id, secrets.token_hex(16), service.enterprise_id, service.id,
              approved=approved, public_keys={kid: public_pem})
    with state.lock:
        state.tokens.apps[client_id] = app
    return JwtApp(client_id, app.client_secret, kid, private_pem, app.enterprise_id)
