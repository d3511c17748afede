"""A partner reads its own purchases, redemptions and holds (services/partner_reads.py says what each costs).

Each kind answers the same two reads, declared by `_records`: GET /v1/{kind} (a page, list_{kind}) and
GET /v1/{kind}/{<one>_id} (one record, get_<one>).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from chalice.app import Blueprint
from pydantic import BaseModel

from ..services import partner_reads
from ..services.partner_views import (
    PartnerHold,
    PartnerHolds,
    PartnerRedemption,
    PartnerRedemptions,
    PartnerTransaction,
    PartnerTransactions,
)
from ..services.runtime import Runtime
from .queries import RecordPage, TransactionPage
from .routing import Call, Link, endpoint

partner_reads_api = Blueprint(__name__)

NEXT_PAGE = {"query.cursor": "next_cursor"}

P = TypeVar("P", bound=RecordPage)
Many = TypeVar("Many", bound=BaseModel)
One = TypeVar("One", bound=BaseModel)


def _records(
    kind: str,
    query: type[P],
    many: type[Many],
    read_page: Callable[[Runtime, str, P], Many],
    list_summary: str,
    one: type[One],
    read_one: Callable[[Runtime, str, str], One],
    one_summary: str,
) -> None:
    """Register GET /v1/{kind}, `read_page` of the calling partner's records (validated by `query`, answering `many`),
    then GET /v1/{kind}/{<one>_id}, `read_one` of them by its id (answering `one`). The views are named list_{kind}
    and get_<one> (Chalice registers a view by its name; the name is the operationId) and documented by the summaries.
    """
    singular = kind.removesuffix("s")
    id_name = f"{singular}_id"

    def list_view(call: Call) -> Many:
        return read_page(call.rt, call.partner_id, query.model_validate(dict(call.request.query_params or {})))

    def get_view(call: Call, **path: str) -> One:
        return read_one(call.rt, call.partner_id, path[id_name])

    list_name = f"list_{kind}"
    listing = endpoint(
        partner_reads_api,
        f"/v1/{kind}",
        "GET",
        audience="partner",
        query=query,
        response=many,
        links=(Link(list_name, NEXT_PAGE),),
    )
    listing(_named(list_view, list_name, list_summary))
    by_id = endpoint(partner_reads_api, f"/v1/{kind}/{{{id_name}}}", "GET", audience="partner", response=one)
    by_id(_named(get_view, f"get_{singular}", one_summary))


def _named(view: Callable[..., Any], name: str, summary: str) -> Callable[..., Any]:
    view.__name__ = view.__qualname__ = name
    view.__doc__ = summary
    return view


_records(
    "transactions",
    TransactionPage,
    PartnerTransactions,
    lambda rt, partner_id, page: partner_reads.transactions(
        rt, partner_id, page.from_, page.to, page.store_id, page.cursor, page.limit
    ),
    "This partner's purchases booked in ?from=&to= (newest first), of one ?store_id= if given, with returns.",
    PartnerTransaction,
    partner_reads.transaction,
    "One of this partner's purchases: amount, place, points earned, member, and its returns.",
)
_records(
    "redemptions",
    RecordPage,
    PartnerRedemptions,
    lambda rt, partner_id, page: partner_reads.redemptions(
        rt, partner_id, page.from_, page.to, page.cursor, page.limit
    ),
    "This partner's redemptions booked in ?from=&to= (newest first), with their reversals.",
    PartnerRedemption,
    partner_reads.redemption,
    "One of this partner's redemptions, with its reversals.",
)
_records(
    "holds",
    RecordPage,
    PartnerHolds,
    lambda rt, partner_id, page: partner_reads.holds(rt, partner_id, page.from_, page.to, page.cursor, page.limit),
    "This partner's holds placed in ?from=&to= (newest first): status, captured points, reversals.",
    PartnerHold,
    partner_reads.hold,
    "One of this partner's holds: open, captured, voided or expired; captured points; reversals.",
)
