"""The job mechanism: a schedule (or the operator) enqueues one message per shard; the queue consumer runs
one shard. Without a queue (local stage) the shards run inline, through the same functions.

A message is {"job", "shard", ...parameters}; every shard run is idempotent, so a redelivered message
finds nothing left to do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..domain.errors import InvalidRequest
from ..observability import logger
from ..services.runtime import Runtime
from . import (
    due_members,
    due_vouchers,
    grants,
    hold_sweep,
    memberships,
    segment_counts,
    settlement_close,
    tier_reevaluation,
    webhook_outbox,
)
from .queue import enqueue


@dataclass(frozen=True)
class ShardedJob:
    shards: Callable[[Runtime], list[str]]
    run: Callable[[Runtime, dict[str, Any]], int]  # one shard, from its message
    dated: bool = False  # takes an as_of date (default: today, UTC)


def _as_of(message: dict[str, Any]) -> date:
    return date.fromisoformat(message["as_of"])


JOBS: dict[str, ShardedJob] = {
    hold_sweep.JOB: ShardedJob(hold_sweep.shard_names, lambda rt, m: hold_sweep.sweep_shard(rt, m["shard"])),
    due_members.TIER_REVIEW: ShardedJob(
        due_members.review_shards, lambda rt, m: due_members.review_shard(rt, m["shard"], _as_of(m)), dated=True
    ),
    due_members.EXPIRY: ShardedJob(
        due_members.expiry_shards, lambda rt, m: due_members.expiry_shard(rt, m["shard"], _as_of(m)), dated=True
    ),
    due_vouchers.JOB: ShardedJob(
        due_vouchers.shard_names, lambda rt, m: due_vouchers.run_shard(rt, m["shard"], _as_of(m)), dated=True
    ),
    memberships.JOB: ShardedJob(
        memberships.shard_names, lambda rt, m: memberships.run_shard(rt, m["shard"], _as_of(m)), dated=True
    ),
    webhook_outbox.EXPIRING: ShardedJob(
        webhook_outbox.expiring_shards,
        lambda rt, m: webhook_outbox.expiring_shard(rt, m["shard"], _as_of(m)),
        dated=True,
    ),
    tier_reevaluation.JOB: ShardedJob(
        tier_reevaluation.segment_names, lambda rt, m: tier_reevaluation.run_segment(rt, m["shard"], m.get("cursor"))
    ),
}

MESSAGE_HANDLERS: dict[str, Callable[[Runtime, dict[str, Any]], int]] = {
    **{name: job.run for name, job in JOBS.items()},
    settlement_close.JOB: lambda rt, m: settlement_close.run_shard(rt, m["day"], int(m["shard"])),
    grants.JOB: grants.run_message,  # started by POST /v1/admin/grants, not by a schedule
    segment_counts.JOB: segment_counts.run_message,  # started when a segment is defined, or by the operator
}


def fan_out(rt: Runtime, name: str, as_of: str | None = None) -> dict[str, Any]:
    job = JOBS[name]
    parameters: dict[str, Any] = {}
    if job.dated:
        parameters["as_of"] = _checked_as_of(rt, as_of)
    elif as_of is not None:  # silently ignoring it would let the operator believe it was used
        raise InvalidRequest(f"{name} takes no as_of: it works on what is due now", field="as_of")
    messages = [{"job": name, "shard": shard, **parameters} for shard in job.shards(rt)]
    if enqueue(rt, messages):
        logger.info("job fanned out", extra={"job": name, "shards": len(messages)})
        return {"job": name, **parameters, "shards": len(messages), "inline": False}
    done = sum(job.run(rt, message) for message in messages)
    return {"job": name, **parameters, "shards": len(messages), "inline": True, "processed": done}


def _checked_as_of(rt: Runtime, as_of: str | None) -> str:
    today = rt.now().date()
    if as_of is None:
        return today.isoformat()
    try:
        day = date.fromisoformat(as_of)
    except ValueError:
        raise InvalidRequest("as_of is a date (YYYY-MM-DD)", field="as_of") from None
    if day > today:
        raise InvalidRequest("as_of cannot be in the future", field="as_of")
    return day.isoformat()


def close_due_settlements(rt: Runtime) -> dict[str, Any]:
    return settlement_close.close_due(rt)


def run_message(rt: Runtime, body: str) -> int:
    message = json.loads(body)
    return MESSAGE_HANDLERS[message["job"]](rt, message)
