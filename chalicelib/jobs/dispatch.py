"""The job mechanism: a schedule enqueues one message per shard; the queue consumer runs one shard.

Without a queue (local stage) the shards run inline, through the same functions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..observability import logger
from ..services.runtime import Runtime
from . import hold_sweep, settlement_close
from .queue import enqueue

# Jobs the operator can start by name: how to list their shards, and how to run one.
SHARDED_JOBS: dict[str, tuple[Callable[[Runtime], list[str]], Callable[[Runtime, str], int]]] = {
    hold_sweep.JOB: (hold_sweep.shard_names, hold_sweep.sweep_shard),
}

MESSAGE_HANDLERS: dict[str, Callable[[Runtime, dict[str, Any]], int]] = {
    hold_sweep.JOB: lambda rt, m: hold_sweep.sweep_shard(rt, m["shard"]),
    settlement_close.JOB: lambda rt, m: settlement_close.run_shard(rt, m["day"], int(m["shard"])),
}


def fan_out(rt: Runtime, job: str) -> dict[str, Any]:
    shards_of, run_shard = SHARDED_JOBS[job]
    shards = shards_of(rt)
    if enqueue(rt, [{"job": job, "shard": shard} for shard in shards]):
        logger.info("job fanned out", extra={"job": job, "shards": len(shards)})
        return {"job": job, "shards": len(shards), "inline": False}
    done = sum(run_shard(rt, shard) for shard in shards)
    return {"job": job, "shards": len(shards), "inline": True, "processed": done}


def close_due_settlements(rt: Runtime) -> dict[str, Any]:
    return settlement_close.close_due(rt)


def run_message(rt: Runtime, body: str) -> int:
    """One shard of one job. Idempotent: a redelivered message finds nothing left to do."""
    message = json.loads(body)
    return MESSAGE_HANDLERS[message["job"]](rt, message)
