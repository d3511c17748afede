"""Sending job messages to the jobs queue (one message per shard)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from ..domain.grants import ShardFigures
from ..services.runtime import Runtime, iso
from ..store import clients

Page = Callable[[str | None], tuple[ShardFigures, str | None]]  # a page from a cursor: its figures, the next cursor


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


def page_id(cursor: str | None) -> str:
    """A page of a shard, named by where it starts."""
    return "start" if cursor is None else hashlib.sha256(cursor.encode()).hexdigest()[:24]


def run_pages(rt: Runtime, job: str, job_id: str, shard: str, cursor: str | None, page: Page) -> int:
    """A sharded job's shard, from `cursor` (None: its first page) to its end, or to the first page that sends the
    next one as a message (so no run nears Lambda's 15 minutes). Each page's completion record is written once: a
    redelivered page that was completed only passes on where its shard goes on from. Returns the members the pages
    run here went through."""
    went_through = 0
    while True:
        completed = rt.store.jobs.page_done(job_id, shard, page_id(cursor))
        if completed is not None:
            next_cursor = completed.next_cursor
        else:
            figures, next_cursor = page(cursor)
            if rt.store.jobs.complete_page(job_id, shard, page_id(cursor), next_cursor, figures, iso(rt.now())):
                went_through += figures.seen
        if next_cursor is None:
            return went_through
        if enqueue(rt, [{"job": job, "job_id": job_id, "shard": shard, "cursor": next_cursor}]):
            return went_through  # the rest of the shard runs in its own invocation
        cursor = next_cursor
