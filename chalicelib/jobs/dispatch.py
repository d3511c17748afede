"""The job mechanism: a schedule enqueues one message per shard; the queue consumer runs one shard.

Without a queue (local stage) the shards run inline, through the same functions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3

from ..observability import logger
from ..services.runtime import Runtime
from . import hold_sweep

ShardRunner = Callable[[Runtime, str], int]
SHARD_RUNNERS: dict[str, tuple[Callable[[Runtime], list[str]], ShardRunner]] = {
    hold_sweep.JOB: (hold_sweep.shard_names, hold_sweep.sweep_shard),
}


def fan_out(rt: Runtime, job: str) -> dict[str, Any]:
    shards_of, run_shard = SHARD_RUNNERS[job]
    shards = shards_of(rt)
    queue_url = rt.settings.jobs_queue_url
    if not queue_url:
        done = sum(run_shard(rt, shard) for shard in shards)
        return {"job": job, "shards": len(shards), "inline": True, "processed": done}
    sqs = boto3.client("sqs", region_name=rt.settings.region)
    for start in range(0, len(shards), 10):  # SendMessageBatch takes 10 at a time
        batch = shards[start : start + 10]
        sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "MessageBody": json.dumps({"job": job, "shard": s})} for i, s in enumerate(batch)],
        )
    logger.info("job fanned out", extra={"job": job, "shards": len(shards)})
    return {"job": job, "shards": len(shards), "inline": False}


def run_message(rt: Runtime, body: str) -> int:
    """One shard of one job. Idempotent: a redelivered message finds nothing left to do."""
    message = json.loads(body)
    _, run_shard = SHARD_RUNNERS[message["job"]]
    return run_shard(rt, message["shard"])
