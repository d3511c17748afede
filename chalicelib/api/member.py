"""Member endpoints: a member sees themself only (the member linked to the token's user); a signed-in user who is
not a member yet may enrol or claim the member they are."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from ..services import identity, members, offers, privacy, profile, vouchers
from ..services.operations import Reply, body_text
from ..services.requests import CardClaimRequest, ProfilePatch, SelfEnrolRequest, SpendCodeRequest, VoucherRequest
from ..services.voucher_views import VoucherList
from .queries import HistoryPage, Limited
from .responses import (
    EnrolResponse,
    EntriesPage,
    MemberExport,
    MemberLinked,
    MemberOverview,
    OfferList,
    OfferView,
    SpendCodeIssued,
    VoucherConverted,
)
from .routing import Call, Link, endpoint

member_api = Blueprint(__name__)


@endpoint(member_api, "/v1/me/enrolment", "POST", audience=("user", "member"), status=201, response=EnrolResponse)
def enrol_me(call: Call, body: SelfEnrolRequest) -> dict[str, Any]:
    """Become a member online: the signed-in user's verified email (and phone) identify the new member.
    A user who is a member already: 409 already_enrolled; a member exists with that email: 409 member_exists
    (claim it instead)."""
    assert call.principal is not None
    return identity.self_enrol(call.rt, call.principal, body)


@endpoint(member_api, "/v1/me/claims", "POST", audience=("user", "member"), status=201, response=MemberLinked)
def claim_me(call: Call, body: CardClaimRequest) -> dict[str, Any]:
    """Link the signed-in user to the member enrolled at a till with the email or phone Cognito verified for them
    (card_number, if given, must be that member's: else 403 claim_not_proven). A member linked to another
    sign-in: 409 member_already_linked."""
    assert call.principal is not None
    return identity.claim_member(call.rt, call.principal, body)


@endpoint(member_api, "/v1/me", "GET", audience="member", response=MemberOverview)
def me(call: Call) -> dict[str, Any]:
    """My balance and its value, holds, points expiring (within 60 days too), tier progress (what reaches the next
    tier and what keeps this one), and my profile."""
    return members.member_overview(call.rt, call.member_id)


@endpoint(member_api, "/v1/me", "PATCH", audience="member", response=MemberOverview)
def update_me(call: Call, body: ProfilePatch) -> dict[str, Any]:
    """Change my profile: name, preferred_partners, interests, consents per channel ({"email": {"given": true}}: dated
    now), birth_date (once: a known one is changed by customer service). Answers GET /v1/me's view."""
    wallet = profile.update_profile(call.rt, call.member_id, body)
    return members.member_overview(call.rt, call.member_id, wallet)


@endpoint(member_api, "/v1/me", "DELETE", audience=("member", "user"), status=204)
def erase_me(call: Call) -> Response:
    """Erase me: my personal data and identifiers go, my remaining points are forfeited (breakage of their issuers),
    my sign-in is deleted. The ledger stays under my pseudonymous member id. A user who never enrolled: the sign-in."""
    assert call.principal is not None and call.principal.user is not None
    if call.principal.member_id is None:
        call.rt.store.member_pool.delete_user(call.principal.user.subject)
    else:
        privacy.erase_member(call.rt, call.principal.member_id)
    return Response(body="", status_code=204)


@endpoint(member_api, "/v1/me/export", "GET", audience="member", response=MemberExport)
def export_me(call: Call) -> dict[str, Any]:
    """Everything held about me, machine-readable: account, profile, identifiers (as held), wallet, vouchers and my
    history (its first 100 entries; next_cursor reads on in GET /v1/me/entries)."""
    return privacy.export_member(call.rt, call.member_id)


@endpoint(
    member_api,
    "/v1/me/entries",
    "GET",
    audience="member",
    query=HistoryPage,
    response=EntriesPage,
    links=(Link("my_entries", {"query.cursor": "next_cursor"}),),
)
def my_entries(call: Call) -> dict[str, Any]:
    """My history, newest first; filtered by partner_id, type and booking days from/to (a filtered page reads at
    most 100 entries and may hold fewer than limit: follow next_cursor with the same filters)."""
    page = HistoryPage.model_validate(dict(call.request.query_params or {}))
    return members.member_entries(call.rt, call.member_id, call.limit(), page.cursor, page.entry_filter())


@endpoint(
    member_api,
    "/v1/me/vouchers",
    "POST",
    audience="member",
    status=201,
    response=VoucherConverted,
)
def convert_points(call: Call, body: VoucherRequest) -> Reply:
    """Convert points into a voucher of one of the programme's denominations (once per request_id)."""
    return vouchers.convert_points(call.rt, call.member_id, body)


@endpoint(member_api, "/v1/me/vouchers", "GET", audience="member", query=Limited, response=VoucherList)
def my_vouchers(call: Call) -> VoucherList:
    """My vouchers, newest first: open, spent and expired."""
    return vouchers.list_vouchers(call.rt, call.member_id, call.limit())


@endpoint(member_api, "/v1/me/spend-codes", "POST", audience="member", status=201, response=SpendCodeIssued)
def issue_spend_code(call: Call, body: SpendCodeRequest) -> dict[str, Any]:
    """A code to show at a till: one spending of up to points_max points, valid a few minutes."""
    return members.issue_spend_code(call.rt, call.member_id, body)


@endpoint(member_api, "/v1/me/offers", "GET", audience="member", response=OfferList)
def my_offers(call: Call) -> dict[str, Any]:
    """The opt-in offers open to you now or soon (your tier, your segments), and whether you enrolled: an offer
    rewards your purchases only once you enrolled."""
    return {"offers": offers.offers_for(call.rt, call.member_id)}


@endpoint(
    member_api,
    "/v1/me/offers/{offer_id}/enrolment",
    "POST",
    audience="member",
    status=201,
    response=OfferView,
)
def enrol_in_offer(call: Call, offer_id: str) -> Reply:
    """Enrol in an offer open to you: your purchases from now on earn it. Enrolling again changes nothing: the same
    answer, with `Idempotent-Replay: true`."""
    enrolled, view = offers.enrol(call.rt, call.member_id, offer_id)
    return Reply(201, body_text(view), replayed=not enrolled)
