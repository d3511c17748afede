"""Purchases summed per partner and day, for members against non-members (services/sales_comparison.py): members'
written by the settlement close, sales without a member by their own booking, with their operation record."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.effect import MILLI, SaleSums
from ..domain.errors import DuplicateOperation
from ..domain.ledger import OperationRecord
from ..settings import Settings
from .bookings import operation_item
from .errors import translated
from .models import OperationItem, SaleSumsItem
from .tables import connection

# 5,000 sales a second over 32 keys: ~160 writes a second on each (the limit is 1,000). Each is a transaction with
# the sale's record, so two at the same moment on one key conflict (retried by the use case): more keys, fewer.
ANONYMOUS_SHARDS = 32


def _anonymous_pk(partner_id: str, shard: int) -> str:
    return f"ANON#{partner_id}#{shard:02d}"


def book_anonymous_sale(record: OperationRecord, day: str, amount: Decimal, settings: Settings) -> None:
    """The sale's operation record (once: an existing one -> DuplicateOperation) and what it adds to its day's
    counter, in one transaction: replayed, it adds nothing."""
    units = int(amount / MILLI)
    shard = int(hashlib.sha256(record.op_key.encode()).hexdigest(), 16) % ANONYMOUS_SHARDS
    counter = SaleSumsItem(period=_anonymous_pk(record.partner_id, shard), part=day)
    try:
        with translated():
            with TransactWrite(connection=connection(settings)) as transaction:
                transaction.save(operation_item(record), condition=OperationItem.op_key.does_not_exist())
                transaction.update(
                    counter,
                    actions=[
                        SaleSumsItem.sales.add(1),
                        SaleSumsItem.amount.add(units),
                        SaleSumsItem.amount_sq.add(units * units),
                    ],
                )
    except TransactWriteError as error:
        reasons = list(error.cancellation_reasons or [])
        if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            raise DuplicateOperation() from error
        raise


def anonymous_sales(partner_id: str, first: str, last: str) -> SaleSums:
    """A partner's sales without a member, days first..last: one Query per shard, whatever the number of sales."""
    total = SaleSums()
    with translated():
        for shard in range(ANONYMOUS_SHARDS):
            for item in SaleSumsItem.query(_anonymous_pk(partner_id, shard), SaleSumsItem.part.between(first, last)):
                total.merge(_sums(item))
    return total


def save_member_sales(day: str, sales: dict[str, SaleSums]) -> None:
    """Each partner's members' purchases of one closed day (rewritten identically by a close run again)."""
    with translated():
        with SaleSumsItem.batch_write() as batch:
            for partner_id, sums in sales.items():
                batch.save(
                    SaleSumsItem(
                        period=f"SALES#{partner_id}",
                        part=day,
                        sales=sums.count,
                        amount=sums.amount,
                        amount_sq=sums.amount_sq,
                    )
                )


def member_sales(partner_id: str, first: str, last: str) -> SaleSums:
    """A partner's members' purchases of the closed days first..last: one Query."""
    total = SaleSums()
    with translated():
        for item in SaleSumsItem.query(f"SALES#{partner_id}", SaleSumsItem.part.between(first, last)):
            total.merge(_sums(item))
    return total


def _sums(item: SaleSumsItem) -> SaleSums:
    return SaleSums(int(item.sales), int(item.amount), int(item.amount_sq))
