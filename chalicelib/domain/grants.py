"""A grant (the launch credit of issue 9): the operator credits the same points, funded by one issuer, to every
member, to the members of one tier, or to a list of members, once per (grant, member).

It runs as a job in shards. The plan of shards depends on whom the grant is for:

    to                 shards (one message each, continued page by page)       reads
    all                "scan-<n>": a parallel Scan segment of the members table  every member, once
    segment            "scan-<n>" as above, members outside it ignored          every member, once
    tier: base tier    "scan-<n>" as above, members of other tiers ignored       every member, once
    tier: upper tier   the shards of the reviews index (members above the base   the members above the base tier
                       tier only: store/layout.py)                              only (never the base tier's)
    member_ids         "batch-<n>": 100 ids each, fixed when the grant starts    those members only

Progress is counted so that no redelivery counts twice: the members credited and their points by the booking
that credits them (the same transaction adds them to the shard's counter: a replayed booking adds nothing), and
the members a shard's page went through (credited now or earlier, skipped) once per page, by the page's
completion record, written conditionally (a page already complete is not run again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BATCH = 100  # member ids per shard of a grant to a list
GRANT_JOB_PREFIX = "grant-"


def job_id_of(grant_id: str) -> str:
    """One job per grant: its id derives from the grant's, so a replayed POST finds the job it started."""
    return f"{GRANT_JOB_PREFIX}{grant_id}"


@dataclass(frozen=True)
class GrantPlan:
    """What a grant's job needs: its terms and the shards it fans out over."""

    job_id: str
    grant_id: str
    points: int
    funder: str
    reason: str
    to: dict[str, Any]  # {"all": true} | {"tier": name} | {"member_ids": [...]}, as sent
    shards: tuple[str, ...]
    segments: int = 0  # Scan segments of a "scan-<n>" plan (fixed when the grant starts)
    by_index: bool = False  # an upper tier: the shards are the reviews index's
    segment: dict[str, Any] | None = None  # a grant to a segment: the segment as it stood when the grant started

    @property
    def tier(self) -> str | None:
        tier = self.to.get("tier")
        return None if tier is None else str(tier)

    @property
    def member_ids(self) -> list[str]:
        return list(self.to.get("member_ids") or [])

    @property
    def total(self) -> int | None:
        """Known from the start for a list of members; counted as the shards go for everyone or a tier."""
        return len(self.member_ids) if "member_ids" in self.to else None

    def batch(self, shard: str) -> list[str]:
        index = int(shard.removeprefix("batch-"))
        return self.member_ids[index * BATCH : (index + 1) * BATCH]


def plan_shards(to: dict[str, Any], base_tier: str, segments: int, index_shards: list[str]) -> tuple[list[str], bool]:
    """The shards a grant fans out over, and whether they are the reviews index's."""
    if "member_ids" in to:
        count = (len(to["member_ids"]) + BATCH - 1) // BATCH
        return [f"batch-{n}" for n in range(count)], False
    if to.get("tier") not in (None, base_tier):
        return list(index_shards), True
    return [f"scan-{n}" for n in range(segments)], False


@dataclass(frozen=True)
class JobTally:
    """What one booking adds to its job's shard counter: members credited and their points."""

    job_id: str
    shard: str
    members: int
    points: int


@dataclass(frozen=True)
class ShardFigures:
    """One shard's counter: members credited and points (by the bookings), members gone through and skipped (by
    the completed pages), and whether its last page is done."""

    granted: int = 0
    points: int = 0
    matched: int = 0  # a segment's count: the members gone through who are in it
    seen: int = 0
    skipped: int = 0
    failed: int = 0
    finished: bool = False
    last_at: str | None = None


def progress(plan: GrantPlan, started_at: str, figures: list[ShardFigures]) -> dict[str, Any]:
    """The job's progress, summed over its shards."""
    finished = sum(1 for f in figures if f.finished)
    done = finished == len(plan.shards)
    seen = sum(f.seen for f in figures)
    total = plan.total if plan.total is not None else (seen if done else None)
    last = max((f.last_at for f in figures if f.last_at), default=None)
    return {
        "job_id": plan.job_id,
        "kind": "grant",
        "grant_id": plan.grant_id,
        "status": "done" if done else "running",
        "total": total,
        "done": seen,
        "granted": sum(f.granted for f in figures),
        "points_granted": sum(f.points for f in figures),
        "skipped": sum(f.skipped for f in figures),
        "failed": sum(f.failed for f in figures),
        "shards": len(plan.shards),
        "shards_done": finished,
        "started_at": started_at,
        "finished_at": last if done else None,
    }


@dataclass(frozen=True)
class GrantJob:
    """A grant's job as stored: its plan, the request's fingerprint and first answer (a replayed POST gets that
    answer), when it started, and when its shards were sent (None: not yet: a replay sends them)."""

    plan: GrantPlan
    fingerprint: str
    body: str
    started_at: str
    dispatched_at: str | None = None


@dataclass(frozen=True)
class PageDone:
    """A completed page of a shard: where the shard goes on from (None: the shard is finished)."""

    next_cursor: str | None
