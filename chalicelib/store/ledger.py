"""Reading a member's ledger: newest first, one Query per page whatever the history's length."""

from __future__ import annotations

from decimal import Decimal

from ..domain.cursors import decode_cursor, encode_cursor, refused
from ..domain.effect import measured_from_raw
from ..domain.ledger import Entry, EntryFilter, Sale
from ..domain.movements import EntryType
from ..domain.wallet import Portion
from .errors import translated
from .models import EntryItem

# Entries a filtered page reads at most (one Query, about 100 KB): a filter that matches little answers a short page and
# a cursor to read on, never an unbounded read.
FILTERED_READ = 100


def list_entries(
    member_id: str, limit: int, cursor: str | None, wanted: EntryFilter | None = None
) -> tuple[list[Entry], str | None]:
    if wanted is not None and wanted != EntryFilter():
        return _filtered_page(member_id, limit, cursor, wanted)
    start_seq = _decode_cursor(cursor, member_id) if cursor else None
    # One item more than asked tells whether another page exists, so next_cursor is null at the end.
    with translated():
        items = list(
            EntryItem.query(
                member_id,
                range_key_condition=EntryItem.seq < start_seq if start_seq is not None else None,
                scan_index_forward=False,
                limit=limit + 1,
                page_size=limit + 1,
            )
        )
    entries = [to_entry(item) for item in items[:limit]]
    next_cursor = _encode_cursor(member_id, entries[-1].seq) if len(items) > limit else None
    return entries, next_cursor


def _filtered_page(
    member_id: str, limit: int, cursor: str | None, wanted: EntryFilter
) -> tuple[list[Entry], str | None]:
    """Up to `limit` matching entries among the next FILTERED_READ, newest first; the cursor says where to read on."""
    start_seq = _decode_cursor(cursor, member_id) if cursor else None
    with translated():
        items = list(
            EntryItem.query(
                member_id,
                range_key_condition=EntryItem.seq < start_seq if start_seq is not None else None,
                scan_index_forward=False,
                limit=FILTERED_READ + 1,  # one more: whether the history goes on past what this page read
                page_size=FILTERED_READ + 1,
            )
        )
    read, more = [to_entry(item) for item in items[:FILTERED_READ]], len(items) > FILTERED_READ
    shown: list[Entry] = []
    for entry in read:
        if wanted.before_period(entry):
            return shown, None  # older entries are older still
        if not wanted.matches(entry):
            continue
        if len(shown) == limit:  # a further match exists: the next page starts after the last one shown
            return shown, _encode_cursor(member_id, shown[-1].seq)
        shown.append(entry)
    return shown, _encode_cursor(member_id, read[-1].seq) if more else None


def get_entry(member_id: str, seq: int) -> Entry | None:
    """One entry of the member by its number: one (consistent) GetItem."""
    with translated():
        try:
            item = EntryItem.get(member_id, seq, consistent_read=True)
        except EntryItem.DoesNotExist:
            return None
    return to_entry(item)


def all_entries(member_id: str) -> list[Entry]:
    """Every entry of one member, oldest first (reconciliation and tests, not request paths)."""
    with translated():
        return [to_entry(item) for item in EntryItem.query(member_id, consistent_read=True)]


def to_entry(item: EntryItem) -> Entry:
    return Entry(
        seq=int(item.seq),
        entry_id=item.entry_id,
        type=EntryType(item.type),
        partner_id=item.partner_id,
        points=int(item.points),
        held=int(item.held or 0),
        breakdown=item.breakdown,
        attribution=[Portion.from_dict(p) for p in item.attribution or []],
        reference=item.reference,
        booked_at=item.booked_at,
        member_id=item.member_id,
        point_value=None if item.point_value is None else Decimal(item.point_value),
        fees_per_point={issuer: Decimal(fee) for issuer, fee in (item.fees_per_point or {}).items()},
        bonuses={funder: Decimal(amount) for funder, amount in (item.bonuses or {}).items()},
        values={issuer: Decimal(amount) for issuer, amount in (item.values or {}).items()},
        from_tier=item.from_tier,
        sale=None if item.sale is None else Sale.from_dict(item.sale),
        measured=measured_from_raw(item.measured),
        fee_collected=None if item.fee_collected is None else Decimal(item.fee_collected),
    )


def _encode_cursor(member_id: str, seq: int) -> str:
    return encode_cursor({"m": member_id, "s": seq})


def _decode_cursor(cursor: str, member_id: str) -> int:
    fields = decode_cursor(cursor)
    seq = fields.get("s")
    # Only what _encode_cursor writes: a sequence number DynamoDB can take (bool is an int in Python;
    # a 40-digit number is a ValidationException in DynamoDB, which moto does not raise).
    if fields.get("m") != member_id or type(seq) is not int or not 0 <= seq < 2**53:
        raise refused()
    return seq
