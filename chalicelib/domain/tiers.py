"""Tier status: the rolling 12-month metric kept per month on the wallet, upgrades on earn, returns, reviews.

An upgrade records what reached the tier (its basis); a return lowers the tier only when the purchase returned
was part of that basis and, without the returned part, the basis no longer reaches the tier. A yearly review then
keeps or lowers the tier by one level and sets the floor no return goes below until the next review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .program import Program, Tier
from .timefmt import add_months
from .wallet import MonthActivity, TierBasis, Wallet

WINDOW_MONTHS = 12


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def window(as_of: date) -> list[str]:
    """The 12 calendar months ending with as_of's month, oldest first."""
    index = as_of.year * 12 + as_of.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - WINDOW_MONTHS + 1, index + 1)]


def metric_value(wallet: Wallet, metric: str, as_of: date) -> Decimal:
    months = [wallet.activity[m] for m in window(as_of) if m in wallet.activity]
    if metric == "spend":
        return sum((Decimal(m.spend) for m in months), Decimal(0))
    if metric == "purchases":
        return Decimal(sum(m.purchases for m in months))
    if metric == "distinct_partners":
        return Decimal(len({p for m in months for p in m.counted_partners()}))
    return Decimal(sum(m.qualifying_points for m in months))


@dataclass(frozen=True)
class ReturnedPurchase:
    """What a return takes back of a purchase, as far as tiers are concerned."""

    occurred_on: date  # the month the purchase counts in
    partner_id: str
    booked_seq: int | None  # the number of the purchase's first entry on the wallet (None: not known)
    points: int  # qualifying points taken back
    amount: Decimal  # spend taken back
    whole: bool  # nothing of the purchase is kept any more: it no longer counts as a purchase (nor its partner)


def record_purchase(wallet: Wallet, occurred_on: date, partner_id: str, points: int, amount: Decimal) -> None:
    month = wallet.activity.setdefault(month_key(occurred_on), MonthActivity())
    month.qualifying_points += points
    month.spend = str(Decimal(month.spend) + amount)
    month.purchases += 1
    if partner_id not in month.partners:
        month.partners.append(partner_id)
        month.partner_purchases[partner_id] = 1
    elif partner_id in month.partner_purchases:
        month.partner_purchases[partner_id] += 1
    # else: listed before counts were kept; one more purchase leaves the count unknown (the partner keeps counting)


def record_redemption(wallet: Wallet, on: date, partner_id: str) -> None:
    """Where points were spent, by month: for cross-brand reach, not for tiers."""
    month = wallet.activity.setdefault(month_key(on), MonthActivity())
    if partner_id not in month.redeemed_at:
        month.redeemed_at.append(partner_id)


def record_return(wallet: Wallet, returned: ReturnedPurchase) -> None:
    """Take a return's qualifying points and spend back out of the month the purchase counted in; a purchase
    returned whole no longer counts as a purchase either, nor does its partner once no purchase there is left
    in that month (unless that partner's count is not known: a month written before counts were kept)."""
    month = wallet.activity.get(month_key(returned.occurred_on))
    if month is None:  # the month was forgotten: it no longer counts, nothing left to correct
        return
    month.qualifying_points = max(0, month.qualifying_points - returned.points)
    month.spend = str(max(Decimal(0), Decimal(month.spend) - returned.amount))
    if returned.whole:
        month.purchases = max(0, month.purchases - 1)
        left = month.partner_purchases.get(returned.partner_id)
        if left is not None:
            month.partner_purchases[returned.partner_id] = max(0, left - 1)


def forget_old_months(wallet: Wallet, today: date) -> None:
    """Keep the wallet item bounded: months that can no longer count are dropped. A review that is due counts the
    12 months to the day it is run for (the job may run late, or at 01:00 for the day before): the months to the
    review date are kept until it has run."""
    horizon = today
    if wallet.review_on is not None and wallet.review_on < today.isoformat():
        horizon = date.fromisoformat(wallet.review_on)
    first = window(horizon)[0]
    for month in [m for m in wallet.activity if m < first]:
        del wallet.activity[month]


