"""Who may call the fake: OAuth apps, access tokens, refresh tokens, auth codes, used JWT ids.

Lifetimes follow Box (docs/facts.md §3): access tokens 60 min, refresh tokens 60 days and
single use (each refresh returns a new pair and kills the old one), auth codes 30 s. All ages are
measured on the fake's clock. Stores are pruned as they grow so a long `serve` stays bounded.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

from selftest.boxauth import JWT_GRANT

from .clock import Clock

ACCESS_TTL_S = 3600
REFRESH_TTL_S = 60 * 86400
AUTH_CODE_TTL_S = 30
#: Box's default app scopes; "manage_managed_users" lets a token create users.
DEFAULT_SCOPES = frozenset({"root_readwrite", "manage_managed_users"})
_PRUNE_AT = 10_000

GRANT_TYPES = frozenset({
    "authorization_code", "refresh_token", "client_credentials",
    JWT_GRANT,
})


@dataclass
class App:
    """A Box app (client). `approved` False: the enterprise admin has not authorised it."""

    client_id: str
    client_secret: str
    enterprise_id: str
    service_user_id: str
    approved: bool = True
    grant_types: frozenset[str] = GRANT_TYPES
    #: kid -> PEM public key, for JWT assertions.
    public_keys: dict[str, bytes] = field(default_factory=dict)
    scopes: frozenset[str] = DEFAULT_SCOPES


@dataclass
class AccessToken:
    token: str
    user_id: str
    expires_at: float
    scopes: frozenset[str]


@dataclass
class RefreshToken:
    token: str
    user_id: str
    client_id: str
    issued_at: float
    used: bool = False


class TokenStore:
    """Issues and checks tokens; thread-safe."""

    def __init__(self, clock: Clock, access_ttl_s: int = ACCESS_TTL_S) -> None:
        self.clock = clock
        self.access_ttl_s = access_ttl_s
        self.apps: dict[str, App] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self._codes: dict[str, tuple[str, str, float]] = {}
        self._jtis: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue_access(self, user_id: str, *, token: str | None = None,
                     scopes: frozenset[str] = DEFAULT_SCOPES, ttl_s: int | None = None) -> str:
        """A new access token for `user_id` (or register `token` as one)."""
        value = token or secrets.token_urlsafe(24)
        expires = self.clock.now() + (self.access_ttl_s if ttl_s is None else ttl_s)
        with self._lock:
            self._prune_access()
            self._access[value] = AccessToken(value, user_id, expires, scopes)
        return value

    def check_access(self, token: str) -> AccessToken | None:
        """The live token record, or None when unknown or expired."""
        with self._lock:
            record = self._access.get(token)
        if record is None or record.expires_at <= self.clock.now():
            return None
        return record

    def revoke(self, token: str) -> None:
        """Forget an access or refresh token (POST /oauth2/revoke)."""
        with self._lock:
            self._access.pop(token, None)
            self._refresh.pop(token, None)

    def issue_refresh(self, user_id: str, client_id: str) -> str:
        """A new refresh token, valid 60 days and usable once."""
        value = secrets.token_urlsafe(48)
        with self._lock:
            if len(self._refresh) > _PRUNE_AT:
                cutoff = self.clock.now() - REFRESH_TTL_S
                self._refresh = {k: v for k, v in self._refresh.items() if v.issued_at > cutoff}
            self._refresh[value] = RefreshToken(value, user_id, client_id, self.clock.now())
        return value

    def spend_refresh(self, token: str, client_id: str) -> RefreshToken | str:
        """Use a refresh token once: the record, or the invalid_grant description."""
        with self._lock:
            record = self._refresh.get(token)
            if record is None or record.used or record.client_id != client_id:
                return "Invalid refresh token"
            if self.clock.now() - record.issued_at > REFRESH_TTL_S:
                return "Refresh token has expired"
            record.used = True
            return record

    def issue_code(self, user_id: str, client_id: str) -> str:
        """An authorization code (what /authorize would redirect with), valid 30 s."""
        value = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[value] = (user_id, client_id, self.clock.now())
        return value

    def spend_code(self, code: str, client_id: str) -> str | tuple[str, None]:
        """Use an auth code once: (user_id, None), or the invalid_grant description."""
        with self._lock:
            record = self._codes.pop(code, None)
        if record is None or record[1] != client_id:
            return "Auth code doesn't exist or is invalid for the client"
        if self.clock.now() - record[2] > AUTH_CODE_TTL_S:
            return "The authorization code has expired"
        return (record[0], None)

    def remember_jti(self, jti: str, exp: float) -> bool:
        """Record a JWT id; False when it was already used (Box refuses a replay)."""
        now = self.clock.now()
        with self._lock:
            if len(self._jtis) > _PRUNE_AT:
                self._jtis = {k: v for k, v in self._jtis.items() if v > now}
            if jti in self._jtis:
                return False
            self._jtis[jti] = exp
            return True

    def _prune_access(self) -> None:
        if len(self._access) > _PRUNE_AT:
            now = self.clock.now()
            self._access = {k: v for k, v in self._access.items() if v.expires_at > now}
