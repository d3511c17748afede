"""Linking a signed-in user of the member user pool to a member: online self-enrolment, or a claim of the member
they already are (enrolled at a till).

The link is the directory alias `SUB#<sub>` -> member id, written in the same transaction as the member item (with
the member's other aliases, so closing or erasing the member releases it too): the alias's put-if-absent makes one
user enrol at most one member, and the member's version check makes two users unable to claim one member at once.
Only what Cognito verified counts as proof: the email (or phone) of an id token whose `email_verified` is true;
never a claim the user chose, never a card number alone (it is printed on a plastic card anyone may have seen).
"""

from __future__ import annotations

from typing import Any

from ..domain.errors import (
    AlreadyEnrolled,
    ClaimNotProven,
    ConcurrencyConflict,
    Forbidden,
    IdentifierTaken,
    MemberAlreadyLinked,
    MemberExists,
    NotFound,
    RetryLater,
    TransientFailure,
    Unauthenticated,
)
from ..domain.wallet import Wallet
from ..store import directory
from ..store.bookings import Booking
from .auth import Principal, SignedInUser
from .members import alias_for, enrol_member
from .requests import CardClaimRequest, EnrolRequest, SelfEnrolRequest
from .runtime import Runtime

ONLINE = "online"  # who enrolled a self-enrolled member: the app, no partner


def self_enrol(rt: Runtime, principal: Principal, request: SelfEnrolRequest) -> dict[str, Any]:
    """POST /v1/me/enrolment: the signed-in user becomes a new member, identified by what Cognito verified."""
    user = _unlinked_user(rt, principal)
    if user.email is None and user.phone is None:
        raise Forbidden("enrol with your id token: it carries the email Cognito verified, which identifies you")
    identity = EnrolRequest.model_validate(
        {
            "email": user.email,
            "phone": user.phone,
            "birth_date": request.birth_date,
            "referral_code": request.referral_code,
        }
    )
    try:
        return enrol_member(rt, ONLINE, identity, user_subject=user.subject)
    except MemberExists as exists:
        raise MemberExists(
            "a member with your verified email or phone exists already: link it with POST /v1/me/claims",
            field=exists.field,
        ) from None


def claim_member(rt: Runtime, principal: Principal, request: CardClaimRequest) -> dict[str, Any]:
    """POST /v1/me/claims: link the signed-in user to the member enrolled (at a till) with the email or phone Cognito
    verified for them; a card number, when given, must be that member's."""
    user = _unlinked_user(rt, principal)
    member_id = _member_with_verified_identifier(rt, user)
    if request.card_number is not None:
        card_holder = rt.store.directory.find_member_id(directory.card_alias(request.card_number))
        if card_holder != member_id:
            raise ClaimNotProven(
                "this card's member was not enrolled with the email or phone you verified: ask customer service",
                field="card_number",
            )
    return link_user(rt, member_id, user.subject)


def link_user(rt: Runtime, member_id: str, subject: str) -> dict[str, Any]:
    """Write the link of user `subject` to the member, once the user proved who they are; one user, one member."""
    link = directory.user_alias(subject)
    for _ in range(rt.settings.write_attempts):
        wallet = rt.store.wallets.load(member_id)
        if wallet is None or wallet.status in ("closed", "erased"):
            raise NotFound("no member has your verified email or phone: enrol with POST /v1/me/enrolment")
        if linked_user(wallet) is not None:
            raise MemberAlreadyLinked("this member is linked to another sign-in: ask customer service")
        wallet.aliases = [*wallet.aliases, link]  # released with the others if the member is closed or erased
        try:
            rt.store.bookings.commit(Booking(wallet=wallet, new_aliases=[link]))
        except IdentifierTaken:  # this user linked a member meanwhile (a parallel claim or enrolment)
            raise AlreadyEnrolled("you are a member already: GET /v1/me") from None
        except (ConcurrencyConflict, TransientFailure):
            continue  # the member changed meanwhile (a purchase, another claim): read it again
        return {"member_id": wallet.member_id, "card_number": wallet.card_number, "tier": wallet.tier}
    raise RetryLater("could not link your sign-in now; retry")


def linked_user(wallet: Wallet) -> str | None:
    """The alias of the user the member is linked to, if any."""
    return next((alias for alias in wallet.aliases if alias.startswith("SUB#")), None)


def _unlinked_user(rt: Runtime, principal: Principal) -> SignedInUser:
    """The signed-in user, not a member yet, and still a user of the pool: a token outlives its user by up to an hour
    (an erased member's, deleted from the pool), and must not enrol the person again."""
    assert principal.user is not None
    if principal.member_id is not None:
        raise AlreadyEnrolled("you are a member already: GET /v1/me", member_id=principal.member_id)
    if not rt.store.member_pool.user_exists(principal.user.subject):
        raise Unauthenticated("this sign-in no longer exists")
    return principal.user


def _member_with_verified_identifier(rt: Runtime, user: SignedInUser) -> str:
    if user.email is None and user.phone is None:
        raise Forbidden("claim with your id token: it carries the email Cognito verified for you")
    for kind, value in (("email", user.email), ("phone", user.phone)):
        if value is not None:
            member_id = rt.store.directory.find_member_id(alias_for(rt.settings, kind, value))
            if member_id is not None:
                return member_id
    raise NotFound("no member has your verified email or phone: enrol with POST /v1/me/enrolment")
