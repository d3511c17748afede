"""record_activity: non-purchase engagement earns the programme's points for its type, within its caps."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..domain.activities import DAYS_KEPT, activity_rules, count_activity
from ..domain.errors import InvalidRequest, RuleViolation
from ..domain.ledger import new_entry
from ..domain.wallet import Portion, Wallet
from .members import resolve_member
from .operations import Operation, Outcome, Reply, execute, fingerprint
from .programs import current_program
from .requests import ActivityRequest
from .runtime import Runtime, iso

CLOCK_SKEW = timedelta(minutes=5)


def record_activity(rt: Runtime, partner_id: str, request: ActivityRequest) -> Reply:
    program = current_program(rt)
    rule = activity_rules(program.extras).get(request.type)
    if rule is None:
        known = ", ".join(sorted(activity_rules(program.extras))) or "none"
        raise RuleViolation(f"{request.type} is not an activity of the programme (known: {known})", field="type")
    if request.occurred_at > rt.now() + CLOCK_SKEW:
        raise InvalidRequest("occurred_at is in the future", field="occurred_at")
    if request.occurred_at < rt.now() - timedelta(days=DAYS_KEPT - 1):
        # The wallet keeps daily counts this long: older activity could slip past a daily cap.
        raise RuleViolation(f"activities can be posted up to {DAYS_KEPT - 1} days late", field="occurred_at")
    member_id = resolve_member(rt, request.member)
    operation = Operation(partner_id, "activity", request.activity_id, fingerprint(request.model_dump(mode="json")))
    issuer = rule.funder or partner_id

    def decide(wallet: Wallet, now: datetime) -> Outcome:
        count_activity(wallet, rule, request.occurred_at.date().isoformat())
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
            "activity",
            partner_id,
            rule.points,
            breakdown=[line],
            attribution=[Portion(expires_on, issuer, rule.points)],
            reference=request.activity_id,
            booked_at=iso(now),
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

    return execute(rt, operation, member_id, decide)
