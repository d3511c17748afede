"""A grant's job, or a segment's count, in the directory table: the job (JOB#id), one progress counter per shard
(JOBSHARD#id#shard) and one record per completed page of a shard (JOBPAGE#id#shard#page). Key formats live here
only."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.grants import GrantJob, GrantPlan, JobTally, PageDone, ShardFigures
from ..domain.segments import SegmentCount
from ..settings import Settings
from .errors import get_or_none, translated
from .models import JobItem, JobPageItem, JobShardItem
from .tables import connection

KIND = "grant"
COUNT_KIND = "segment-count"


def job_pk(job_id: str) -> str:
    return f"JOB#{job_id}"


def shard_pk(job_id: str, shard: str) -> str:
    return f"JOBSHARD#{job_id}#{shard}"


def page_pk(job_id: str, shard: str, page: str) -> str:
    return f"JOBPAGE#{job_id}#{shard}#{page}"


def create_job(job: GrantJob) -> bool:
    """False: a job of that id exists already (the first POST of the grant won)."""
    item = JobItem(
        pk=job_pk(job.plan.job_id),
        kind=KIND,
        plan={**asdict(job.plan), "shards": list(job.plan.shards)},
        fingerprint=job.fingerprint,
        body=job.body,
        started_at=job.started_at,
    )
    try:
        with translated():
            item.save(condition=JobItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_job(job_id: str) -> GrantJob | None:
    with translated():
        item = get_or_none(JobItem, job_pk(job_id), consistent_read=True)
    if item is None:
        return None
    raw = dict(item.plan)
    plan = GrantPlan(**{**raw, "shards": tuple(raw["shards"])})
    return GrantJob(plan, item.fingerprint, item.body, item.started_at, item.dispatched_at)


def create_count(count: SegmentCount) -> None:
    with translated():
        JobItem(
            pk=job_pk(count.job_id),
            kind=COUNT_KIND,
            plan={**asdict(count), "shards": list(count.shards)},
            fingerprint="",
            body="",
            started_at=count.started_at,
        ).save(condition=JobItem.pk.does_not_exist())


def get_count(job_id: str) -> SegmentCount | None:
    with translated():
        item = get_or_none(JobItem, job_pk(job_id), consistent_read=True)
    if item is None or item.kind != COUNT_KIND:
        return None
    raw = dict(item.plan)
    return SegmentCount(**{**raw, "shards": tuple(raw["shards"])})


def mark_dispatched(job_id: str, at: str) -> None:
    with translated():
        JobItem(pk=job_pk(job_id)).update(actions=[JobItem.dispatched_at.set(at)], condition=JobItem.pk.exists())


def page_done(job_id: str, shard: str, page: str) -> PageDone | None:
    with translated():
        item = get_or_none(JobPageItem, page_pk(job_id, shard, page), consistent_read=True)
    return None if item is None else PageDone(item.next_cursor)


def complete_page(
    job_id: str,
    shard: str,
    page: str,
    next_cursor: str | None,
    figures: ShardFigures,
    at: str,
    settings: Settings,
) -> bool:
    """The page's record (once: attribute_not_exists) and what it adds to its shard's counter, in one transaction.
    False: the page was completed already (a redelivery running alongside): nothing is added."""
    counter = JobShardItem(pk=shard_pk(job_id, shard))
    actions: list[Any] = [
        JobShardItem.seen.add(figures.seen),
        JobShardItem.matched.add(figures.matched),
        JobShardItem.skipped.add(figures.skipped),
        JobShardItem.failed.add(figures.failed),
        JobShardItem.last_at.set(at),
    ]
    if next_cursor is None:
        actions.append(JobShardItem.finished.set(1))
    record = JobPageItem(pk=page_pk(job_id, shard, page), next_cursor=next_cursor, at=at)
    try:
        with translated():
            with TransactWrite(connection=connection(settings)) as transaction:
                transaction.save(record, condition=JobPageItem.pk.does_not_exist())
                transaction.update(counter, actions=actions)
    except TransactWriteError as error:
        reasons = list(error.cancellation_reasons or [])
        if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            return False
        raise
    return True


def shard_figures(job_id: str, shards: list[str]) -> list[ShardFigures]:
    """Every shard's counter (BatchGetItem: one call per 100 shards); a shard not started yet counts nothing."""
    with translated():
        items = {item.pk: item for item in JobShardItem.batch_get([shard_pk(job_id, s) for s in shards])}
    figures = []
    for shard in shards:
        item = items.get(shard_pk(job_id, shard))
        if item is None:
            figures.append(ShardFigures())
            continue
        figures.append(
            ShardFigures(
                granted=int(item.granted or 0),
                points=int(item.points or 0),
                matched=int(item.matched or 0),
                seen=int(item.seen or 0),
                skipped=int(item.skipped or 0),
                failed=int(item.failed or 0),
                finished=bool(item.finished),
                last_at=item.last_at,
            )
        )
    return figures


def tally_update(tally: JobTally) -> tuple[JobShardItem, list[Any]]:
    """A booking's addition to its shard's counter (no condition: the booking's own conditions decide)."""
    counter = JobShardItem(pk=shard_pk(tally.job_id, tally.shard))
    return counter, [JobShardItem.granted.add(tally.members), JobShardItem.points.add(tally.points)]


def cursor_text(key: dict[str, Any] | None) -> str | None:
    return None if key is None else json.dumps(key, sort_keys=True, separators=(",", ":"))
