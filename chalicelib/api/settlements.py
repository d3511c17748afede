"""Settlement endpoints: each partner its own statement; the operator the whole period, and closing."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from ..domain.errors import InvalidRequest, NotFound, PublicationFailed, RetryLater
from ..domain.line_items import LineItem
from ..domain.program import KeyScope
from ..domain.settlement import OPERATOR
from ..services import line_items, reports, settlement, statement_links, statements
from ..services import reconciliation as reconciliation_service
from ..services.operations import Reply
from ..services.requests import StatementLinkRequest
from ..services.statement_csv import statement_csv
from .errors import json_response
from .queries import DateRange, ItemsQuery, ReconciliationPage, StatementFormat
from .responses import (
    LineItemsPage,
    ReconciliationReport,
    ReportSummary,
    SettlementDocument,
    Statement,
    StatementLinkView,
)
from .routing import Call, Link, endpoint

settlement_api = Blueprint(__name__)

CSV = "text/csv; charset=utf-8"
HTML = "text/html; charset=utf-8"
FINANCE = (KeyScope.FINANCE,)  # what the partner is owed and its figures: for a finance key (or an admin one)


@endpoint(
    settlement_api,
    "/v1/settlements/{period}",
    "GET",
    audience="partner",
    query=StatementFormat,
    response=Statement,
    csv=True,
    html=True,
    scopes=FINANCE,
)
def partner_statement(call: Call, period: str) -> Any:
    """This partner's statement for a closed day (YYYY-MM-DD), month (YYYY-MM) or range of closed days
    (YYYY-MM-DD..YYYY-MM-DD, at most 92): JSON; ?format=csv the summary table; ?format=html the statement page."""
    return _statement(call, call.partner_id, period)


@endpoint(
    settlement_api,
    "/v1/admin/settlements/{period}/statements/{partner_id}",
    "GET",
    audience="operator",
    query=StatementFormat,
    response=Statement,
    csv=True,
    html=True,
)
def operator_partner_statement(call: Call, period: str, partner_id: str) -> Any:
    """A partner's statement as the partner reads it (JSON, ?format=csv or ?format=html): what the operator's
    support and its CLI open and export."""
    if partner_id != OPERATOR and call.rt.store.directory.get_partner(partner_id) is None:
        raise NotFound(f"partner {partner_id} does not exist")
    return _statement(call, partner_id, period)


def _statement(call: Call, party: str, period: str) -> Any:
    output = call.query("format") or "json"
    if output == "json":
        return statements.partner_statement(call.rt, party, period)
    if output == "csv":
        closed = statements.closed_period(call.rt, period)
        payment = statements.report_of(call.rt, closed, party).payment
        body = statement_csv(closed.settlement.statement(party), payment)
        return Response(body, status_code=200, headers={"Content-Type": CSV})
    if output == "html":
        page = statements.statement_page(call.rt, party, period)
        return Response(page, status_code=200, headers={"Content-Type": HTML})
    raise InvalidRequest("format is json, csv or html", field="format")


@endpoint(
    settlement_api,
    "/v1/settlements/{period}/items",
    "GET",
    audience="partner",
    query=ItemsQuery,
    response=LineItemsPage,
    csv=True,
    scopes=FINANCE,
    links=(Link("statement_items", {"path.period": "period", "query.cursor": "next_cursor"}),),
)
def statement_items(call: Call, period: str) -> Any:
    """The line items of this partner's closed period, in booking order: every entry that moved its points or money
    (date, entry, member pseudonym, type, role, points, counterparty, amount), so the statement reconciles with the
    till or ERP. ?format=csv gives the page as CSV (with `X-Next-Cursor`); the whole period's file is `items_url` of a
    statement link. `amount` is exact; the statement rounds each pair of brands' day to the cent."""
    output = call.query("format") or "json"
    if output not in ("json", "csv"):
        raise InvalidRequest("format is json or csv", field="format")
    page = line_items.items_page(call.rt, call.partner_id, period, call.limit(), call.query("cursor") or None)
    if output == "csv":
        headers: dict[str, str | list[str]] = {"Content-Type": CSV}
        if page.next_cursor:
            headers["X-Next-Cursor"] = page.next_cursor
        return Response(page.csv, status_code=200, headers=headers)
    return {
        "period": page.period,
        "currency": page.currency,
        "items": [item_view(item) for item in page.items],
        "next_cursor": page.next_cursor,
    }


