"""Reading operation (idempotency) records."""

from __future__ import annotations

from ..domain.ledger import OperationRecord
from .errors import get_or_none, translated
from .models import OperationItem


def find_operation(op_key: str) -> OperationRecord | None:
    with translated():
        item = get_or_none(OperationItem, op_key, consistent_read=True)
    if item is None:
        return None
    return OperationRecord(
        op_key=item.op_key,
        kind=item.kind,
        partner_id=item.partner_id,
        member_id=item.member_id,
        fingerprint=item.fingerprint,
        status_code=int(item.status_code),
        body=item.body,
        data=dict(item.data or {}),
        created_at=item.created_at,
        version=item.version or 0,
    )
