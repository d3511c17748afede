"""A purchase without a member (POST /v1/transactions with no `member`): a sale the partner posts so that members and
non-members can be compared (services/sales_comparison.py). Nothing is earned and nothing personal is kept: the
sale's operation record (its answer, amount, channel and store, for replays and the partner's listing) and what it
adds to the partner's day of non-member sales, written together in one transaction (2 items, no read). Two sales
on the same counter at the same moment conflict: the loser is retried here with backoff, as every booking is.

Exactly once per (partner, transaction_id), as every purchase: the same id again answers the first answer; with
another body (a member's purchase among them), 409. A return of such a sale is refused: there are no points to take
back, and the comparison counts purchases gross (both sides)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..domain.earning import PurchaseLine, split_purchase
from ..domain.errors import CurrencyMismatch, DomainError, DuplicateOperation, RetryLater, TransientFailure
from ..domain.ledger import OperationRecord
from ..domain.money import parse_amount, parse_currency
from ..domain.movements import OperationKind
from ..domain.program import Partner
from ..observability import logger
from .operations import Operation, Reply, backoff, body_text, replay
from .requests import PurchaseRequest
from .runtime import Runtime, iso

ANONYMOUS = "anonymous"  # the record's facts say so: a return finds it there


def record_anonymous_sale(rt: Runtime, partner: Partner, request: PurchaseRequest, operation: Operation) -> Reply:
    try:
        amount, facts = _checked(rt, partner, request)
    except DomainError:
        if rt.store.operations.find(operation.key) is not None:
            return replay(rt, operation)
        raise
    now = rt.now()
    body: dict[str, Any] = {
        "entry_id": None,
        "transaction_id": request.transaction_id,
        "member_id": None,
        "points": 0,
        "breakdown": [],
        "available_points": None,
        "tier": None,
    }
    text = body_text(body)
    record = OperationRecord(
        operation.key,
        OperationKind.PURCHASE.value,
        partner.partner_id,
        "",
        operation.fingerprint,
        201,
        text,
        facts,
        iso(now),
    )
    for attempt in range(1, rt.settings.write_attempts + 1):
        try:
            rt.store.sales.book_anonymous_sale(record, now.date().isoformat(), amount)
            return Reply(201, text)
        except DuplicateOperation:
            return replay(rt, operation)
        except TransientFailure as failure:  # throttled, or another sale's transaction on the same counter
            logger.warning("transient DynamoDB failure", extra={"op": operation.key, "error": str(failure)})
            backoff(attempt, cap=0.4)
    raise RetryLater("the service is busy; retry with the same id")


def _checked(rt: Runtime, partner: Partner, request: PurchaseRequest) -> tuple[Decimal, dict[str, Any]]:
    """The same checks as a member's purchase (currency, amount, items, when): the amount, and what the record keeps
    of the sale."""
    from .earning import check_occurred_at  # the purchase's own rule, in one place

    currency = parse_currency(request.currency)
    if currency != partner.currency:
        raise CurrencyMismatch(f"{partner.partner_id} trades in {partner.currency}, not {currency}", field="currency")
    amount = parse_amount(request.amount, currency)
    items = [
        PurchaseLine(item.category, parse_amount(item.amount, currency, field=f"items[{n}].amount"), item.sku)
        for n, item in enumerate(request.items or [])
    ]
    split_purchase(amount, items)  # refuses items adding up to more than the amount
    occurred_at = check_occurred_at(request.occurred_at, rt.now())
    return amount, {
        ANONYMOUS: True,
        "currency": currency,
        "amount": format(amount, "f"),
        "occurred_at": iso(occurred_at),
        "channel": request.channel,
        **({"store_id": request.store_id} if request.store_id else {}),
    }
