"""earn_points: a purchase at a partner earns points issued by that partner."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ..domain.campaigns import birthday_campaign, campaign_awards
from ..domain.earning import PurchaseLine, purchase_points, split_purchase
from ..domain.errors import CurrencyMismatch, InvalidRequest, RuleViolation
from ..domain.ledger import Entry, new_entry, tier_entry
from ..domain.money import parse_amount, parse_currency, to_str
from ..domain.program import Partner
from ..domain.settlement import OPERATOR
from ..domain.tiers import forget_old_months, record_purchase, upgrade_if_earned
from ..domain.wallet import Portion, Wallet
from ..store.wallets import load_wallet
from .campaigns import all_campaigns
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
    # Split once (this refuses items adding up to more than the amount): the lines with their partner rates.
    lines = [(line, partner.rate_for(line.category)) for line in split_purchase(amount, items)]
    occurred_at = _check_occurred_at(request.occurred_at, rt.now())
    member_id = resolve_member(rt, request.member)
    operation = Operation(
        partner.partner_id, "purchase", request.transaction_id, fingerprint(request.model_dump(mode="json"))
    )

    campaigns = [c for c in all_campaigns(rt) if c.applies(occurred_at, partner.partner_id, request.channel)]

    def decide(wallet: Wallet, now: datetime) -> Outcome:
        tier = program.tier(wallet.tier)  # the tier before this purchase: it may upgrade below
        expires_on = program.expires_on(now.date()).isoformat()
        earn = purchase_points(amount, currency, lines, tier)
        wallet.credit(partner.partner_id, earn.points, expires_on)
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
        points_by_issuer = Counter({partner.partner_id: earn.points})

        def bonus(funder: str, points: int, line: dict[str, Any]) -> None:
            wallet.credit(funder, points, expires_on)
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
            breakdown.append(line)

        counts = wallet.campaign_counts
        eligible = [c for c in campaigns if c.rewards(wallet.tier, counts.get(c.campaign_id, 0))]
        birthday = birthday_campaign(program.extras, wallet.birth_date, occurred_at)
        for award in campaign_awards(eligible + ([birthday] if birthday else []), lines, tier.earn_multiplier):
            bonus(award.campaign.funder, award.points, award.line())
            if award.campaign.max_per_member is not None:  # count only what a cap needs: the item stays small
                counts[award.campaign.campaign_id] = counts.get(award.campaign.campaign_id, 0) + 1
            points_by_issuer[award.campaign.funder] += award.points  # a return takes campaign points back too
        others = []
        if wallet.first_purchase_at is None:
            first_purchase = first_purchase_bonus(program.extras)
            if first_purchase is not None:
                funder, points = first_purchase
                detail = f"first purchase in the coalition, funded by {funder}"
                bonus(funder, points, {"rule": "first_purchase_bonus", "points": points, "detail": detail})
            referral = (program.extras.get("bonuses") or {}).get("referral")
            if referral and wallet.referred_by:
                others = reward_referral(wallet, referral, bonus, expires_on, now)
        wallet.first_purchase_at = wallet.first_purchase_at or iso(now)

        record_purchase(wallet, occurred_at.date(), partner.partner_id, earn.points, amount)
        forget_old_months(wallet, now.date())
        upgraded = upgrade_if_earned(wallet, program, now.date())
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
            "points_by_issuer": {issuer: points for issuer, points in points_by_issuer.items() if points},
            "qualifying_points": earn.points,
            "returned_amount": "0",
            "returned_points": 0,
        }
        issued = total + sum(e.points for _, other_entries in others for e in other_entries)
        return Outcome(201, body, entries, facts, metrics={"PointsIssued": issued}, others=others)

    return execute(rt, operation, member_id, decide)


def reward_referral(
    wallet: Wallet,
    rule: dict[str, Any],
    bonus: Callable[[str, int, dict[str, Any]], None],
    expires_on: str,
    now: datetime,
) -> list[tuple[Wallet, list[Entry]]]:
    """The referee's first purchase: points to both sides, funded by the referral rule's funder. The referrer's
    wallet is written in the same transaction (its version is a condition too)."""
    funder = rule.get("funder", "operator")
    if rule.get("referee_points"):
        points = int(rule["referee_points"])
        bonus(
            funder,
            points,
            {"rule": "referral_bonus", "points": points, "detail": f"welcome of a referred member, funded by {funder}"},
        )
    referrer = load_wallet(wallet.referred_by or "")
    if referrer is None or not rule.get("referrer_points"):
        return []
    points = int(rule["referrer_points"])
    referrer.credit(funder, points, expires_on)
    line = {
        "rule": "referral_bonus",
        "points": points,
        "detail": f"{wallet.member_id} made a first purchase, funded by {funder}",
    }
    entry = new_entry(
        referrer,
        "bonus",
        OPERATOR,
        points,
        breakdown=[line],
        attribution=[Portion(expires_on, funder, points)],
        reference=wallet.member_id,
        booked_at=iso(now),
    )
    return [(referrer, [entry])]


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