def tier_earned(program: Program, value: Decimal) -> Tier:
    earned = program.base_tier
    for tier in program.tiers:
        if value >= tier.threshold:
            earned = tier
    return earned


@dataclass(frozen=True)
class TierChange:
    """A tier decision with its reason, for the member's history."""

    rule: str  # tier_upgrade | tier_kept | tier_lowered | tier_reassigned | tier_returned
    from_tier: str
    to_tier: str
    detail: str


def upgrade_if_earned(wallet: Wallet, program: Program, today: date) -> TierChange | None:
    """Upgrade at once when the metric crosses a higher threshold; the new tier is kept 12 months."""
    value = metric_value(wallet, program.tier_metric, today)
    earned = tier_earned(program, value)
    # A tier that left the programme counts as the base tier until its review (tier_rank gives 0).
    if program.tier_rank(earned.name) <= program.tier_rank(wallet.tier):
        return None
    change = TierChange(
        "tier_upgrade",
        wallet.tier,
        earned.name,
        f"{_figure(value)} {_metric_words(program)} reaches {earned.name} ({_figure(earned.threshold)})",
    )
    _enter(wallet, program, earned, today)
    wallet.tier_basis = _basis(wallet, program, value, today)
    return change


def redecide_after_return(
    wallet: Wallet, program: Program, today: date, returned: ReturnedPurchase
) -> TierChange | None:
    """A return lowers the tier only when the purchase returned was part of what reached it (booked by the upgrade,
    in the 12 months it counted) and, without the returned part, that no longer reaches the tier's threshold. The
    member then keeps the highest of what the rest of it reaches, what the last 12 months earn now and the floor a
    review set; never more than they hold now. A purchase booked after the upgrade is left for the review to judge,
    and so is every purchase of a tier that a review decided (no basis: the floor is the tier), and a tier whose
    threshold was raised after the upgrade (the return is not what leaves it below)."""
    basis = wallet.tier_basis
    if basis is None or basis.metric != program.tier_metric or not _counted_in(basis, returned):
        return None
    before = basis.value
    _take_out(basis, returned)
    held = program.tier_rank(wallet.tier)
    threshold = program.tiers[held].threshold
    if basis.value >= threshold or before < threshold:  # still reached; or a threshold raised since, not this return
        return None
    by_basis = program.tier_rank(tier_earned(program, basis.value).name)
    value = metric_value(wallet, program.tier_metric, today)
    by_window = program.tier_rank(tier_earned(program, value).name)
    floor_rank = program.tier_rank(wallet.tier_floor) if wallet.tier_floor else 0
    rank = min(held, max(by_basis, by_window, floor_rank))
    # What holds the tier from now on: the rest of the basis, else the last 12 months (a new basis), else the floor.
    if rank == 0:
        wallet.tier_basis = None
    elif by_window >= rank > by_basis:
        wallet.tier_basis = _basis(wallet, program, value, today)
    elif by_basis < rank:
        wallet.tier_basis = None  # the floor keeps it until its review
    if rank == held:
        return None
    kept = program.tiers[rank]
    change = TierChange(
        "tier_returned",
        wallet.tier,
        kept.name,
        f"a return leaves {_figure(basis.value)} {_metric_words(program)} of what reached {wallet.tier}: below "
        f"{wallet.tier} ({_figure(threshold)})",
    )
    wallet.tier = kept.name
    if kept.name == program.base_tier.name:
        wallet.review_on = None
    elif wallet.tier_floor == kept.name:
        wallet.review_on = wallet.tier_floor_review_on
    # else: a tier still reached keeps the review date of the tier it replaces.
    return change


def adopt_legacy_tier(wallet: Wallet) -> None:
    """A wallet written before upgrades recorded their basis holds a tier above its floor with no basis: nothing
    says what reached it, so it becomes the floor (kept until its review) and no return lowers it before then.
    A wallet whose tier is its floor, or at the base tier, is unchanged in effect."""
    if wallet.tier_basis is None and wallet.tier_floor != wallet.tier:
        wallet.tier_floor = wallet.tier
        wallet.tier_floor_review_on = wallet.review_on


