"""A partner reads its own purchases, redemptions and holds: one by its id, or a page of them by booking day.

Isolation is by construction: every key read starts with the calling partner's id (the record's key is
partner#kind#id, the listing's partition partner#kind#shard), so another partner's records cannot be named, even
with the same id or a forged cursor.

Cost, whatever the partner's history:
- one record: 1 GetItem (a hold: 1 BatchGetItem of the hold, its capture and its void);
- a page: one Query per shard not finished yet (at most LIST_SHARDS = 16, keys only, `limit` + 1 keys each), then
  1 BatchGetItem of the `limit` records shown (holds: of up to 3 × `limit` records, so up to 3 calls at limit 100).
Records booked before the listing keys existed are not listed (they are still found by id).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from ..domain.cursors import refused
from ..domain.errors import NotFound
from ..domain.ledger import OperationRecord, operation_key
from ..domain.listing import ListQuery, ShardStates, Window, decode_states, encode_states, merge
from ..domain.movements import OperationKind
from ..store.layout import list_shards
from .partner_views import (
    PartnerHold,
    PartnerHolds,
    PartnerRedemption,
    PartnerRedemptions,
    PartnerTransaction,
    PartnerTransactions,
    hold_view,
    redemption_view,
    transaction_view,
)
from .runtime import Runtime


def transaction(rt: Runtime, partner_id: str, transaction_id: str) -> PartnerTransaction:
    return transaction_view(_own(rt, partner_id, OperationKind.PURCHASE, transaction_id, "transaction"))


def redemption(rt: Runtime, partner_id: str, redemption_id: str) -> PartnerRedemption:
    return redemption_view(_own(rt, partner_id, OperationKind.REDEMPTION, redemption_id, "redemption"))


def hold(rt: Runtime, partner_id: str, hold_id: str) -> PartnerHold:
    views = _hold_views(rt, partner_id, [operation_key(partner_id, OperationKind.HOLD, hold_id)])
    if not views:
        raise NotFound(f"hold {hold_id} not found")
    return views[0]


def transactions(
    rt: Runtime,
    partner_id: str,
    first: date | None,
    last: date | None,
    store_id: str | None,
    cursor: str | None,
    limit: int,
) -> PartnerTransactions:
    keys, next_cursor = _page(rt, partner_id, OperationKind.PURCHASE, first, last, store_id, cursor, limit)
    return PartnerTransactions(transactions=[transaction_view(r) for r in _records(rt, keys)], next_cursor=next_cursor)


def redemptions(
    rt: Runtime, partner_id: str, first: date | None, last: date | None, cursor: str | None, limit: int
) -> PartnerRedemptions:
    keys, next_cursor = _page(rt, partner_id, OperationKind.REDEMPTION, first, last, None, cursor, limit)
    return PartnerRedemptions(redemptions=[redemption_view(r) for r in _records(rt, keys)], next_cursor=next_cursor)


def holds(
    rt: Runtime, partner_id: str, first: date | None, last: date | None, cursor: str | None, limit: int
) -> PartnerHolds:
    keys, next_cursor = _page(rt, partner_id, OperationKind.HOLD, first, last, None, cursor, limit)
    return PartnerHolds(holds=_hold_views(rt, partner_id, keys), next_cursor=next_cursor)


def _own(rt: Runtime, partner_id: str, kind: OperationKind, operation_id: str, noun: str) -> OperationRecord:
    record = rt.store.operations.find(operation_key(partner_id, kind, operation_id))
    if record is None:
        raise NotFound(f"{noun} {operation_id} not found")
    return record


def _hold_views(rt: Runtime, partner_id: str, hold_keys: list[str]) -> list[PartnerHold]:
    """Holds with what became of them: their capture and void records share the hold's id (one BatchGetItem)."""
    ids = [key.split("#", 2)[2] for key in hold_keys]
    wanted = hold_keys + [
        operation_key(partner_id, kind, hold_id)
        for hold_id in ids
        for kind in (OperationKind.CAPTURE, OperationKind.VOID)
    ]
    found = rt.store.operations.find_many(wanted)
    now = rt.now()
    return [
        hold_view(
            found[key],
            found.get(operation_key(partner_id, OperationKind.CAPTURE, hold_id)),
            found.get(operation_key(partner_id, OperationKind.VOID, hold_id)),
            now,
        )
        for key, hold_id in zip(hold_keys, ids, strict=True)
        if key in found
    ]


def _page(
    rt: Runtime,
    partner_id: str,
    kind: OperationKind,
    first: date | None,
    last: date | None,
    store_id: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[str], str | None]:
    """The keys of the page's records, newest first, and the cursor of the next page (None: none)."""
    shards = list_shards()
    if cursor:
        window, store_id_then, states = decode_states(cursor, kind.value, shards, _cursor_key(rt))
        # A cursor continues the list it came from: the window and store travel in it; naming others is a mistake.
        if (first is not None and first != window.first_day) or (last is not None and last != window.last_day):
            raise refused()
        if store_id is not None and store_id != store_id_then:
            raise refused()
        query = ListQuery(kind.value, window, store_id_then)
    else:
        query = ListQuery(kind.value, Window.of(first, last, rt.now().date()), store_id)
        states = ShardStates()
    reads = [
        rt.store.operations.listed(
            partner_id, kind.value, query.store_id, shard, query.window, states.after.get(shard), limit
        )
        for shard in states.pending(shards)
    ]
    shown, after = merge(reads, states, limit)
    keys = [operation_key(partner_id, kind, position.split("#", 1)[1]) for _, position in shown]
    return keys, None if after.finished(shards) else encode_states(query, after, _cursor_key(rt))


def _records(rt: Runtime, keys: list[str]) -> list[OperationRecord]:
    """The records shown, in the page's order, as last written (one BatchGetItem)."""
    found = rt.store.operations.find_many(keys)
    return [found[key] for key in keys if key in found]


def _cursor_key(rt: Runtime) -> bytes:
    """The cursors' signing key, derived from the stage's secret (never the secret itself)."""
    secret = rt.settings.pii_hmac_key.get_secret_value().encode()
    return hmac.new(secret, b"partner-list-cursor", hashlib.sha256).digest()