@endpoint(
    settlement_api,
    "/v1/settlements/{period}/links",
    "POST",
    audience="partner",
    status=201,
    response=StatementLinkView,
    scopes=FINANCE,
)
def statement_link(call: Call, period: str, body: StatementLinkRequest) -> dict[str, str | None]:
    """A link to this partner's statement page that opens in a browser with no key and no header (a presigned URL
    of the page in the statements bucket), valid `valid_hours` (default 72, at most 168)."""
    try:
        link = statement_links.create_link(call.rt, call.partner_id, period, body.valid_hours)
    except PublicationFailed:
        raise RetryLater("the statements store is not answering; ask for the link again") from None
    return {"url": link.url, "expires_at": link.expires_at, "period": link.period, "items_url": link.items_url}


@endpoint(
    settlement_api,
    "/v1/admin/settlements/{date}/close",
    "POST",
    audience="operator",
    status=201,
    response=SettlementDocument,
    links=(
        Link("operator_settlement", {"path.period": "period"}),
        Link("partner_statement", {"path.period": "period"}),
        Link("statement_link", {"path.period": "period"}),
    ),
)
def close_day(call: Call, date: str) -> Reply:
    """Close a settlement day (idempotent: a closed day answers the same document, as a replay)."""
    return settlement.close_day_once(call.rt, date)


@endpoint(settlement_api, "/v1/admin/settlements/{period}", "GET", audience="operator", response=SettlementDocument)
def operator_settlement(call: Call, period: str) -> Response:
    """All partners' settlement for a closed day or month: matrix, net positions, payments."""
    return json_response(200, settlement.operator_view(call.rt, period))


@endpoint(
    settlement_api,
    "/v1/admin/reconciliation",
    "GET",
    audience="operator",
    query=ReconciliationPage,
    response=ReconciliationReport,
    links=(
        Link(
            "reconciliation",
            {"query.cursor": "next_cursor", "query.segment": "scope/segment", "query.segments": "scope/segments"},
        ),
    ),
)
def reconciliation(call: Call) -> dict[str, Any]:
    """The ledger invariants checked live, one segment page at a time (?segment=&segments=&limit=&cursor=)."""
    segment, segments = call.whole_number("segment", 0), call.whole_number("segments", 1)
    return reconciliation_service.reconcile(
        call.rt, segment, segments, call.limit(default=100), call.query("cursor") or None
    )


@endpoint(
    settlement_api,
    "/v1/reports/summary",
    "GET",
    audience="partner",
    query=DateRange,
    response=ReportSummary,
    scopes=FINANCE,
)
def report_summary(call: Call) -> dict[str, Any]:
    """This partner's KPIs over ?from=YYYY-MM-DD&to=YYYY-MM-DD (at most 92 days)."""
    return reports.summary(call.rt, call.partner_id, call.query("from"), call.query("to"))


def item_view(item: LineItem) -> dict[str, Any]:
    return {
        "booked_at": item.booked_at,
        "entry_id": item.entry_id,
        "type": item.type,
        "role": item.role,
        "reference": item.reference or None,
        "member_id": item.member_id,
        "at_partner": item.at_partner,
        "issuer": item.issuer,
        "counterparty": item.counterparty or None,
        "points": item.points,
        "amount": format(item.amount.normalize() if item.amount else item.amount, "f"),
        "store_id": item.store_id or None,
        "channel": item.channel or None,
    }
