"""Partner endpoints: enrol and recognise members, purchases, returns, redemptions, holds."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from ..domain.movements import OperationKind
from ..services import activities, burning, earning, members, returns, reversals, vouchers
from ..services.auth import partner_profile
from ..services.operations import Reply
from ..services.requests import (
    ActivityRequest,
    CaptureRequest,
    EnrolRequest,
    HoldRequest,
    MemberRef,
    PartnerVoucherRequest,
    PurchaseRequest,
    RedemptionRequest,
    ReturnRequest,
    ReversalRequest,
    VoucherSpendRequest,
)
from .queries import MemberLookup
from .responses import (
    ActivityResponse,
    CaptureResponse,
    EarnResponse,
    EnrolResponse,
    HoldResponse,
    MemberLookupResponse,
    RedemptionResponse,
    ReturnResponse,
    ReversalResponse,
    VoidResponse,
    VoucherConverted,
    VoucherReopened,
    VoucherSpent,
)
from .routing import Call, Link, endpoint

partner_api = Blueprint(__name__)

# A member's id, once known, goes into every partner operation that may name a member by it (and the operator's
# member calls); spending names the member by card only (what the member presents), so it takes the card number.
MEMBER_ID_FEEDS = tuple(
    Link(target, {"body.member.member_id": "member_id"}) for target in ("post_purchase", "post_activity")
) + (Link("patch_member", {"path.member_id": "member_id"}),)
CARD_FEEDS = tuple(
    Link(target, {"body.member.card_number": "card_number"}) for target in ("post_redemption", "post_hold")
) + (Link("find_member", {"query.card_number": "card_number"}),)


@endpoint(
    partner_api,
    "/v1/members",
    "POST",
    audience="partner",
    status=201,
    response=EnrolResponse,
    links=(*MEMBER_ID_FEEDS, *CARD_FEEDS),
)
def enrol_member(call: Call, body: EnrolRequest) -> dict[str, Any]:
    """Enrol a member at the till or online (card number generated when none is given)."""
    return members.enrol_member(call.rt, call.partner_id, body)


@endpoint(partner_api, "/v1/members", "GET", audience="partner", query=MemberLookup, response=MemberLookupResponse)
def find_member(call: Call) -> dict[str, Any]:
    """Recognise a member by card number, email or phone."""
    given = {k: call.query(k) for k in ("card_number", "email", "phone") if call.query(k)}
    return members.find_member(call.rt, MemberRef.model_validate(given))


@endpoint(
    partner_api,
    "/v1/transactions",
    "POST",
    audience="partner",
    status=201,
    response=EarnResponse,
    links=(Link("post_return", {"path.transaction_id": "transaction_id"}),),
)
def post_purchase(call: Call, body: PurchaseRequest) -> Reply:
    """A purchase: earns points issued by this partner."""
    return earning.earn_points(call.rt, partner_profile(call.rt, call.partner_id), body)


@endpoint(
    partner_api,
    "/v1/transactions/{transaction_id}/returns",
    "POST",
    audience="partner",
    status=201,
    response=ReturnResponse,
)
def post_return(call: Call, transaction_id: str, body: ReturnRequest) -> Reply:
    """Return (part of) a purchase: its points are clawed back in proportion."""
    return returns.return_purchase(call.rt, call.partner_id, transaction_id, body)


@endpoint(
    partner_api,
    "/v1/redemptions",
    "POST",
    audience="partner",
    status=201,
    response=RedemptionResponse,
    links=(Link("reverse_redemption", {"path.redemption_id": "redemption_id"}),),
)
def post_redemption(call: Call, body: RedemptionRequest) -> Reply:
    """Spend points now (first-to-expire first)."""
    return burning.redeem_points(call.rt, call.partner_id, body)


@endpoint(
    partner_api,
    "/v1/redemptions/{redemption_id}/reversals",
    "POST",
    audience="partner",
    status=201,
    response=ReversalResponse,
)
def reverse_redemption(call: Call, redemption_id: str, body: ReversalRequest) -> Reply:
    """Give back (part of) the points of a redemption this partner made (a cancelled purchase)."""
    return reversals.reverse_spending(call.rt, call.partner_id, OperationKind.REDEMPTION, redemption_id, body)


@endpoint(
    partner_api,
    "/v1/holds",
    "POST",
    audience="partner",
    status=201,
    response=HoldResponse,
    links=(Link("capture_hold", {"path.hold_id": "hold_id"}), Link("void_hold", {"path.hold_id": "hold_id"})),
)
def post_hold(call: Call, body: HoldRequest) -> Reply:
    """Reserve points until captured, voided or expired."""
    return burning.place_hold(call.rt, call.partner_id, body)


@endpoint(
    partner_api,
    "/v1/holds/{hold_id}/capture",
    "POST",
    audience="partner",
    status=201,
    response=CaptureResponse,
    links=(Link("reverse_capture", {"path.hold_id": "hold_id"}),),
)
def capture_hold(call: Call, hold_id: str, body: CaptureRequest) -> Reply:
    """Spend all or part of a hold; the rest is released."""
    return burning.capture_hold(call.rt, call.partner_id, hold_id, body)


@endpoint(partner_api, "/v1/holds/{hold_id}/void", "POST", audience="partner", response=VoidResponse)
def void_hold(call: Call, hold_id: str) -> Reply:
    """Release a hold's points."""
    return burning.void_hold(call.rt, call.partner_id, hold_id)


@endpoint(
    partner_api, "/v1/holds/{hold_id}/reversals", "POST", audience="partner", status=201, response=ReversalResponse
)
def reverse_capture(call: Call, hold_id: str, body: ReversalRequest) -> Reply:
    """Give back (part of) the points this partner captured from a hold."""
    return reversals.reverse_spending(call.rt, call.partner_id, OperationKind.CAPTURE, hold_id, body)


@endpoint(partner_api, "/v1/activities", "POST", audience="partner", status=201, response=ActivityResponse)
def post_activity(call: Call, body: ActivityRequest) -> Reply:
    """Non-purchase engagement (review, newsletter sign-up …): points per the programme's activity rules."""
    return activities.record_activity(call.rt, call.partner_id, body)


@endpoint(
    partner_api,
    "/v1/vouchers/{code}/redemptions",
    "POST",
    audience="partner",
    status=201,
    response=VoucherSpent,
    links=(Link("void_voucher_spend", {"path.code": "code", "path.redemption_id": "redemption_id"}),),
)
def spend_voucher(call: Call, code: str, body: VoucherSpendRequest) -> Reply:
    """Take a member's voucher as payment (once; where it is usable; until its last day)."""
    return vouchers.spend_voucher(call.rt, call.partner_id, code, body)


@endpoint(
    partner_api,
    "/v1/vouchers/{code}/redemptions/{redemption_id}/void",
    "POST",
    audience="partner",
    response=VoucherReopened,
)
def void_voucher_spend(call: Call, code: str, redemption_id: str) -> Reply:
    """Refund a purchase paid with a voucher this partner took: the voucher is spendable again until its expiry."""
    return vouchers.void_voucher_spend(call.rt, call.partner_id, code, redemption_id)


@endpoint(partner_api, "/v1/vouchers", "POST", audience="partner", status=201, response=VoucherConverted)
def convert_for_member(call: Call, body: PartnerVoucherRequest) -> Reply:
    """Convert a member's points into a voucher at the till (the member's card or spend code consents)."""
    return vouchers.convert_at_partner(call.rt, call.partner_id, body)
