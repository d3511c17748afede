"""Who is calling: one `Authorization: Bearer …` credential, three kinds of caller.

- `ck_<key_id>_<secret>`: a partner's API key (one read of the key item, cached briefly);
- a three-part JWT: a token of the member user pool (Cognito), for a member or a user who has not enrolled yet;
- anything else: an operator key (the local stage's COALITION_ADMIN_KEY, or a stored hashed key).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..domain.errors import Forbidden, Unauthenticated
from ..domain.program import KeyScope, Partner
from ..settings import Settings
from ..store.directory import user_alias
from .partners import secret_hash
from .runtime import Runtime

if TYPE_CHECKING:
    import jwt


@dataclass(frozen=True)
class Principal:
    kind: str  # partner | member | user (signed in, not yet linked to a member) | operator
    partner_id: str | None = None
    member_id: str | None = None
    key_id: str | None = None
    user: SignedInUser | None = None  # members and users
    scope: KeyScope | None = None  # partners: what their key may do


# A credential is one run of visible ASCII without commas: two headers folded into one by a proxy
# ("Bearer a, Bearer b", RFC 7230 section 3.2.2) are not a credential.
CREDENTIAL = re.compile(r"[\x21-\x2b\x2d-\x7e]+")
# Cognito's subjects are UUIDs; anything else in `sub` did not come from the pool.
SUBJECT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Cognito's longest token lifetime: a token that claims to live longer was not issued by our user pool.
MAX_MEMBER_TOKEN_LIFETIME = timedelta(hours=24)


LOCAL_OPERATOR = "local-admin"  # the local stage's operator key, from the environment


def authenticate(rt: Runtime, keys: MemberKeys, headers: Sequence[str]) -> Principal:
    """`headers`: every Authorization header of the request (more than one is refused, whatever they say)."""
    credential = bearer_credential(headers)
    if credential.startswith("ck_"):
        return _partner(rt, credential)
    if credential.count(".") == 2:
        return _signed_in(rt, keys.verify(credential))
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
    return Principal("partner", partner_id=key.partner_id, key_id=key_id, scope=key.scope)


def _signed_in(rt: Runtime, user: SignedInUser) -> Principal:
    """A member if the user is linked to one (the SUB# alias written when they enrolled or claimed their card),
    else a `user`: signed in, and allowed only to enrol or claim. A link is cached like a key; the absence of one
    is not, so that a user who just enrolled is a member at their next request."""
    cache_key = f"user:{user.subject}"
    member_id = rt.cache.get(
        cache_key, lambda: rt.store.directory.find_member_id(user_alias(user.subject)), rt.settings.key_cache_seconds
    )
    if member_id is None:
        rt.cache.forget(cache_key)
        return Principal("user", user=user)
    return Principal("member", member_id=member_id, user=user)


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


@dataclass(frozen=True)
class SignedInUser:
    """A user of the member user pool, as their token proves: the subject, and the identifiers Cognito verified
    (an unverified email or phone is not an identifier: anyone can type one at sign-up)."""

    subject: str
    token_use: str  # id | access
    email: str | None = None  # id tokens only, when email_verified
    phone: str | None = None  # id tokens only, when phone_number_verified


class MemberKeys:
    """Verifies the member user pool's tokens: an id token for the member app's client (`aud`) or an access token
    issued to it (`client_id`), RS256 under the pool's published keys, from the pool's issuer."""

    ALGORITHMS = ["RS256"]  # fixed: a token cannot choose its algorithm (no "none", no HS256 with a public key)

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def prepare(self) -> None:
        """Load the verifier and fetch the pool's keys now (a Lambda's init), not on the first member's request;
        best effort: a key set not fetched is fetched by the first token, as without this."""
        import jwt

        if self._jwks is not None:
            try:
                self._jwks.get_jwk_set()
            except jwt.PyJWKClientError:
                pass

    @cached_property
    def _jwks(self) -> jwt.PyJWKClient | None:
        import jwt  # here, not at import: PyJWT and cryptography cost ~50 ms, and only member tokens need them

        url = self._settings.member_keys_url
        return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600) if url else None

    def verify(self, token: str) -> SignedInUser:
        issuer, client = self._settings.member_token_issuer, self._settings.member_app_client_id
        if self._jwks is None or issuer is None or not client:
            raise Unauthenticated("member sign-in is not configured on this stage")
        import jwt  # loaded by _jwks already; see there

        try:
            key = self._jwks.get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token,
                key,
                algorithms=self.ALGORITHMS,
                issuer=issuer,
                options={"require": ["exp", "iat", "sub", "iss", "token_use"], "verify_aud": False},
                leeway=30,
            )
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"invalid member token: {error}") from None
        _check_lifetime(claims)
        token_use = claims["token_use"]
        # Cognito names the client `aud` in an id token and `client_id` in an access token.
        issued_to = (
            claims.get("aud") if token_use == "id" else claims.get("client_id") if token_use == "access" else None
        )
        if issued_to is None:
            raise Unauthenticated("invalid member token: neither an id token nor an access token")
        if issued_to != client:
            raise Unauthenticated("invalid member token: issued to another app")
        subject = claims["sub"]
        if not isinstance(subject, str) or not SUBJECT.fullmatch(subject):
            raise Unauthenticated("invalid member token: malformed subject")
        if token_use != "id":  # an access token names no identifier (and any it named would not be Cognito's)
            return SignedInUser(subject, token_use)
        return SignedInUser(
            subject,
            token_use,
            email=_verified(claims, "email", "email_verified"),
            phone=_verified(claims, "phone_number", "phone_number_verified"),
        )


def _verified(claims: dict[str, Any], name: str, flag: str) -> str | None:
    """The claim's value if Cognito verified it (true in Cognito's id tokens, "true" where attributes pass as text)."""
    value, verified = claims.get(name), claims.get(flag)
    if isinstance(value, str) and value and (verified is True or verified == "true"):  # not 1: 1 == True
        return value
    return None


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
