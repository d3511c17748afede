"""The audit trail: every operator action that changes something is a record — who (which operator key), when,
what (the call and its body), the state it changed as read just before, and the answer after — readable by the
operator (GET /v1/admin/audit?from=&to=). Written after the action succeeded (one PutItem); secrets an answer
shows once (a new API key) are never kept."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from datetime import date, timedelta
from typing import Any

from ..domain.cursors import decode_cursor, encode_cursor, refused
from ..domain.errors import InvalidRequest
from ..store.audit import AuditRecord
from .retrying import until_written
from .runtime import Runtime, iso

SECRET_FIELDS = frozenset({"api_key", "secret", "token", "password"})
KEPT_BYTES = 16_000  # a larger answer (a whole settlement document) is noted by size: it is stored elsewhere
MAX_DAYS = 92


def record_action(
    rt: Runtime, actor: str, action: str, target: str | None, request: Any, before: Any, answer: str, status: int
) -> None:
    """One PutItem, retried on throttling like any write (each part capped: the item stays far below DynamoDB's
    400 KB whatever the programme's size)."""
    record = AuditRecord(
        at=iso(rt.now()),
        # In the order actions happened, even within a millisecond (or under a test's frozen clock): the wall
        # clock in nanoseconds, then a random tail against two containers at the same nanosecond.
        record_id=f"{time.time_ns():020d}{secrets.token_hex(2)}",
        actor=actor,
        action=action,
        target=target,
        request=_kept(_redacted(request)),
        before=_kept(_redacted(before)),
        after=_kept(_redacted(_parsed(answer))),
        status=status,
    )
    until_written(rt, lambda: rt.store.audit.save(record), "the audit record")


def _kept(value: Any) -> Any:
    """The value, or a note of its size and digest when too large to keep here (a whole programme or settlement
    document: the programme's own item and the statements hold them; the digest proves which one it was)."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True)
    if len(text) <= KEPT_BYTES:
        return value
    return {"bytes": len(text), "sha256": hashlib.sha256(text.encode()).hexdigest()}


def audit_page(rt: Runtime, start: date, end: date, limit: int, cursor: str | None) -> dict[str, Any]:
    """The records of days start..end in order, a page at a time (one Query per day read)."""
    if end < start or (end - start).days >= MAX_DAYS:
        raise InvalidRequest(f"from..to must be 1 to {MAX_DAYS} days, from first", field="to")
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]  # never a step past the end
    first, after = (start, None) if cursor is None else _decode(cursor, start, end)
    records: list[AuditRecord] = []
    for index in range(days.index(first), len(days)):
        while len(records) < limit:
            page, after = rt.store.audit.day(days[index].isoformat(), limit - len(records), after)
            records += page
            if after is None:
                break
        if len(records) == limit:  # full: go on after the last record, or with the next day
            if after is not None:
                return _page(records, _encode(days[index], after))
            more = index + 1 < len(days)
            return _page(records, _encode(days[index + 1], None) if more else None)
    return _page(records, None)


def _page(records: list[AuditRecord], next_cursor: str | None) -> dict[str, Any]:
    return {"records": [_view(r) for r in records], "next_cursor": next_cursor}


def _view(record: AuditRecord) -> dict[str, Any]:
    return {
        "at": record.at,
        "actor": record.actor,
        "action": record.action,
        "target": record.target,
        "status": record.status,
        "request": record.request,
        "before": record.before,
        "after": record.after,
    }


def _parsed(answer: str) -> Any:
    try:
        return json.loads(answer) if answer else None
    except ValueError:
        return {"bytes": len(answer)}


def _redacted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "(not kept)" if k in SECRET_FIELDS else _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


AT_ID = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z#[0-9]{20}[0-9a-f]{4}")


def _encode(day: date, after: str | None) -> str:
    return encode_cursor({"d": day.isoformat(), "a": after})


def _decode(cursor: str, start: date, end: date) -> tuple[date, str | None]:
    fields = decode_cursor(cursor)
    after = fields.get("a")
    try:
        day = date.fromisoformat(fields.get("d"))  # type: ignore[arg-type]  # refused below when not text
    except (ValueError, TypeError):
        raise refused() from None
    if not start <= day <= end or not (after is None or (isinstance(after, str) and AT_ID.fullmatch(after))):
        raise refused()
    return day, after
