"""Vouchers by code (one GetItem), a member's vouchers (one Query), and their items for the booking transaction."""

from __future__ import annotations

from decimal import Decimal

from ..domain.vouchers import Share, Spending, Voucher
from .errors import get_or_none, translated
from .layout import DueIndex, due_shard
from .models import VoucherItem


def find_voucher(code: str) -> Voucher | None:
    with translated():
        item = get_or_none(VoucherItem, code, consistent_read=True)
    return None if item is None else to_voucher(item)


def member_vouchers(member_id: str, limit: int) -> list[Voucher]:
    """The member's newest vouchers first: one Query, bounded by `limit`."""
    with translated():
        items = VoucherItem.by_member.query(member_id, scan_index_forward=False, limit=limit)
        return [to_voucher(item) for item in items]


def to_voucher(item: VoucherItem) -> Voucher:
    spent = item.spent
    return Voucher(
        code=item.code,
        member_id=item.member_id,
        points=int(item.points),
        value=Decimal(item.value),
        currency=item.currency,
        issued_at=item.issued_at,
        expires_on=item.expires_on,
        usable_at=None if item.usable_at is None else frozenset(item.usable_at),
        funding=tuple(Share.from_list(share) for share in item.funding),
        status=item.status,
        spent=None if not spent else Spending(spent["partner_id"], spent["redemption_id"], spent["spent_at"]),
        version=item.version or 0,
    )


def to_item(voucher: Voucher) -> VoucherItem:
    item = VoucherItem(
        code=voucher.code,
        member_id=voucher.member_id,
        points=voucher.points,
        value=format(voucher.value, "f"),
        currency=voucher.currency,
        issued_at=voucher.issued_at,
        expires_on=voucher.expires_on,
        usable_at=None if voucher.usable_at is None else sorted(voucher.usable_at),
        funding=[share.to_list() for share in voucher.funding],
        status=voucher.status,
        spent=None if voucher.spent is None else vars(voucher.spent),
        expiry_shard=due_shard(DueIndex.VOUCHERS, voucher.code) if voucher.status == "open" else None,
    )
    if voucher.version:  # written over the version read; a new voucher carries none (created only if absent)
        item.version = voucher.version
    return item


def vouchers_due(shard: str, before: str) -> list[str]:
    """Codes of the open vouchers on `shard` whose last day is before `before` (one Query of the sparse index)."""
    with translated():
        return [item.code for item in VoucherItem.vouchers_due.query(shard, VoucherItem.expires_on < before)]
