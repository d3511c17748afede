"""Closing due settlement days, fanned out per shard through the jobs queue.

The schedule first publishes the closed periods still missing from S3, then finds the next due day and sends
one message per shard; each shard's consumer reads that day's entries of its shard, stores its part, and the
consumer that stores the last part finalizes the day (the stored close is conditional, so two finalizers
cannot both win) and fans out the next due day. Without a queue the same functions run inline.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import RuleViolation, TransientFailure
from ..domain.settlement import PointFlows
from ..observability import logger
from ..services import settlement
from ..services.runtime import Runtime
from ..store import layout
from .queue import enqueue
from .webhook_outbox import notify_closed_days

JOB = "settle-shard"


def close_due(rt: Runtime) -> dict[str, object]:
    """The hourly run: first publish what earlier closes could not (a cursor, not a scan), tell the partners' webhooks
    of the days closed since (their own cursor: a step that fails alone and is redone alone), then close."""
    published = settlement.publish_pending(rt)
    announce_closed_days(rt)
    day = settlement.next_due_day(rt)
    if day is None:
        return {"due": None, "published": published}
    messages = [{"job": JOB, "day": day, "shard": n} for n in layout.settlement_shards()]
    if enqueue(rt, messages):
        return {"due": day, "fanned_out": len(messages), "published": published}
    return {"due": day, "closed": settlement.close_due_days(rt), "published": published}


def run_shard(rt: Runtime, day: str, shard: int) -> int:
    """One shard of one day. A redelivered message rewrites the same part and changes nothing."""
    if rt.store.settlements.get_document(day) is not None:
        return 0
    flows = settlement.aggregate_shard(rt, day, shard, settlement.party_ids(rt))
    rt.store.settlements.save_part(day, shard, flows)
    parts = rt.store.settlements.parts(day)
    if len(parts) == len(layout.settlement_shards()):
        merged = PointFlows()
        for part in parts.values():
            merged.merge(part)
        try:
            settlement.check_closable(rt, day)
        except RuleViolation:
            return flows.entries
        settlement.finalize_day(rt, day, merged)
        close_due(rt)  # the next day, if it is due too
    return flows.entries


def announce_closed_days(rt: Runtime) -> None:
    """settlement.closed to the webhooks; a failure waits for the next hourly run and never stops the close."""
    try:
        notify_closed_days(rt)
    except (TransientFailure, BotoCoreError, ClientError, RuntimeError):
        logger.exception("settlement webhooks pending")