def _basis(wallet: Wallet, program: Program, value: Decimal, today: date) -> TierBasis:
    partners: dict[str, int] = {}
    if program.tier_metric == "distinct_partners":
        unknown: set[str] = set()
        for month in (wallet.activity[m] for m in window(today) if m in wallet.activity):
            for partner in month.partners:
                count = month.partner_purchases.get(partner)
                if count is None:
                    unknown.add(partner)
                elif count:
                    partners[partner] = partners.get(partner, 0) + count
        partners = {p: n for p, n in partners.items() if p not in unknown}
    return TierBasis(program.tier_metric, value, wallet.entry_seq, today.isoformat(), partners)


def _counted_in(basis: TierBasis, returned: ReturnedPurchase) -> bool:
    """Was the purchase part of what reached the tier: booked by the upgrade, in the 12 months it counted?"""
    if returned.booked_seq is None or returned.booked_seq > basis.seq:
        return False
    return month_key(returned.occurred_on) in window(date.fromisoformat(basis.on))


def _take_out(basis: TierBasis, returned: ReturnedPurchase) -> None:
    """Take what the return takes back of the metric out of the basis."""
    if basis.metric == "spend":
        taken = returned.amount
    elif basis.metric == "purchases":
        taken = Decimal(1 if returned.whole else 0)
    elif basis.metric == "distinct_partners":
        taken = Decimal(0)
        left = basis.partners.get(returned.partner_id)
        if returned.whole and left is not None:  # a partner whose count is not known is never taken out
            if left > 1:
                basis.partners[returned.partner_id] = left - 1
            else:
                del basis.partners[returned.partner_id]
                taken = Decimal(1)
    else:
        taken = Decimal(returned.points)
    basis.value = max(Decimal(0), basis.value - taken)


def review(wallet: Wallet, program: Program, as_of: date) -> TierChange | None:
    """The yearly review: keep the tier if still earned (the review moves 12 months on), else drop one level
    at most (soft landing). None when the member is not due."""
    if wallet.review_on is None or wallet.review_on > as_of.isoformat():
        return None
    value = metric_value(wallet, program.tier_metric, as_of)
    earned = tier_earned(program, value)
    words = f"{_figure(value)} {_metric_words(program)} in the 12 months to {as_of.isoformat()}"
    if not program.has_tier(wallet.tier):
        change = TierChange("tier_reassigned", wallet.tier, earned.name, f"{wallet.tier} left the programme; {words}")
        _enter(wallet, program, earned, as_of)
        _set_floor(wallet)
        return change
    rank = program.tier_rank(wallet.tier)
    if program.tier_rank(earned.name) >= rank:
        kept = program.tiers[rank]
        wallet.review_on = add_months(date.fromisoformat(wallet.review_on), 12).isoformat()
        _set_floor(wallet)
        return TierChange("tier_kept", kept.name, kept.name, f"{words} keep {kept.name} ({_figure(kept.threshold)})")
    lower = program.tiers[rank - 1]
    change = TierChange(
        "tier_lowered",
        wallet.tier,
        lower.name,
        f"{words} are below {wallet.tier} ({_figure(program.tiers[rank].threshold)}): one level down at most",
    )
    _enter(wallet, program, lower, as_of)
    _set_floor(wallet)
    return change


def _set_floor(wallet: Wallet) -> None:
    """What a review decides is kept until the next review, whatever is returned meanwhile."""
    wallet.tier_floor = wallet.tier
    wallet.tier_floor_review_on = wallet.review_on
    wallet.tier_basis = None


def _enter(wallet: Wallet, program: Program, tier: Tier, on: date) -> None:
    wallet.tier = tier.name
    wallet.tier_reached_on = on.isoformat()
    # The base tier has nothing to review: no review date keeps the member out of the review index.
    wallet.review_on = None if tier.name == program.base_tier.name else add_months(on, 12).isoformat()


def _metric_words(program: Program) -> str:
    return {
        "qualifying_points": "qualifying points",
        "spend": program.currency,
        "purchases": "purchases",
        "distinct_partners": "partners",
    }[program.tier_metric]


def _figure(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral_value() else format(value, "f")
