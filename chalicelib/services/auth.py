"""Who is calling: one `Authorization: Bearer …` credential, three kinds of caller.

- `ck_<key_id>_<secret>`: a partner's API key (one read of the key item, cached briefly);
- a three-part JWT: a member, RS256 against the stage's issuer, audience and keys;
- anything else: an operator key (the local stage's COALITION_ADMIN_KEY, or a stored hashed key).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
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
from .partners import secret_hash
from .requests import valid_member_id
from .runtime import Runtime


@dataclass(frozen=True)
class Principal:
    kind: str  # partner | member | operator
    partner_id: str | None = None
    member_id: str | None = None
    key_id: str | None = None


# A credential is one run of visible ASCII without commas: two headers folded into one by a proxy
# ("Bearer a, Bearer b", RFC 7230 section 3.2.2) are not a credential.
CREDENTIAL = re.compile(r"[\x21-\x2b\x2d-\x7e]+")
# Cognito's longest token lifetime: a token that claims to live longer was not issued by our user pool.
MAX_MEMBER_TOKEN_LIFETIME = timedelta(hours=24)


LOCAL_OPERATOR = "local-admin"  # the local stage's operator key, from the environment


def authenticate(rt: Runtime, keys: MemberKeys, headers: Sequence[str]) -> Principal:
    """`headers`: every Authorization header of the request (more than one is refused, whatever they say)."""
    credential = bearer_credential(headers)
    if credential.startswith("ck_"):
        return _partner(rt, credential)
    if credential.count(".") == 2:
        return Principal("member", member_id=keys.verify(credential))
    return _operator(rt, credential)


def bearer_credential(headers: Sequence[str]) -> str:
    """The credential of the one `Authorization: Bearer <credential>` header; the scheme's case does not
    matter (RFC 7235 section 2.1), one or more spaces may follow it."""
    if len(headers) > 1:
        raise Unauthenticated("send one Authorization header, not several")
    scheme, _, rest = (headers[0] if headers else "").partition(" ")
    credential = rest.strip(" \t")
    if scheme.lower() != "bearer" or not CREDENTIAL.fullmatch(credential):
        raise Unauthenticated("send Authorization: Bearer <credential>")
    return credential


def partner_profile(rt: Runtime, partner_id: str) -> Partner:
    partner = rt.cache.get(f"partner:{partner_id}", lambda: rt.store.directory.get_partner(partner_id))
    if partner is None or not partner.active:
        raise Forbidden(f"partner {partner_id} is not active")
    return partner


def _partner(rt: Runtime, credential: str) -> Principal:
    parts = credential.split("_")
    if len(parts) != 3 or not parts[1] or not parts[2]:
        raise Unauthenticated("malformed API key")
    _, key_id, secret = parts
    key = rt.cache.get(f"key:{key_id}", lambda: rt.store.directory.get_api_key(key_id), rt.settings.key_cache_seconds)
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
            return Principal("operator", key_id=LOCAL_OPERATOR)
        raise Unauthenticated("unknown credential")
    digest = hashlib.sha256(credential.encode()).hexdigest()
    if rt.cache.get(
        f"opkey:{digest}", lambda: rt.store.directory.operator_key_exists(digest), rt.settings.key_cache_seconds
    ):
        return Principal("operator", key_id=f"opkey-{digest[:16]}")  # which key, never the key itself
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
        _check_lifetime(claims)
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


def _check_lifetime(claims: dict[str, Any]) -> None:
    """At most MAX_MEMBER_TOKEN_LIFETIME from iat to exp: a stolen token stops working within a day, whatever
    exp its issuer wrote (PyJWT checks each date on its own, not the span)."""
    lifetime = _numeric_date(claims, "exp") - _numeric_date(claims, "iat")
    if lifetime > MAX_MEMBER_TOKEN_LIFETIME.total_seconds():
        raise Unauthenticated(f"invalid member token: its lifetime exceeds {MAX_MEMBER_TOKEN_LIFETIME}")


def _numeric_date(claims: dict[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):  # PyJWT also takes "123" and true
        raise Unauthenticated(f"invalid member token: {name} must be a numeric date")
    return float(value)
