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
    next one as a message (so no run nears Lambda's 15 minutes). Returns the members the pages run here went through.

    Each page's completion record is written once, and a page sends the next page's message before it completes:
    so a page found complete was carried on by the run that completed it, and a redelivered message stops there (a
    run that died before completing its page is redelivered, runs the page, and sends the next one again: that
    message finds the next page complete, or runs it once, the completion record deciding between two at once)."""
    went_through = 0
    while True:
        if rt.store.jobs.page_done(job_id, shard, page_id(cursor)) is not None:
            return went_through
        figures, next_cursor = page(cursor)
        sent = next_cursor is not None and enqueue(
            rt, [{"job": job, "job_id": job_id, "shard": shard, "cursor": next_cursor}]
        )
        if not rt.store.jobs.complete_page(job_id, shard, page_id(cursor), next_cursor, figures, iso(rt.now())):
            return went_through  # another run completed it meanwhile
        went_through += figures.seen
        if next_cursor is None or sent:
            return went_through  # done, or the rest of the shard runs in its own invocation
        cursor = next_cursor
