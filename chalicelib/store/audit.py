"""The audit trail of operator actions: one item per action, partitioned by day (a day's actions in one Query,
in the order they happened). Operator actions are few (people at a desk, scheduled jobs): no hot key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import translated
from .models import AuditItem


@dataclass(frozen=True)
class AuditRecord:
    at: str  # ISO 8601 UTC, milliseconds
    record_id: str
    actor: str  # which operator key (a fingerprint, never the key)
    action: str  # METHOD path, as called
    target: str | None  # what it acted on (a partner, a member, a campaign, a day)
    request: Any  # the body sent (JSON), if any
    before: Any  # the state it changed, as read just before (JSON), if the action reads one
    after: Any  # the answer (JSON), or a note of its size when too large to keep
    status: int

    @property
    def day(self) -> str:
        return self.at[:10]


def save_record(record: AuditRecord) -> None:
    with translated():
        AuditItem(
            day=record.day,
            at_id=f"{record.at}#{record.record_id}",
            actor=record.actor,
            action=record.action,
            target=record.target,
            request=record.request,
            before=record.before,
            after=record.after,
            status=record.status,
        ).save()


def day_records(day: str, limit: int, after: str | None) -> tuple[list[AuditRecord], str | None]:
    """A day's records in order (one Query of limit + 1: whether more exist); the at_id to continue after."""
    start = None if after is None else {"day": {"S": day}, "at_id": {"S": after}}
    with translated():
        items = list(AuditItem.query(day, limit=limit + 1, last_evaluated_key=start))
    records = [_to_record(item) for item in items[:limit]]
    return records, items[limit - 1].at_id if len(items) > limit else None


def _to_record(item: AuditItem) -> AuditRecord:
    at, _, record_id = item.at_id.partition("#")
    return AuditRecord(
        at, record_id, item.actor, item.action, item.target, item.request, item.before, item.after, int(item.status)
    )
