"""Reading operation (idempotency) records."""

from __future__ import annotations

from typing import Any

from ..domain.ledger import OperationRecord
from ..domain.listing import ShardRead, Window
from .errors import get_or_none, translated
from .layout import list_key, store_list_key
from .models import OperationItem, OperationListingIndex, StoreListingIndex
from .packing import pack, unpack


def find_operation(op_key: str) -> OperationRecord | None:
    with translated():
        item = get_or_none(OperationItem, op_key, consistent_read=True)
    if item is None:
        return None
    return _record(item)


# What an answer and its facts repeat (format 1 of `packed`): never change it, see store/packing.py.
_ANSWER_FORMAT_V1 = b"\x01"
_ANSWER_DICTIONARY_V1 = (  # the JSON of a purchase's and a redemption's record, as pack_answer writes it
    b'{"body":"{\\"entry_id\\":\\"m_-000001\\",\\"transaction_id\\":\\"redemption_id\\":\\"hold_id\\":'
    b'\\"member_id\\":\\"m_\\",\\"points\\":\\"breakdown\\":[{\\"rule\\":\\"base_rate\\",\\"points\\":'
    b'\\"detail\\":\\".00 EUR at 1 pt/EUR\\"}],\\"available_points\\":\\"tier\\":\\"member\\"}",'
    b'"data":{"amount":".00","attribution":[{"expires_on":"-30","issuer":"points":}],"channel":"store","online",'
    b'"currency":"EUR","expires_on":"fixed":[],"lines":[[null,null,".00"]],"occurred_at":"T00:00:00.000Z",'
    b'"occurred_on":"point_value":"0.01","proportional":[{"fee_per_point":"0","issuer":"points":"qualifying":true,'
    b'"returned_share":"0","rule":"base_rate","taken":0,"weights":[".00"]}],"returned_amount":"0",'
    b'"returned_by_line":["0"],"reversed":0}}'
)


def pack_answer(body: str, data: dict[str, Any]) -> bytes:
    """A record's answer and facts, deflated: a purchase's record is half its JSON size, so an earn's three items
    stay within 1 KB each."""
    return pack({"body": body, "data": data}, _ANSWER_FORMAT_V1, _ANSWER_DICTIONARY_V1)


def unpack_answer(packed: bytes) -> dict[str, Any]:
    """{body, data} of a record's `packed` (for the record, and for people debugging: `coalition wallet decode`)."""
    unpacked: dict[str, Any] = unpack(packed, {_ANSWER_FORMAT_V1: _ANSWER_DICTIONARY_V1})
    return unpacked


def _answer(item: OperationItem) -> tuple[str, dict[str, Any]]:
    if item.packed is None:  # written before records were packed
        return item.body or "", dict(item.data or {})
    unpacked = unpack_answer(item.packed)
    return str(unpacked["body"]), dict(unpacked["data"])


def _record(item: OperationItem) -> OperationRecord:
    body, data = _answer(item)
    return OperationRecord(
        op_key=item.op_key,
        kind=item.kind,
        partner_id=item.partner_id,
        member_id=item.member_id,
        fingerprint=item.fingerprint,
        status_code=int(item.status_code),
        body=body,
        data=data,
        created_at=item.created_at,
        version=item.version or 0,
    )


def listed_positions(
    partner_id: str, kind: str, store_id: str | None, shard: int, window: Window, after: str | None, limit: int
) -> ShardRead:
    """Up to `limit` positions of one shard of a partner's listing, newest first, below `after` (None: from the top
    of the window): one Query of the keys-only index, `limit` + 1 keys (the extra one says whether more follow)."""
    index: OperationListingIndex | StoreListingIndex
    if store_id is None:
        index, hash_name, hash_value = OperationItem.partner_listing, "list_key", list_key(partner_id, kind, shard)
    else:
        index, hash_name = OperationItem.store_listing, "store_list_key"
        hash_value = store_list_key(partner_id, kind, store_id, shard)
    start = None
    if after is not None:  # the index's key of the last record shown: partition, sort key, and the table's key
        operation_id = after.split("#", 1)[1]
        start = {
            hash_name: {"S": hash_value},
            "list_at": {"S": after},
            "op_key": {"S": f"{partner_id}#{kind}#{operation_id}"},
        }
    with translated():
        items = list(
            index.query(
                hash_value,
                range_key_condition=OperationItem.list_at.between(window.low, window.high),
                scan_index_forward=False,
                limit=limit + 1,
                page_size=limit + 1,
                last_evaluated_key=start,
            )
        )
    positions = [item.list_at for item in items if item.list_at is not None]
    return ShardRead(shard, positions[:limit], len(positions) > limit)


def find_operations(op_keys: list[str]) -> dict[str, OperationRecord]:
    """Records by key, as last written: one BatchGetItem per 100 keys (pynamodb resends unprocessed keys)."""
    with translated():
        items = list(OperationItem.batch_get(list(dict.fromkeys(op_keys)), consistent_read=True)) if op_keys else []
    return {item.op_key: _record(item) for item in items}
