"""Sending job messages to the jobs queue (one message per shard)."""

from __future__ import annotations

import json
from typing import Any

from ..services.runtime import Runtime
from ..store import clients


def enqueue(rt: Runtime, messages: list[dict[str, Any]]) -> bool:
    """Send the messages; False when this stage has no queue (the caller then runs them inline)."""
    queue_url = rt.settings.jobs_queue_url
    if not queue_url:
        return False
    sqs = clients.client("sqs", rt.settings.region)
    for start in range(0, len(messages), 10):  # SendMessageBatch takes 10 at a time
        batch = messages[start : start + 10]
        sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "MessageBody": json.dumps(m, separators=(",", ":"))} for i, m in enumerate(batch)],
        )
    return True
