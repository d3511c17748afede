"""Partner endpoints: enrol and recognise members, purchases, returns, redemptions, holds."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from ..services import activities, burning, earning, members, returns, reversals
from ..services.auth import partner_profile
from ..services.operations import Reply
from ..services.requests import (
    ActivityRequest,
    CaptureRequest,
    EnrolRequest,
    HoldRequest,
    MemberRef,
    PurchaseRequest,
    RedemptionRequest,
    ReturnRequest,
    ReversalRequest,
)
from .routing import Call, endpoint

partner_api = Blueprint(__name__)


@endpoint(partner_api, "/v1/members", "POST", audience="partner", status=201)
def enrol_member(call: Call, body: EnrolRequest) -> dict[str, Any]:
    """Enrol a member at the till or online (card number generated when none is given)."""
    return members.enrol_member(call.rt, call.partner_id, body)


@endpoint(partner_api, "/v1/members", "GET", audience="partner")
def find_member(call: Call) -> dict[str, Any]:
    """Recognise a member by card number, email or phone."""
    given = {k: call.query(k) for k in ("card_number", "email", "phone") if call.query(k)}
    return members.find_member(call.rt, MemberRef.model_validate(given))


@endpoint(partner_api, "/v1/transactions", "POST", audience="partner")
def post_purchase(call: Call, body: PurchaseRequest) -> Reply:
    """A purchase: earns points issued by this partner."""
    return earning.earn_points(call.rt, partner_profile(call.rt, call.partner_id), body)


@endpoint(partner_api, "/v1/transactions/{transaction_id}/returns", "POST", audience="partner")
def post_return(call: Call, transaction_id: str, body: ReturnRequest) -> Reply:
    """Return (part of) a purchase: its points are clawed back in proportion."""
    return returns.return_purchase(call.rt, call.partner_id, transaction_id, body)


@endpoint(partner_api, "/v1/redemptions", "POST", audience="partner")
def post_redemption(call: Call, body: RedemptionRequest) -> Reply:
    """Spend points now (first-to-expire first)."""
    return burning.redeem_points(call.rt, call.partner_id, body)


@endpoint(partner_api, "/v1/redemptions/{redemption_id}/reversals", "POST", audience="partner")
def reverse_redemption(call: Call, redemption_id: str, body: ReversalRequest) -> Reply:
    """Give back (part of) the points of a redemption this partner made (a cancelled purchase)."""
    return reversals.reverse_spending(call.rt, call.partner_id, "redemption", redemption_id, body)


@endpoint(partner_api, "/v1/holds", "POST", audience="partner")
def post_hold(call: Call, body: HoldRequest) -> Reply:
    """Reserve points until captured, voided or expired."""
    return burning.place_hold(call.rt, call.partner_id, body)


@endpoint(partner_api, "/v1/holds/{hold_id}/capture", "POST", audience="partner")
def capture_hold(call: Call, hold_id: str, body: CaptureRequest) -> Reply:
    """Spend all or part of a hold; the rest is released."""
    return burning.capture_hold(call.rt, call.partner_id, hold_id, body)


@endpoint(partner_api, "/v1/holds/{hold_id}/void", "POST", audience="partner")
def void_hold(call: Call, hold_id: str) -> Reply:
    """Release a hold's points."""
    return burning.void_hold(call.rt, call.partner_id, hold_id)


@endpoint(partner_api, "/v1/holds/{hold_id}/reversals", "POST", audience="partner")
def reverse_capture(call: Call, hold_id: str, body: ReversalRequest) -> Reply:
    """Give back (part of) the points this partner captured from a hold."""
    return reversals.reverse_spending(call.rt, call.partner_id, "capture", hold_id, body)


@endpoint(partner_api, "/v1/activities", "POST", audience="partner")
def post_activity(call: Call, body: ActivityRequest) -> Reply:
    """Non-purchase engagement (review, newsletter sign-up …): points per the programme's activity rules."""
    return activities.record_activity(call.rt, call.partner_id, body)
