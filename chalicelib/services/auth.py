"""Who is calling: one `Authorization: Bearer …` credential, three kinds of caller.

- `ck_<key_id>_<secret>`: a partner's API key (one read of the key item, cached briefly);
- a three-part JWT: a member, RS256 against the stage's issuer, audience and keys;
- anything else: an operator key (the local stage's COALITION_ADMIN_KEY, or a stored hashed key).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from ..domain.errors import Forbidden, Unauthenticated
from ..domain.program import Partner
from ..settings import Settings
from ..store import directory
from .partners import secret_hash
from .requests import valid_member_id
from .runtime import Runtime


@dataclass(frozen=True)
class Principal:
    kind: str  # partner | member | operator
    partner_id: str | None = None
    member_id: str | None = None
    key_id: str | None = None


def authenticate(rt: Runtime, keys: MemberKeys, header: str | None) -> Principal:
    if not header or not header.startswith("Bearer ") or not header[7:].strip():
        raise Unauthenticated("send Authorization: Bearer <credential>")
    credential = header[7:].strip()
    if credential.startswith("ck_"):
        return _partner(rt, credential)
    if credential.count(".") == 2:
        return Principal("member", member_id=keys.verify(credential))
    return _operator(rt, credential)


def partner_profile(rt: Runtime, partner_id: str) -> Partner:
    partner = rt.cache.get(f"partner:{partner_id}", lambda: directory.get_partner(partner_id))
    if partner is None or not partner.active:
        raise Forbidden(f"partner {partner_id} is not active")
    return partner


def _partner(rt: Runtime, credential: str) -> Principal:
    parts = credential.split("_")
    if len(parts) != 3 or not parts[1] or not parts[2]:
        raise Unauthenticated("malformed API key")
    _, key_id, secret = parts
    key = rt.cache.get(f"key:{key_id}", lambda: directory.get_api_key(key_id), rt.settings.key_cache_seconds)
    if key is None or not hmac.compare_digest(key.secret_hash, secret_hash(secret)):
        raise Unauthenticated("unknown API key")
    if key.revoked:
        raise Unauthenticated("this API key has been revoked")
    if key.partner_status != "active":
        raise Forbidden(f"partner {key.partner_id} is {key.partner_status}")
    return Principal("partner", partner_id=key.partner_id, key_id=key_id)


def _operator(rt: Runtime, credential: str) -> Principal:
    admin = rt.settings.admin_key
    if rt.settings.is_local and admin is not None:
        if hmac.compare_digest(credential.encode(), admin.get_secret_value().encode()):
            return Principal("operator")
        raise Unauthenticated("unknown credential")
    digest = hashlib.sha256(credential.encode()).hexdigest()
    if rt.cache.get(f"opkey:{digest}", lambda: directory.operator_key_exists(digest), rt.settings.key_cache_seconds):
        return Principal("operator")
    raise Unauthenticated("unknown credential")


class MemberKeys:
    """Verifies member JWTs; on the local stage also signs them with the stage's own RSA key."""

    ALGORITHMS = ["RS256"]  # fixed: a token cannot choose its algorithm (no "none", no HS256 with our key)

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @cached_property
    def _private_key(self) -> RSAPrivateKey | None:
        path = self._settings.local_jwt_private_key_path
        if not self._settings.is_local or not path:
            return None
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        assert isinstance(key, RSAPrivateKey)
        return key

    @cached_property
    def _jwks(self) -> jwt.PyJWKClient | None:
        url = self._settings.member_jwks_url
        return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600) if url else None

    def verify(self, token: str) -> str:
        try:
            claims = jwt.decode(
                token,
                self._verification_key(token),
                algorithms=self.ALGORITHMS,
                audience=self._settings.member_jwt_audience,
                issuer=self._settings.member_jwt_issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
                leeway=30,
            )
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"invalid member token: {error}") from None
        member_id = claims["sub"]
        if not isinstance(member_id, str) or not valid_member_id(member_id):
            raise Unauthenticated("invalid member token: unknown subject")
        return member_id

    def _verification_key(self, token: str) -> Any:
        if self._private_key is not None:
            return self._private_key.public_key()
        if self._jwks is not None:
            try:
                return self._jwks.get_signing_key_from_jwt(token).key
            except jwt.PyJWTError as error:
                raise Unauthenticated(f"invalid member token: {error}") from None
        raise Unauthenticated("member tokens are not configured on this stage")

    def mint(self, member_id: str, ttl: timedelta = timedelta(hours=1)) -> str:
        """Local stage only: a member token for trying the member API."""
        if self._private_key is None:
            raise Forbidden("member tokens are minted only on the local stage")
        now = datetime.now(timezone.utc)  # wall-clock time, as the verifier (PyJWT) uses: not the app's clock
        claims = {
            "sub": member_id,
            "iss": self._settings.member_jwt_issuer,
            "aud": self._settings.member_jwt_audience,
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
        }
        return jwt.encode(claims, self._private_key, algorithm="RS256", headers={"kid": "local"})
