"""earn_points: a purchase at a partner earns points issued by that partner."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..domain.earning import PurchaseLine, purchase_points, split_purchase
from ..domain.errors import CurrencyMismatch, InvalidRequest, RuleViolation
from ..domain.ledger import new_entry, tier_entry
from ..domain.money import parse_amount, parse_currency, to_str
from ..domain.program import Partner
from ..domain.tiers import forget_old_months, record_purchase, upgrade_if_earned
from ..domain.wallet import Portion, Wallet
from .members import resolve_member
from .operations import Operation, Outcome, Reply, execute, fingerprint
from .programs import current_program
from .requests import PurchaseRequest
from .runtime import Runtime, iso

# A till may post late (offline), but not from another season; and never from the future.
MAX_POSTING_DELAY = timedelta(days=90)
CLOCK_SKEW = timedelta(minutes=5)


def earn_points(rt: Runtime, partner: Partner, request: PurchaseRequest) -> Reply:
    program = current_program(rt)
    currency = parse_currency(request.currency)
    if currency != partner.currency:
        raise CurrencyMismatch(f"{partner.partner_id} trades in {partner.currency}, not {currency}", field="currency")
    amount = parse_amount(request.amount, currency)
    items = [
        PurchaseLine(item.category, parse_amount(item.amount, currency, field=f"items[{n}].amount"))
        for n, item in enumerate(request.items or [])
    ]
    split_purchase(amount, items)  # refuses items adding up to more than the amount
    occurred_at = _check_occurred_at(request.occurred_at, rt.now())
    member_id = resolve_member(rt, request.member)
    operation = Operation(
        partner.partner_id, "purchase", request.transaction_id, fingerprint(request.model_dump(mode="json"))
    )

    def decide(wallet: Wallet, now: datetime) -> Outcome:
        earn = purchase_points(amount, currency, items, partner, program.tier(wallet.tier))
        expires_on = program.expires_on(now.date()).isoformat()
        wallet.credit(partner.partner_id, earn.points, expires_on)
        record_purchase(wallet, occurred_at.date(), partner.partner_id, earn.points, amount)
        forget_old_months(wallet, now.date())
        upgraded = upgrade_if_earned(wallet, program, now.date())
        breakdown = [line.to_dict() for line in earn.breakdown]
        entry = new_entry(
            wallet,
            "earn",
            partner.partner_id,
            earn.points,
            breakdown=breakdown,
            attribution=[Portion(expires_on, partner.partner_id, earn.points)] if earn.points else [],
            reference=request.transaction_id,
            booked_at=iso(now),
        )
        entries = [entry]
        bonus = first_purchase_bonus(program.extras) if wallet.first_purchase_at is None else None
        wallet.first_purchase_at = wallet.first_purchase_at or iso(now)
        if bonus is not None:
            funder, points = bonus
            wallet.credit(funder, points, expires_on)
            line = {
                "rule": "first_purchase_bonus",
                "points": points,
                "detail": f"first purchase in the coalition, funded by {funder}",
            }
            entries.append(
                new_entry(
                    wallet,
                    "bonus",
                    partner.partner_id,
                    points,
                    breakdown=[line],
                    attribution=[Portion(expires_on, funder, points)],
                    reference=request.transaction_id,
                    booked_at=iso(now),
                )
            )
            breakdown = [*breakdown, line]
        if upgraded is not None:
            entries.append(tier_entry(wallet, upgraded, iso(now)))
        total = sum(e.points for e in entries)
        body = {
            "entry_id": entry.entry_id,
            "transaction_id": request.transaction_id,
            "member_id": wallet.member_id,
            "points": total,
            "breakdown": breakdown,
            "available_points": wallet.available,
            "tier": wallet.tier,
        }
        facts = {
            "amount": to_str(amount),
            "currency": currency,
            "occurred_on": occurred_at.date().isoformat(),
            "points_by_issuer": {partner.partner_id: earn.points} if earn.points else {},
            "qualifying_points": earn.points,
            "returned_amount": "0",
            "returned_points": 0,
        }
        return Outcome(201, body, entries, facts, metrics={"PointsIssued": total})

    return execute(rt, operation, member_id, decide)


def first_purchase_bonus(extras: dict) -> tuple[str, int] | None:  # type: ignore[type-arg]
    """(funder, points) of the programme's first-purchase bonus, if it has one (validated on PUT)."""
    rule = (extras.get("bonuses") or {}).get("first_purchase")
    return None if not rule else (rule.get("funder", "operator"), int(rule["points"]))


def _check_occurred_at(occurred_at: datetime, now: datetime) -> datetime:
    if occurred_at > now + CLOCK_SKEW:
        raise InvalidRequest("occurred_at is in the future", field="occurred_at")
    if occurred_at < now - MAX_POSTING_DELAY:
        raise RuleViolation(
            f"purchases older than {MAX_POSTING_DELAY.days} days cannot earn points", field="occurred_at"
        )
    return occurred_at


__all__ = ["earn_points"]
