"""Grants (POST /v1/admin/grants, issue 9's launch credit): the operator credits `points` to every member, to the
members of one tier or of one segment, or to a list of members, funded by a named issuer (a partner, or the operator).

Each member's credit is entry `grant`: points issued by the funder (its liability, its fee charged at the close
like any issuance, valid as points earned today), booked through the exactly-once executor under the key
operator#grant#<grant_id>#<member_id>: a redelivered message, a shard run again or a replayed POST credits no
member twice. Members who are suspended or closed when the job reaches them are skipped (a grant is a gift, not a
correction: closed members' points are forfeited, suspended ones earn nothing), as are ids that are no member.

The POST only checks and records the job (one GetItem, one conditional PutItem), then its shards are sent (or run
inline on a stage without a queue, jobs/grants.py); `accept_grant` answers 202 {job_id, grant_id, status}. The
same grant_id with the same body answers the first answer again (Idempotent-Replay: true) and starts no second job
(it sends the shards again only when the first POST stopped before sending them); with another body, 409.

Cost of the job, per member credited: 1 GetItem (the wallet head) + 1 TransactWriteItems (operation
record, entry, wallet, the shard's progress counter); per page of 200: the page's read (1 Scan page, or 1 Query
of the reviews index + 2 BatchGetItem, or 1 BatchGetItem of 100 listed ids), 2 GetItem (the job, the page's
record) and 1 TransactWriteItems (the page's record and counter). A member skipped costs 1 more GetItem (the
executor looks for an earlier credit); a member of another tier read by the index costs nothing more.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..domain.errors import DomainError, IdempotencyConflict, MemberInactive, NotFound, RetryLater, RuleViolation
from ..domain.grants import GRANT_JOB_PREFIX, GrantJob, GrantPlan, JobTally, ShardFigures, job_id_of, plan_shards
from ..domain.grants import progress as progress_of
from ..domain.ledger import new_entry
from ..domain.movements import EntryType, OperationKind
from ..domain.program import OPERATOR, Program
from ..domain.segments import Segment
from ..domain.wallet import Portion, Wallet
from ..observability import logger
from ..store.layout import DueIndex, due_shards
from .operations import Decide, Operation, Outcome, Reply, body_text, execute, fingerprint
from .programs import current_program, fee_per_point
from .requests import GrantRequest, GrantToMembers, GrantToSegment, GrantToTier
from .runtime import Runtime, iso
from .segments import require_segment

PAGE = 200  # members read per page of a Scan segment or an index shard


def accept_grant(rt: Runtime, request: GrantRequest) -> tuple[Reply, GrantJob | None]:
    """The answer, and the job whose shards are to be sent now (None: they were sent already)."""
    sent = fingerprint(request.model_dump(mode="json"))
    job_id = job_id_of(request.grant_id)
    existing = rt.store.jobs.get(job_id)
    if existing is None:
        job = _new_job(rt, request, job_id, sent)
        if rt.store.jobs.create(job):
            return Reply(202, job.body), job
        existing = rt.store.jobs.get(job_id)  # a concurrent POST of the same grant_id won
        if existing is None:
            raise RetryLater("the grant is being recorded; retry with the same grant_id")
    if existing.fingerprint != sent:
        raise IdempotencyConflict(f"{request.grant_id} was already used for a different grant", field="grant_id")
    return Reply(202, existing.body, replayed=True), existing if existing.dispatched_at is None else None


def _new_job(rt: Runtime, request: GrantRequest, job_id: str, sent: str) -> GrantJob:
    funder = request.funder
    if funder != OPERATOR:
        partner = rt.store.directory.get_partner(funder)
        if partner is None:
            raise RuleViolation(f"{funder} is neither a partner nor the operator", field="funder")
        if not partner.active:
            raise RuleViolation(f"{funder} is {partner.status}: it cannot fund a grant", field="funder")
    program = current_program(rt)
    to: dict[str, Any] = request.to.model_dump(mode="json")
    if isinstance(request.to, GrantToTier) and not program.has_tier(request.to.tier):
        names = ", ".join(t.name for t in program.tiers)
        raise RuleViolation(f"{request.to.tier} is not one of the programme's tiers ({names})", field="to.tier")
    if isinstance(request.to, GrantToMembers):
        to = {"member_ids": list(dict.fromkeys(request.to.member_ids))}  # an id given twice is one member
    segment = require_segment(rt, request.to.segment, "to.segment") if isinstance(request.to, GrantToSegment) else None
    segments = rt.settings.scan_segments
    shards, by_index = plan_shards(to, program.base_tier.name, segments, due_shards(DueIndex.REVIEW))
    plan = GrantPlan(
        job_id=job_id,
        grant_id=request.grant_id,
        points=request.points,
        funder=funder,
        reason=request.reason,
        to=to,
        shards=tuple(shards),
        segments=segments,
        by_index=by_index,
        segment=None if segment is None else segment.to_dict(),
    )
    body = body_text({"job_id": job_id, "grant_id": request.grant_id, "status": "running"})
    return GrantJob(plan, sent, body, iso(rt.now()))


def grant_page(rt: Runtime, plan: GrantPlan, shard: str, cursor: str | None) -> tuple[ShardFigures, str | None]:
    """Credit the members of one page of a shard; returns the page's figures and where the shard goes on from.
    A member credited before (a redelivered page) is found by the executor and counted again by this page only;
    the credit itself, and what it adds to the shard's counter, happen once. A transient failure that outlasts the
    retries raises: the page runs again (SQS redelivers it)."""
    wallets, unknown, next_cursor = _read_page(rt, plan, shard, cursor)
    program = current_program(rt)
    fee = fee_per_point(rt, plan.funder)
    targeted = _targeted(plan, rt.now().date())
    seen, skipped, failed = unknown, unknown, 0  # ids that are no member: gone through, skipped
    for wallet in wallets:
        if not targeted(wallet):
            continue  # another tier, or outside the segment, read by the index or the Scan: not in this grant
        seen += 1
        if not wallet.active:
            skipped += 1
            continue
        try:
            execute(rt, _operation(plan, wallet.member_id), wallet.member_id, _decide(plan, shard, program, fee))
        except (MemberInactive, NotFound, _NoLongerTargeted):
            skipped += 1  # changed since the page was read
        except RetryLater:
            raise
        except DomainError as refusal:  # not expected: counted and logged, the rest of the page goes on
            logger.warning(
                "grant refused", extra={"job": plan.job_id, "member": wallet.member_id, "code": refusal.code}
            )
            failed += 1
    return ShardFigures(seen=seen, skipped=skipped, failed=failed), next_cursor


class _NoLongerTargeted(RuleViolation):
    pass


def _targeted(plan: GrantPlan, today: date) -> Callable[[Wallet], bool]:
    """Is this wallet one the grant is for? Its tier, or its segment's rules (as they stood at the start) today."""
    segment = None if plan.segment is None else Segment.from_dict(plan.segment)

    def targeted(wallet: Wallet) -> bool:
        if plan.tier is not None and wallet.tier != plan.tier:
            return False
        return segment is None or segment.matches(wallet, today)

    return targeted


