"""Everything a purchase earns, as typed awards: a pure calculation the earn use case then applies.

Each award is issued (and paid for at settlement) by one issuer, explains itself in breakdown lines that
sum to its points, and says how a return takes it back (see purchases.py): proportional awards carry the
exact points each line contributed; fixed awards go back whole once the purchase no longer qualifies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from .campaigns import Campaign, campaign_awards
from .challenges import Challenge, Completion
from .earning import BreakdownLine, PurchaseLine, purchase_points
from .program import FirstPurchaseRule, ReferralRule, Tier
from .purchases import FixedAward, ProportionalAward


@dataclass(frozen=True)
class Award:
    issuer: str
    rule: str
    points: int
    lines: tuple[BreakdownLine, ...]  # sum to `points`
    weights: tuple[Decimal, ...] | None  # per purchase line (proportional); None: fixed, taken back whole
    qualifying: bool = False  # counts towards tiers
    min_amount: Decimal = Decimal(0)  # fixed awards: the least a kept purchase must amount to
    member_id: str | None = None  # another member's award (the referrer); None: the purchaser's
    capped_campaign: str | None = None  # a campaign with a per-member cap: count this award against it
    scope: tuple[int, ...] | None = None  # fixed awards: the lines that qualified (None: the whole purchase)
    # A challenge's reward ("<id>/<period>"): a return undoes it through the member's progress, not the purchase's
    # record (the period was completed by several purchases: domain/challenges.py).
    challenge: str | None = None

    def kept_for_returns(self, fee_per_point: Decimal) -> ProportionalAward | FixedAward:
        """What a return needs of the award, with the fee per point its issuer was charged for it."""
        if self.weights is not None:
            return ProportionalAward(
                self.issuer,
                self.rule,
                self.points,
                list(self.weights),
                self.qualifying,
                self.capped_campaign,
                fee_per_point=fee_per_point,
            )
        scope = list(self.scope) if self.scope is not None else None
        return FixedAward(
            self.issuer,
            self.rule,
            self.points,
            self.min_amount,
            self.member_id,
            scope,
            self.capped_campaign,
            fee_per_point=fee_per_point,
        )


@dataclass(frozen=True)
class Purchase:
    """What the earn calculation needs to know, already validated."""

    partner_id: str
    amount: Decimal
    currency: str
    lines: list[tuple[PurchaseLine, Decimal]]  # each line with the partner's rate for it
    tier: Tier  # the member's tier before this purchase
    campaigns: list[Campaign] = field(default_factory=list)  # those that reward this member now
    first_qualifying: bool = False  # the member's first purchase that qualifies for first-purchase rules
    first_purchase: FirstPurchaseRule | None = None  # set when this is the member's first qualifying purchase
    referral: tuple[ReferralRule, str] | None = None  # (rule, referrer) on the referee's first qualifying purchase
    rate_text: Callable[[str | None], str] | None = None  # how a category's rate came about (None: "2 pt/EUR")
    # The measured campaigns (with a control group) that target this member, and the member's group in each:
    # [(campaign id, "treated" | "control")]; a treated campaign that targets the member now is in `campaigns` too,
    # unless its cap is reached.
    measured: list[tuple[str, str]] = field(default_factory=list)
    kept_until: dict[str, str] = field(default_factory=dict)  # campaign id -> the last day its figures are kept
    challenges: list[Challenge] = field(default_factory=list)  # those the purchase counts in for this member


def challenge_award(completion: Completion) -> Award:
    """A challenge's reward, booked by the purchase that completed its period."""
    challenge = completion.challenge
    line = BreakdownLine(challenge.key, challenge.reward_points, completion.detail())
    return Award(challenge.funder, challenge.key, challenge.reward_points, (line,), None, challenge=completion.key)


def purchase_awards(purchase: Purchase) -> list[Award]:
    """Base and tier points of the partner, then campaigns (and the birthday month), then fixed bonuses."""
    earn = purchase_points(purchase.amount, purchase.currency, purchase.lines, purchase.tier, purchase.rate_text)
    awards = [Award(purchase.partner_id, "base_rate", earn.points, tuple(earn.breakdown), tuple(earn.weights), True)]
    for won in campaign_awards(purchase.campaigns, purchase.lines, purchase.tier.earn_multiplier):
        line = won.line()
        awards.append(
            Award(
                won.campaign.funder,
                line.rule,
                won.points,
                (line,),
                won.weights if won.campaign.multiplier is not None else None,
                capped_campaign=won.campaign.campaign_id if won.campaign.max_per_member is not None else None,
                scope=won.matching if won.campaign.multiplier is None and won.campaign.categories else None,
            )
        )
    if purchase.first_purchase is not None:
        rule = purchase.first_purchase
        detail = f"first purchase in the coalition, funded by {rule.funder}"
        awards.append(_fixed(rule.funder, "first_purchase_bonus", rule.points, detail, rule.min_amount))
    if purchase.referral is not None:
        referral, referrer = purchase.referral
        minimum = purchase.first_purchase.min_amount if purchase.first_purchase else Decimal(0)
        if referral.referee_points:
            detail = f"welcome of a referred member, funded by {referral.funder}"
            awards.append(_fixed(referral.funder, "referral_bonus", referral.referee_points, detail, minimum))
        if referral.referrer_points:
            detail = "a member you referred made a first purchase, funded by " + referral.funder
            awards.append(
                _fixed(referral.funder, "referral_bonus", referral.referrer_points, detail, minimum, member=referrer)
            )
    return [award for award in awards if award.points > 0 or award.rule == "base_rate"]


def _fixed(issuer: str, rule: str, points: int, detail: str, minimum: Decimal, member: str | None = None) -> Award:
    return Award(
        issuer, rule, points, (BreakdownLine(rule, points, detail),), None, min_amount=minimum, member_id=member
    )
