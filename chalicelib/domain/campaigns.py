"""Campaigns: a date window × partners × categories × channel × tiers that multiplies the points of the
matching purchase lines, or adds fixed points, funded by a partner or the operator, capped per member.

Points of an earn = floor(Σ line amount × rate × tier multiplier × multipliers of the campaigns matching
the line) + fixed points; each campaign's line in the breakdown is what it adds to the floor before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from .earning import BreakdownLine, PurchaseLine, floor_points
from .membership import PREFIX as MEMBERSHIP_PREFIX
from .membership import Membership
from .program import OPERATOR, BirthdayRule

# A measured campaign's figures stay in its members' wallets this long after it ends: a purchase may be posted up to
# 90 days late (services/earning.py's MAX_POSTING_DELAY), and a return of a measured purchase counts until then.
MEASURED_AFTER_END = timedelta(days=90)


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    starts_at: datetime
    ends_at: datetime
    funder: str
    multiplier: Decimal | None = None
    points: int | None = None
    partners: tuple[str, ...] = ()  # empty: every partner
    categories: tuple[str, ...] = ()  # empty: every line
    channel: str | None = None
    tiers: tuple[str, ...] = ()
    max_per_member: int | None = None
    rule: str | None = None  # the breakdown's rule name, when not "campaign:<id>" (the birthday month)
    segment: str | None = None  # only the members of this segment (domain/segments.py)
    control_share: Decimal = Decimal(0)  # the share of targeted members held out and measured (domain/effect.py)
    opt_in: bool = False  # an offer: only the members who enrolled in it (POST /v1/me/offers/{id}/enrolment) earn it
    plans: tuple[str, ...] = ()  # only members of these paid membership plans (domain/membership.py); empty: all

    @property
    def measured(self) -> bool:
        return self.control_share > 0

    @property
    def kept_until(self) -> str:
        """The last day its members' running figures are kept (domain/effect.py's Running)."""
        return (self.ends_at + MEASURED_AFTER_END).date().isoformat()

    def active(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    def applies(self, at: datetime, partner_id: str, channel: str) -> bool:
        """Does the purchase fall in this campaign (window, partner, channel)? The member's tier and the
        per-member cap are checked against the wallet: see rewards()."""
        return (
            self.active(at)
            and (not self.partners or partner_id in self.partners)
            and (self.channel is None or self.channel == channel)
        )

    def targets(self, tier: str) -> bool:
        """The tier filter (the segment, if any, is decided by the use case, which holds the segments)."""
        return not self.tiers or tier in self.tiers

    def rewards(self, tier: str, times_rewarded: int) -> bool:
        return self.targets(tier) and (self.max_per_member is None or times_rewarded < self.max_per_member)

    def matches(self, line: PurchaseLine) -> bool:
        return not self.categories or line.category in self.categories

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Campaign:
        return cls(
            campaign_id=doc["campaign_id"],
            name=doc["name"],
            starts_at=datetime.fromisoformat(doc["starts_at"].replace("Z", "+00:00")),
            ends_at=datetime.fromisoformat(doc["ends_at"].replace("Z", "+00:00")),
            funder=doc["funder"],
            multiplier=None if doc.get("multiplier") is None else Decimal(doc["multiplier"]),
            points=doc.get("points"),
            partners=tuple(doc.get("partners") or ()),
            categories=tuple(doc.get("categories") or ()),
            channel=doc.get("channel"),
            tiers=tuple(doc.get("tiers") or ()),
            max_per_member=doc.get("max_per_member"),
            segment=doc.get("segment"),
            control_share=Decimal(doc.get("control_share") or 0),
            opt_in=bool(doc.get("opt_in")),
            plans=tuple(doc.get("plans") or ()),
        )


@dataclass(frozen=True)
class CampaignAward:
    campaign: Campaign
    points: int
    weights: tuple[Decimal, ...] = ()  # per line, what a multiplier added to it (empty for fixed points)
    matching: tuple[int, ...] = ()  # fixed points: the lines (indexes) that qualified the purchase

    def line(self) -> BreakdownLine:
        how = f"× {format(self.campaign.multiplier, 'f')}" if self.campaign.multiplier else "fixed points"
        scope = f" on {', '.join(self.campaign.categories)}" if self.campaign.categories else ""
        return BreakdownLine(
            self.campaign.rule or f"campaign:{self.campaign.campaign_id}",
            self.points,
            f"{self.campaign.name}: {how}{scope}, funded by {self.campaign.funder}",
        )


def campaign_awards(
    campaigns: list[Campaign], lines: list[tuple[PurchaseLine, Decimal]], tier_multiplier: Decimal
) -> list[CampaignAward]:
    """What each applicable campaign adds. `lines` are (line, partner rate); multipliers compound in
    campaign id order, each award being the increase of the floored total it causes."""
    exact = [line.amount * rate * tier_multiplier for line, rate in lines]
    awards = []
    for campaign in sorted(campaigns, key=lambda c: c.campaign_id):
        if campaign.multiplier is not None:
            before = list(exact)
            for index, (line, _) in enumerate(lines):
                if campaign.matches(line):
                    exact[index] *= campaign.multiplier
            points = floor_points(sum(exact, Decimal(0))) - floor_points(sum(before, Decimal(0)))
            awards.append(CampaignAward(campaign, points, tuple(a - b for a, b in zip(exact, before, strict=True))))
        elif campaign.points and any(campaign.matches(line) for line, _ in lines):
            matching = tuple(index for index, (line, _) in enumerate(lines) if campaign.matches(line))
            awards.append(CampaignAward(campaign, campaign.points, matching=matching))
    return [award for award in awards if award.points > 0]


def birthday_campaign(
    rule: BirthdayRule | None, birth_date: str | None, recorded_on: str | None, purchase_at: datetime
) -> Campaign | None:
    """The programme's birthday-month multiplier, as a campaign of one member's birthday month. A birth date
    counts from the month after it was recorded: setting one at the till cannot earn the multiplier at once."""
    if rule is None or not birth_date or int(birth_date[5:7]) != purchase_at.month:
        return None
    if recorded_on is None or recorded_on >= purchase_at.date().replace(day=1).isoformat():
        return None
    return Campaign(
        campaign_id="birthday_month",
        name="Birthday month",
        starts_at=purchase_at,
        ends_at=purchase_at,
        funder=rule.funder,
        multiplier=rule.multiplier,
        rule="birthday_month",
    )


def membership_campaign(membership: Membership | None, purchase_at: datetime) -> Campaign | None:
    """A paid membership's earn multiplier, as a campaign the operator funds, on the days the membership covers (the
    purchase's own day, as for any campaign). Returns take its points back in proportion, like any multiplier's."""
    if membership is None or membership.earn_multiplier <= 1 or not membership.active(purchase_at.date()):
        return None
    return Campaign(
        campaign_id=MEMBERSHIP_PREFIX + membership.plan_id,
        name=f"{membership.name} membership",
        starts_at=purchase_at,
        ends_at=purchase_at,
        funder=OPERATOR,
        multiplier=membership.earn_multiplier,
        rule=MEMBERSHIP_PREFIX + membership.plan_id,
    )


def forget_ended_offers(offers: dict[str, str], today: str, last_days: dict[str, str]) -> None:
    """A member's enrolments (offer -> its last day) after the offer's last day, or the last day it has now
    (`last_days`, by offer: an offer extended keeps its enrolments longer): dropped, the wallet stays bounded."""
    for offer_id in [o for o, last_day in offers.items() if max(last_day, last_days.get(o, "")) < today]:
        del offers[offer_id]


def offer_last_days(campaigns: list[Campaign]) -> dict[str, str]:
    """The last day of each opt-in campaign, as it stands now (what its enrolments are kept to)."""
    return {c.campaign_id: c.ends_at.date().isoformat() for c in campaigns if c.opt_in}