def _operation(plan: GrantPlan, member_id: str) -> Operation:
    terms = fingerprint(plan.grant_id, plan.points, plan.funder, plan.reason)
    return Operation(OPERATOR, OperationKind.GRANT, f"{plan.grant_id}#{member_id}", terms)


def _decide(plan: GrantPlan, shard: str, program: Program, fee: Decimal) -> Decide:
    def decide(wallet: Wallet, now: datetime) -> Outcome:
        if not _targeted(plan, now.date())(wallet):
            raise _NoLongerTargeted(f"member {wallet.member_id} is no longer one this grant is for")
        expires_on = program.expires_on(now.date()).isoformat()
        wallet.credit(plan.funder, plan.points, expires_on)
        line = {"rule": "grant", "points": plan.points, "detail": f"{plan.reason} (by {plan.funder})"}
        entry = new_entry(
            wallet,
            EntryType.GRANT,
            OPERATOR,
            plan.points,
            breakdown=[line],
            attribution=[Portion(expires_on, plan.funder, plan.points)],
            reference=plan.grant_id,
            booked_at=iso(now),
            fees_per_point={plan.funder: fee},
        )
        body = {
            "entry_id": entry.entry_id,
            "grant_id": plan.grant_id,
            "member_id": wallet.member_id,
            "points": plan.points,
            "funder": plan.funder,
            "available_points": wallet.available,
        }
        return Outcome(
            201,
            body,
            [entry],
            metrics={"PointsGranted": plan.points},
            tallies=[JobTally(plan.job_id, shard, 1, plan.points)],
        )

    return decide


def _read_page(rt: Runtime, plan: GrantPlan, shard: str, cursor: str | None) -> tuple[list[Wallet], int, str | None]:
    """The wallets of one page, how many listed ids are no member, and the next page's cursor (None: the last)."""
    start = None if cursor is None else json.loads(cursor)
    if shard.startswith("batch-"):
        ids = plan.batch(shard)
        wallets = rt.store.wallets.load_many(ids)
        return wallets, len(ids) - len(wallets), None
    if plan.by_index:
        member_ids, key = rt.store.wallets.above_base_tier(shard, PAGE, start)
        wallets = rt.store.wallets.load_many(member_ids) if member_ids else []
    else:
        wallets, key = rt.store.wallets.scan(int(shard.removeprefix("scan-")), plan.segments, PAGE, start)
    return wallets, 0, None if key is None else json.dumps(key, sort_keys=True, separators=(",", ":"))


def job_progress(rt: Runtime, job_id: str) -> dict[str, Any]:
    """GET /v1/admin/jobs/{job_id}: 1 GetItem (the job) + 1 BatchGetItem (its shards' counters)."""
    job = rt.store.jobs.get(job_id) if job_id.startswith(GRANT_JOB_PREFIX) and len(job_id) <= 200 else None
    if job is None:
        raise NotFound(f"no job {job_id}: grants report their progress (other jobs are not recorded)", field="job")
    figures = rt.store.jobs.shard_figures(job_id, list(job.plan.shards))
    return progress_of(job.plan, job.started_at, figures)
