"""JWT apps for tests: register a key pair with the fake, then mint assertions as an SDK would.

`create_jwt_app(state)` returns what a developer downloads from the Box console (client id and
secret, public key id, private key, enterprise id) and `JwtApp.assertion()` signs claims the way
Box's SDKs do (RS256, exp = now + 30 s, a fresh jti) — with knobs to get each claim wrong.
`JwtApp.config()` is the console's file exactly: the key as ENCRYPTED PKCS#8 PEM and its
passphrase (both official SDKs refuse a plain key with a passphrase, and the console never
hands one out; https://developer.box.com/guides/authentication/jwt/without-sdk/ shows the file).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from selftest.boxauth import BOX_TOKEN_URL, jwt_claims, jwt_grant_form, sign_assertion

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
    #: The passphrase of the encrypted key in `config()`.
    passphrase: str = ""

    def config(self) -> dict[str, Any]:
        """The app config file Box's developer console hands out (encrypted key, passphrase)."""
        key = serialization.load_pem_private_key(self.private_key_pem, password=None)
        encrypted = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self.passphrase.encode()))
        return {"boxAppSettings": {
            "clientID": self.client_id, "clientSecret": self.client_secret,
            "appAuth": {"publicKeyID": self.public_key_id,
                        "privateKey": encrypted.decode(), "passphrase": self.passphrase}},
            "enterpriseID": self.enterprise_id}

    def assertion(self, *, now: float | None = None, exp_in_s: float = 30,
                  iat_offset_s: float | None = 0, sub: str | None = None,
                  sub_type: str = "enterprise", jti: str | None = None,
                  aud: str = BOX_TOKEN_URL, **extra: Any) -> str:
        """A signed assertion. `now` is the CLIENT's clock (default: real time)."""
        claims = jwt_claims(self.client_id, sub or self.enterprise_id, subject_type=sub_type,
                            audience=aud, now=now, exp_in_s=exp_in_s, iat_offset_s=iat_offset_s,
                            jti=jti, **extra)
        return sign_assertion(claims, self.private_key_pem, self.public_key_id)

    def form(self, assertion: str) -> dict[str, str]:
        """The token-request form for the JWT bearer grant."""
        return jwt_grant_form(assertion, self.client_id, self.client_secret)


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
    return JwtApp(client_id, app.client_secret, kid, private_pem, app.enterprise_id,
                  secrets.token_hex(16))
