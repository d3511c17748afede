"""record_activity: non-purchase engagement earns the programme's points for its type, within its caps. The entry
records its issuer's fee per point now (the rule's funder, or the partner): settlement charges these points at it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from ..domain import limits
from ..domain.activities import MAX_DAYS_LATE, count_activity
from ..domain.errors import RuleViolation
from ..domain.ledger import new_entry
from ..domain.movements import EntryType, OperationKind
from ..domain.program import ActivityRule, Program
from ..domain.timefmt import refuse_future
from ..domain.wallet import Portion, Wallet
from .members import resolve_member
from .operations import Decide, Operation, Outcome, Reply, fingerprint, run_operation
from .programs import current_program, fee_per_point
from .requests import ActivityRequest
from .runtime import Runtime, iso


def record_activity(rt: Runtime, partner_id: str, request: ActivityRequest) -> Reply:
    operation = Operation(
        partner_id, OperationKind.ACTIVITY, request.activity_id, fingerprint(request.model_dump(mode="json"))
    )

    def prepare() -> tuple[str, Decide]:
        program = current_program(rt)
        rule = program.activities.get(request.type)
        if rule is None:
            known = ", ".join(sorted(program.activities)) or "none"
            raise RuleViolation(f"{request.type} is not an activity of the programme (known: {known})", field="type")
        refuse_future(request.occurred_at, rt.now())
        if request.occurred_at.date() < rt.now().date() - timedelta(days=MAX_DAYS_LATE):
            raise RuleViolation(f"activities can be posted up to {MAX_DAYS_LATE} days late", field="occurred_at")
        issuer = rule.funder or partner_id
        fee = fee_per_point(rt, issuer)
        return resolve_member(rt, request.member), _decide(program, partner_id, request, rule, issuer, fee)

    return run_operation(rt, operation, prepare)


def _decide(
    program: Program, partner_id: str, request: ActivityRequest, rule: ActivityRule, issuer: str, fee: Decimal
) -> Decide:
    def decide(wallet: Wallet, now: datetime) -> Outcome:
        count_activity(wallet, rule, now.date().isoformat())
        limits.count_daily(program, wallet, rule.points, now.date())
        expires_on = program.expires_on(now.date()).isoformat()
        wallet.credit(issuer, rule.points, expires_on)
        caps = [
            f"{rule.max_per_day} a day" if rule.max_per_day else "",
            f"{rule.max_total} in all" if rule.max_total else "",
        ]
        cap_text = " (at most " + ", ".join(c for c in caps if c) + ")" if any(caps) else ""
        line = {
            "rule": f"activity:{rule.type}",
            "points": rule.points,
            "detail": f"{rule.type} earns {rule.points} points{cap_text}, funded by {issuer}",
        }
        entry = new_entry(
            wallet,
            EntryType.ACTIVITY,
            partner_id,
            rule.points,
            breakdown=[line],
            attribution=[Portion(expires_on, issuer, rule.points)],
            reference=request.activity_id,
            booked_at=iso(now),
            fees_per_point={issuer: fee},
        )
        body = {
            "entry_id": entry.entry_id,
            "activity_id": request.activity_id,
            "member_id": wallet.member_id,
            "type": rule.type,
            "points": rule.points,
            "breakdown": [line],
            "available_points": wallet.available,
        }
        return Outcome(201, body, [entry], metrics={"PointsIssued": rule.points})

    return decide
