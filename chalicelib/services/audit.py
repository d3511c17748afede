"""The audit trail: every operator action that changes something is a record — who (which operator key), when,
what (the call and its body), the state it changed as read just before, and the answer after — readable by the
operator (GET /v1/admin/audit?from=&to=). Written after the action succeeded (one PutItem); secrets an answer
shows once (a new API key) are never kept."""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
from datetime import date, timedelta
from typing import Any

from ..domain.errors import InvalidRequest
from ..store.audit import AuditRecord
from .runtime import Runtime, iso

SECRET_FIELDS = frozenset({"api_key", "secret", "token", "password"})
KEPT_BYTES = 16_000  # a larger answer (a whole settlement document) is noted by size: it is stored elsewhere
MAX_DAYS = 92


def record_action(
    rt: Runtime, actor: str, action: str, target: str | None, request: Any, before: Any, answer: str, status: int
) -> None:
    after: Any = {"bytes": len(answer)} if len(answer) > KEPT_BYTES else _parsed(answer)
    record = AuditRecord(
        at=iso(rt.now()),
        # In the order actions happened, even within a millisecond (or under a test's frozen clock): the wall
        # clock in nanoseconds, then a random tail against two containers at the same nanosecond.
        record_id=f"{time.time_ns():020d}{secrets.token_hex(2)}",
        actor=actor,
        action=action,
        target=target,
        request=_redacted(request),
        before=_redacted(before),
        after=_redacted(after),
        status=status,
    )
    rt.store.audit.save(record)


def audit_page(rt: Runtime, start: date, end: date, limit: int, cursor: str | None) -> dict[str, Any]:
    """The records of days start..end in order, a page at a time (one Query per day read)."""
    if end < start or (end - start).days >= MAX_DAYS:
        raise InvalidRequest(f"from..to must be 1 to {MAX_DAYS} days, from first", field="to")
    day, after = (start, None) if cursor is None else _decode(cursor, start, end)
    records: list[AuditRecord] = []
    while day <= end and len(records) < limit:
        page, after = rt.store.audit.day(day.isoformat(), limit - len(records), after)
        records += page
        if after is None:
            day += timedelta(days=1)
    more = day <= end
    next_cursor = _encode(day, after) if more and len(records) == limit else None
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
    raw = json.dumps({"d": day.isoformat(), "a": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, start: date, end: date) -> tuple[date, str | None]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        day, after = date.fromisoformat(raw["d"]), raw["a"]
        if not start <= day <= end or not (after is None or (isinstance(after, str) and AT_ID.fullmatch(after))):
            raise ValueError
        return day, after
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidRequest("cursor is not one this API returned", field="cursor") from None
