"""A partner reads its own purchases, redemptions and holds (services/partner_reads.py says what each costs)."""

from __future__ import annotations

from chalice.app import Blueprint

from ..services import partner_reads
from ..services.partner_views import (
    PartnerHold,
    PartnerHolds,
    PartnerRedemption,
    PartnerRedemptions,
    PartnerTransaction,
    PartnerTransactions,
)
from .queries import RecordPage, TransactionPage
from .routing import Call, Link, endpoint

partner_reads_api = Blueprint(__name__)

NEXT_PAGE = {"query.cursor": "next_cursor"}


def _page(call: Call, model: type[RecordPage]) -> RecordPage:
    return model.model_validate(dict(call.request.query_params or {}))


@endpoint(
    partner_reads_api,
    "/v1/transactions",
    "GET",
    audience="partner",
    query=TransactionPage,
    response=PartnerTransactions,
    links=(Link("list_transactions", NEXT_PAGE),),
)
def list_transactions(call: Call) -> PartnerTransactions:
    """This partner's purchases booked in ?from=&to= (newest first), of one ?store_id= if given, with returns."""
    page = _page(call, TransactionPage)
    assert isinstance(page, TransactionPage)
    return partner_reads.transactions(
        call.rt, call.partner_id, page.from_, page.to, page.store_id, page.cursor, page.limit
    )


@endpoint(
    partner_reads_api, "/v1/transactions/{transaction_id}", "GET", audience="partner", response=PartnerTransaction
)
def get_transaction(call: Call, transaction_id: str) -> PartnerTransaction:
    """One of this partner's purchases: amount, place, points earned, member, and its returns."""
    return partner_reads.transaction(call.rt, call.partner_id, transaction_id)


@endpoint(
    partner_reads_api,
    "/v1/redemptions",
    "GET",
    audience="partner",
    query=RecordPage,
    response=PartnerRedemptions,
    links=(Link("list_redemptions", NEXT_PAGE),),
)
def list_redemptions(call: Call) -> PartnerRedemptions:
    """This partner's redemptions booked in ?from=&to= (newest first), with their reversals."""
    page = _page(call, RecordPage)
    return partner_reads.redemptions(call.rt, call.partner_id, page.from_, page.to, page.cursor, page.limit)


@endpoint(partner_reads_api, "/v1/redemptions/{redemption_id}", "GET", audience="partner", response=PartnerRedemption)
def get_redemption(call: Call, redemption_id: str) -> PartnerRedemption:
    """One of this partner's redemptions, with its reversals."""
    return partner_reads.redemption(call.rt, call.partner_id, redemption_id)


@endpoint(
    partner_reads_api,
    "/v1/holds",
    "GET",
    audience="partner",
    query=RecordPage,
    response=PartnerHolds,
    links=(Link("list_holds", NEXT_PAGE),),
)
def list_holds(call: Call) -> PartnerHolds:
    """This partner's holds placed in ?from=&to= (newest first): status, captured points, reversals."""
    page = _page(call, RecordPage)
    return partner_reads.holds(call.rt, call.partner_id, page.from_, page.to, page.cursor, page.limit)


@endpoint(partner_reads_api, "/v1/holds/{hold_id}", "GET", audience="partner", response=PartnerHold)
def get_hold(call: Call, hold_id: str) -> PartnerHold:
    """One of this partner's holds: open, captured, voided or expired; captured points; reversals."""
    return partner_reads.hold(call.rt, call.partner_id, hold_id)
