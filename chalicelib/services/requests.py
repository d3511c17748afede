"""The shapes of what callers send (pydantic, strict). Values with business meaning (amounts,
currencies, rates) are kept as given here and parsed by the use cases, which know the context."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

from ..domain.money import PLAIN_DECIMAL
from ..domain.program import KeyScope
from ..domain.rewards import REWARD_ID

OperationId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")]
PartnerId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-]{1,39}$")]
CardNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{8,19}$")]
SpendCodeText = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$", max_length=254)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]  # E.164
Decimal_ = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]
Category = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_\-]{1,40}$")]
Points = Annotated[int, Field(strict=True, gt=0, le=100_000_000)]
MemberId = Annotated[str, StringConstraints(pattern=r"^m_[0-9a-f]{20}$")]
MAX_GRANT_MEMBERS = 1000


# defer_build: a model's validator and serializer are built when first used, not at import: every Lambda
# function imports every model, and a request uses few of them (issue 11).
class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class MemberRef(Strict):
    member_id: str | None = None
    card_number: CardNumber | None = None
    email: Email | None = None
    phone: Phone | None = None
    spend_code: SpendCodeText | None = None  # shown by the member's app: consent to spend, like the card

    @model_validator(mode="after")
    def exactly_one(self) -> MemberRef:
        given = [
            v for v in (self.member_id, self.card_number, self.email, self.phone, self.spend_code) if v is not None
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of member_id, card_number, email, phone, spend_code")
        return self


class EnrolRequest(Strict):
    email: Email | None = None
    phone: Phone | None = None
    card_number: CardNumber | None = None
    birth_date: date | None = None
    referral_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{4,32}$")] | None = None
    channel: Literal["store", "online"] | None = None  # where the partner enrolled them (default: its store)

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)  # birth_date arrives as text

    @model_validator(mode="after")
    def one_identifier(self) -> EnrolRequest:
        if not (self.email or self.phone or self.card_number):
            raise ValueError("give at least one of email, phone, card_number")
        return self


class PurchaseItem(Strict):
    sku: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    category: Category
    amount: Decimal_


class PurchaseRequest(Strict):
    transaction_id: OperationId
    member: MemberRef | None = None  # none: a sale without a member (nothing earned, nothing personal kept)
    amount: Decimal_
    currency: str
    occurred_at: AwareDatetime
    channel: Literal["store", "online"]
    store_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    items: Annotated[list[PurchaseItem], Field(max_length=200)] | None = None

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)  # occurred_at arrives as text


class ReturnedItem(Strict):
    sku: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    amount: Decimal_


class ReturnRequest(Strict):
    return_id: OperationId
    amount: Decimal_
    # The lines returned (by the purchase's sku); without them a return takes back its share of every line.
    items: Annotated[list[ReturnedItem], Field(min_length=1, max_length=200)] | None = None


class ReversalRequest(Strict):
    reversal_id: OperationId
    points: Points | None = None  # default: everything not reversed yet


class RedemptionRequest(Strict):
    redemption_id: OperationId
    member: MemberRef
    points: Points


class SpendCodeRequest(Strict):
    points_max: Points  # the most a partner may spend with the code


class VoucherRequest(Strict):
    request_id: OperationId  # the member app's own id for this conversion: a retry with it converts once
    denomination: Points  # the points of one of the programme's denominations


class PartnerVoucherRequest(Strict):
    request_id: OperationId
    member: MemberRef  # consent as for any spending: card_number or spend_code
    denomination: Points


class VoucherSpendRequest(Strict):
    redemption_id: OperationId  # the partner's id for this use of the voucher (a void names it)


RewardId = Annotated[str, StringConstraints(pattern=f"^{REWARD_ID.pattern}$")]  # the one the domain checks
TierName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_\-]{0,31}$")]
Count = Annotated[int, Field(strict=True, ge=0, le=10_000_000)]


class RewardTermsDocument(Strict):
    """A catalogue reward's terms, as its offerer publishes them (PUT replaces them whole)."""

    name: Name
    description: Annotated[str, StringConstraints(max_length=1000, strip_whitespace=True)] = ""
    points: Points
    stock: Count | None = None  # claims it can take in all; absent: no limit
    per_member_limit: Annotated[int, Field(strict=True, ge=1, le=1000)] | None = None
    valid_from: AwareDatetime
    valid_until: AwareDatetime
    channels: Annotated[list[Literal["store", "online"]], Field(min_length=1, max_length=2)] = ["store", "online"]
    tiers: Annotated[list[TierName], Field(min_length=1, max_length=10)] | None = None  # absent: every member
    status: Literal["active", "withdrawn"] = "active"

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)  # dates arrive as text

    @model_validator(mode="after")
    def consistent(self) -> RewardTermsDocument:
        # Years a catalogue can mean (and that stay dates in UTC whatever the offset given).
        if not all(2000 <= moment.year <= 9998 for moment in (self.valid_from, self.valid_until)):
            raise ValueError("valid_from and valid_until must be in the years 2000 to 9998")
        if self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels must not repeat")
        return self


class RewardCreate(RewardTermsDocument):
    reward_id: RewardId  # unique in the whole catalogue: members claim it by this id


class AdjustmentRequest(Strict):
    adjustment_id: OperationId  # the operator's own id for it: a retry with it adjusts once
    points: Annotated[int, Field(strict=True, ge=-1_000_000, le=1_000_000)]  # + credit, − debit; never 0
    reason: Annotated[str, StringConstraints(min_length=3, max_length=500, strip_whitespace=True)]
    funder: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-]{1,39}$")]  # a partner, or "operator"

    @model_validator(mode="after")
    def moves_points(self) -> AdjustmentRequest:
        if self.points == 0:
            raise ValueError("points must not be 0: give + to credit, - to debit")
        return self


class ReinstatementRequest(Strict):
    reinstatement_id: OperationId  # the operator's own id for it: a retry with it reinstates once
    expiry_entry_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]  # an `expire` entry of the member
    reason: Annotated[str, StringConstraints(min_length=3, max_length=500, strip_whitespace=True)]


class LateCreditRequest(Strict):
    late_credit_id: OperationId  # the operator's own id for it: a retry with it credits once
    partner_id: PartnerId  # where the purchase was made: the issuer of its points
    transaction_id: OperationId  # the partner's id of the purchase (on the receipt): it earns once, posted or credited
    amount: Decimal_
    currency: str
    occurred_at: AwareDatetime
    receipt: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    reason: Annotated[str, StringConstraints(min_length=3, max_length=500, strip_whitespace=True)]
    channel: Literal["store", "online"] = "store"


class GrantToAll(Strict):
    """Every member of the programme."""

    all: Literal[True]


class GrantToTier(Strict):
    """The members whose tier is this one (one of the programme's tiers), as the job finds them."""

    tier: TierName


class GrantToMembers(Strict):
    """These members (a repeated id counts once; an id that is no member is skipped)."""

    member_ids: Annotated[list[MemberId], Field(min_length=1, max_length=MAX_GRANT_MEMBERS)]


SegmentId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{1,63}$")]
PlanId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{1,39}$")]
# An offer or a challenge kept for the members of these paid membership plans (exclusive benefits).
PlanFilter = Annotated[
    list[PlanId], Field(min_length=1, max_length=20, description="only members of these paid membership plans")
]


class GrantToSegment(Strict):
    """The members of a segment, as its rules stand when the grant starts and as each member's wallet is then."""

    segment: SegmentId


def _recipients(value: Any) -> str | None:
    """Which recipients a grant names: exactly one of its keys, or none (refused with the union's own error); a
    parsed model (when serialising) by its class."""
    for model, tag in (
        (GrantToAll, "all"),
        (GrantToTier, "tier"),
        (GrantToMembers, "member_ids"),
        (GrantToSegment, "segment"),
    ):
        if isinstance(value, model):
            return tag
    given = [key for key in ("all", "tier", "member_ids", "segment") if isinstance(value, dict) and key in value]
    return given[0] if len(given) == 1 else None


Recipients = Annotated[
    Annotated[GrantToAll, Tag("all")]
    | Annotated[GrantToTier, Tag("tier")]
    | Annotated[GrantToMembers, Tag("member_ids")]
    | Annotated[GrantToSegment, Tag("segment")],
    Discriminator(
        _recipients,
        custom_error_type="recipients",
        custom_error_message='give exactly one of {"all": true}, {"tier": name}, {"member_ids": [...]},'
        ' {"segment": id}',
    ),
]


class GrantRequest(Strict):
    grant_id: OperationId  # the operator's own id for it: a retry with it starts no second job
    points: Annotated[int, Field(strict=True, gt=0, le=1_000_000)]  # to each member
    funder: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-]{1,39}$")]  # a partner, or "operator"
    reason: Annotated[str, StringConstraints(min_length=3, max_length=500, strip_whitespace=True)]
    to: Recipients


class ChallengeReward(Strict):
    points: Annotated[int, Field(strict=True, gt=0, le=1_000_000)]
    funder: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-]{1,39}$")]  # a partner, or "operator"


GoalCount = Annotated[int, Field(strict=True, ge=1, le=10_000)]


class DerivedTargetRule(Strict):
    """Each member's target: their average per month over `months` before the period, × `factor`, at least
    `minimum` (purchases: a whole number; spend: a decimal string)."""

    months: Annotated[int, Field(strict=True, ge=1, le=6)]
    factor: Decimal_
    minimum: GoalCount | Decimal_


class ChallengeRequest(Strict):
    challenge_id: SegmentId  # no ":" (the prefix of a challenge's measured figures)
    name: Name
    kind: Literal["purchases", "spend", "partners", "streak"]
    period: Literal["month", "quarter", "challenge"] = "challenge"
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reward: ChallengeReward
    target: (
        Annotated[
            GoalCount | Decimal_,
            Field(description="purchases, partners, weeks (a number), or money for spend (a decimal string)"),
        ]
        | None
    ) = None
    targets: (
        Annotated[
            Literal["set", "derived"],
            Field(description="each member's own target: set by the operator, or derived from their months"),
        ]
        | None
    ) = None
    derived: DerivedTargetRule | None = None
    partners: Annotated[list[PartnerId], Field(max_length=200)] | None = None
    min_amount: Decimal_ | None = None
    tiers: Annotated[list[str], Field(max_length=10)] | None = None
    segment: SegmentId | None = None
    plans: PlanFilter | None = None
    control_share: Decimal_ | None = None
    opt_in: Annotated[bool, Field(strict=True, description="only members who enrol take part")] = False

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)  # dates arrive as text

    @model_validator(mode="after")
    def consistent(self) -> ChallengeRequest:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if (self.target is None) == (self.targets is None):
            raise ValueError("give exactly one of target and targets")
        if (self.targets == "derived") != (self.derived is not None):
            raise ValueError('derived is given with targets "derived", and only then')
        return self


class ChallengeTargetRequest(Strict):
    target: GoalCount | Decimal_


class RewardClaimRequest(Strict):
    claim_id: OperationId  # the member app's own id for this claim: a retry with it claims once


class HoldRequest(Strict):
    hold_id: OperationId
    member: MemberRef
    points: Points
    ttl_seconds: Annotated[int, Field(strict=True, ge=30, le=7 * 24 * 3600)] = 900


class CaptureRequest(Strict):
    points: Points | None = None


class StatementLinkRequest(Strict):
    valid_hours: Annotated[int, Field(strict=True, ge=1, le=168)] | None = Field(
        None, description="how long the link opens the page (default 72 hours; S3 allows at most 7 days)"
    )


class KeyRequest(Strict):
    """What a new API key may do (a key issued without a body is an `admin` key, as every key was before scopes)."""

    scope: KeyScope = Field(
        KeyScope.ADMIN,
        description="till: post operations; finance: read statements, items and reports; admin: both, and webhooks",
    )


class PartnerCreate(Strict):
    partner_id: PartnerId
    name: Name
    currency: str
    # Exactly one of the two (the use case says which field is wrong): points per unit, or a % back.
    earn_rate: Decimal_ | None = None
    cashback_percent: Decimal_ | None = None
    category_rates: dict[Category, Decimal_] | None = None
    category_cashback_percent: dict[Category, Decimal_] | None = None
    fee_per_point: Decimal_ | None = None


class PartnerPatch(Strict):
    name: Name | None = None
    status: Literal["active", "suspended"] | None = None
    earn_rate: Decimal_ | None = None  # replaces a cashback_percent
    cashback_percent: Decimal_ | None = None  # replaces an earn_rate
    category_rates: dict[Category, Decimal_] | None = None
    category_cashback_percent: dict[Category, Decimal_] | None = None
    fee_per_point: Decimal_ | None = None


class ActivityRequest(Strict):
    activity_id: OperationId
    member: MemberRef
    type: Category
    occurred_at: AwareDatetime

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)  # occurred_at arrives as text


class ActivityRuleDocument(Strict):
    points: Annotated[int, Field(strict=True, gt=0, le=1_000_000)]
    max_per_day: Annotated[int, Field(strict=True, ge=1)] | None = None
    max_total: Annotated[int, Field(strict=True, ge=1)] | None = None
    funder: PartnerId | None = None


class FirstPurchaseBonus(Strict):
    points: Annotated[int, Field(strict=True, gt=0, le=1_000_000)]
    funder: PartnerId = "operator"
    # The least a purchase must amount to (and keep, after returns) to earn the bonus; "0": any purchase.
    min_amount: Decimal_ = "0"


class EarningLimits(Strict):
    max_points_per_transaction: Annotated[int, Field(strict=True, ge=1, le=100_000_000)] = 1_000_000
    max_points_per_member_per_day: Annotated[int, Field(strict=True, ge=1, le=100_000_000)] = 2_000_000


class ReferralBonus(Strict):
    referrer_points: Annotated[int, Field(strict=True, ge=0, le=1_000_000)]
    referee_points: Annotated[int, Field(strict=True, ge=0, le=1_000_000)]
    funder: PartnerId = "operator"


class Bonuses(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    first_purchase: FirstPurchaseBonus | None = None
    birthday_month_multiplier: Decimal_ | None = None
    birthday_funder: PartnerId = "operator"
    referral: ReferralBonus | None = None


class VoucherDenominationDocument(Strict):
    points: Annotated[int, Field(strict=True, gt=0, le=1_000_000)]
    value: Decimal_  # an amount of the programme's currency, at least points × point_value
    bonus_funder: PartnerId | None = None  # pays what the value adds over points × point_value


class AutoConvertDocument(Strict):
    threshold: Annotated[int, Field(strict=True, gt=0, le=100_000_000)]
    denomination: Annotated[int, Field(strict=True, gt=0)]  # the points of one of the denominations


class VoucherRulesDocument(Strict):
    denominations: Annotated[list[VoucherDenominationDocument], Field(min_length=1, max_length=10)]
    validity_months: Annotated[int, Field(strict=True, ge=1, le=60)]
    usable_at: Literal["all"] | Annotated[list[PartnerId], Field(min_length=1, max_length=200)] = "all"
    auto_convert: AutoConvertDocument | None = None

    @model_validator(mode="after")
    def consistent(self) -> VoucherRulesDocument:
        points = [d.points for d in self.denominations]
        if len(set(points)) != len(points):
            raise ValueError("voucher denominations must differ in points")
        if self.auto_convert is not None:
            if self.auto_convert.denomination not in points:
                raise ValueError("auto_convert.denomination must be the points of one of the denominations")
            if self.auto_convert.threshold < self.auto_convert.denomination:
                raise ValueError("auto_convert.threshold must be at least its denomination's points")
        return self


class CampaignTerms(Strict):
    """What every campaign says, whoever runs it: the operator's (CampaignRequest) also names its funder and
    partners; a partner's own (PartnerCampaignRequest) is funded by it and applies at its purchases."""

    campaign_id: OperationId
    name: Name
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    categories: Annotated[list[Category], Field(max_length=100)] | None = None
    channel: Literal["store", "online"] | None = None
    tiers: Annotated[list[str], Field(max_length=10)] | None = None
    multiplier: Decimal_ | None = None
    points: Annotated[int, Field(strict=True, gt=0, le=1_000_000)] | None = None
    max_per_member: Annotated[int, Field(strict=True, ge=1)] | None = None
    segment: SegmentId | None = None
    plans: PlanFilter | None = None
    opt_in: Annotated[bool, Field(strict=True, description="an offer: only members who enrol in it earn it")] = False
    control_share: (
        Annotated[
            Decimal_,
            Field(description='the share of targeted members held out to measure the effect, "0.01" to "0.50"'),
        ]
        | None
    ) = None

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)  # dates arrive as text

    @model_validator(mode="after")
    def consistent(self) -> CampaignTerms:
        if (self.multiplier is None) == (self.points is None):
            raise ValueError("give exactly one of multiplier and points")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class CampaignRequest(CampaignTerms):
    funder: PartnerId
    partners: Annotated[list[PartnerId], Field(max_length=200)] | None = None


class PartnerCampaignRequest(CampaignTerms):
    """A partner's own campaign: funded by the partner, on its own purchases (so no funder, no partners); `segment`
    names one of the partner's own segments (POST /v1/segments)."""


class TierRule(Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_\-]{0,31}$")]
    threshold: Annotated[int, Field(strict=True, ge=0)]
    earn_multiplier: Decimal_


class PartnerCampaignRules(Strict):
    """What the operator lets partners run on their own purchases, funded by themselves (POST /v1/campaigns)."""

    max_multiplier: Decimal_ = "2"
    max_points: Annotated[int, Field(strict=True, ge=1, le=1_000_000)] = 500
    max_running: Annotated[int, Field(strict=True, ge=1, le=20)] = 5  # one partner's campaigns at once
    max_measured: Annotated[int, Field(strict=True, ge=0, le=5)] = 1  # of them, with a control group

    @field_validator("max_multiplier")
    @classmethod
    def a_multiplier(cls, value: str) -> str:
        if not PLAIN_DECIMAL.fullmatch(value) or not Decimal(1) < Decimal(value) <= Decimal(20):
            raise ValueError('a multiplier above 1 and at most 20, as text ("2")')
        return value


class ProgramDocument(Strict):
    # Every part of the programme is declared here: an unknown field (a typo such as "expiry_monthz") is
    # refused, never published. A new rule = a new optional field (or sub-model) below.

    currency: str
    point_value: Decimal_
    expiry_months: Annotated[int, Field(strict=True, ge=1, le=120)]
    tier_metric: Literal["qualifying_points", "spend", "purchases", "distinct_partners"] = "qualifying_points"
    tiers: Annotated[list[TierRule], Field(min_length=1, max_length=10)]
    bonuses: Bonuses | None = None
    activities: dict[Category, ActivityRuleDocument] | None = None
    limits: EarningLimits | None = None
    vouchers: VoucherRulesDocument | None = None
    partner_campaigns: PartnerCampaignRules | None = None  # absent: partners run no campaigns of their own

    @model_validator(mode="after")
    def tiers_ascend(self) -> ProgramDocument:
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError("tier names must be unique")
        thresholds = [t.threshold for t in self.tiers]
        if thresholds[0] != 0 or thresholds != sorted(set(thresholds)):
            raise ValueError("tier thresholds must start at 0 and strictly increase")
        return self

    def funders(self) -> dict[str, str]:
        """Every party the programme makes issue points, by the field that names it (a new funded rule adds
        its field here, so that the operator cannot name a party that does not settle)."""
        named: dict[str, str] = {}
        if self.bonuses is not None:
            if self.bonuses.first_purchase is not None:
                named["bonuses.first_purchase.funder"] = self.bonuses.first_purchase.funder
            if self.bonuses.referral is not None:
                named["bonuses.referral.funder"] = self.bonuses.referral.funder
            named["bonuses.birthday_funder"] = self.bonuses.birthday_funder
        for name, rule in (self.activities or {}).items():
            if rule.funder is not None:
                named[f"activities.{name}.funder"] = rule.funder
        for n, denomination in enumerate(self.vouchers.denominations if self.vouchers else []):
            if denomination.bonus_funder is not None:
                named[f"vouchers.denominations[{n}].bonus_funder"] = denomination.bonus_funder
        return named


class MemberPatch(Strict):
    status: Literal["active", "suspended", "closed"]


def _calendar_date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a calendar date") from None
    return value


# YYYY-MM-DD in ASCII digits ("\d" would take any Unicode digit), and a day that exists.
IsoDate = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"), AfterValidator(_calendar_date)]


class JobRequest(Strict):
    as_of: IsoDate | None = None  # only for the jobs that take a date (tier-review, expiry)


class SelfEnrolRequest(Strict):
    """Online enrolment: the identifiers are the ones Cognito verified (in the id token), not typed here."""

    birth_date: date | None = None
    referral_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{4,32}$")] | None = None

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)  # birth_date arrives as text


# What a member is called in greetings: printable text (no control characters), trimmed.
PersonName = Annotated[
    str, StringConstraints(min_length=1, max_length=80, strip_whitespace=True, pattern=r"^[^\x00-\x1f\x7f]+$")
]
Interest = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{0,31}$")]


def _printable(name: str) -> str:
    """Shown in greetings: no control, format or separator characters (a right-to-left override, a line separator)."""
    if not name.isprintable():
        raise ValueError("a name is printable text: no control or formatting characters")
    return name


def _text_date(value: object) -> object:
    """A date as ISO text only (lax parsing would read 631152000 as a date)."""
    if not isinstance(value, str):
        raise ValueError("a date is text: YYYY-MM-DD")
    return value


class ConsentChoice(Strict):
    given: bool


class ProfilePatch(Strict):
    """PATCH /v1/me: the fields sent are replaced (`name: null` forgets the name); consents per channel, dated by us."""

    name: Annotated[PersonName, AfterValidator(_printable)] | None = None
    preferred_partners: Annotated[list[PartnerId], Field(max_length=10)] | None = None
    interests: Annotated[list[Interest], Field(max_length=20)] | None = None
    consents: dict[Literal["email", "sms", "push"], ConsentChoice] | None = None
    birth_date: Annotated[date, BeforeValidator(_text_date)] | None = None

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)  # birth_date arrives as text

    @model_validator(mode="after")
    def something_to_change(self) -> ProfilePatch:
        if not self.model_fields_set:
            raise ValueError("send at least one of name, preferred_partners, interests, consents, birth_date")
        nulls = {"preferred_partners", "interests", "consents", "birth_date"} & {
            name for name in self.model_fields_set if getattr(self, name) is None
        }
        if nulls:
            raise ValueError(f"{', '.join(sorted(nulls))} cannot be null (send [] or {{}} to empty a list)")
        return self


class CardClaimRequest(Strict):
    """Claim the member you are: found by the email or phone Cognito verified; a card number, if given, must match."""

    card_number: CardNumber | None = None


def valid_member_id(value: str) -> bool:
    return bool(re.fullmatch(r"m_[0-9a-f]{20}", value))


# ---- webhooks ----------------------------------------------------------------------------------------------
WebhookEvent = Literal["settlement.closed", "tier.changed", "points.expiring", "voucher.spent", "reversal.booked"]
# Printable ASCII, no spaces at either end: a secret the partner can paste into its receiver's configuration.
WebhookSecret = Annotated[str, StringConstraints(pattern=r"^[!-~][ -~]{14,126}[!-~]$")]


class WebhookRequest(Strict):
    webhook_id: OperationId
    url: Annotated[str, StringConstraints(min_length=8, max_length=2048)]
    events: Annotated[list[WebhookEvent], Field(min_length=1, max_length=5)]
    secret: WebhookSecret = Field(description="16 to 128 printable characters; signs every delivery, never shown")

    @model_validator(mode="after")
    def events_once(self) -> WebhookRequest:
        if len(set(self.events)) != len(self.events):
            raise ValueError("name each event once")
        return self


# ---- segments (issue 12) ------------------------------------------------------------------------------------------
Months = Annotated[int, Field(strict=True, ge=1, le=12)]  # the wallet keeps 12 months of activity


class AgeBand(Strict):
    min: Annotated[int, Field(strict=True, ge=0, le=130)] | None = None
    max: Annotated[int, Field(strict=True, ge=0, le=130)] | None = None

    @model_validator(mode="after")
    def bounded(self) -> AgeBand:
        _check_band(self.min, self.max)
        return self


class PurchasesOver(Strict):
    """Purchases over the last `months` calendar months, this one included (at `partners` only, if given)."""

    min: Count | None = None
    max: Count | None = None
    months: Months
    partners: Annotated[list[PartnerId], Field(min_length=1, max_length=50)] | None = None

    @model_validator(mode="after")
    def bounded(self) -> PurchasesOver:
        _check_band(self.min, self.max)
        return self


class SpendOver(Strict):
    """Money spent over the last `months` calendar months (net of returns), as text: "300.00"."""

    min: Decimal_ | None = None
    max: Decimal_ | None = None
    months: Months


class PartnersOver(Strict):
    min: Annotated[int, Field(strict=True, ge=1, le=1000)]
    months: Months


class SegmentRulesRequest(Strict):
    """Every rule given must hold; at least one rule."""

    tiers: Annotated[list[str], Field(min_length=1, max_length=10)] | None = None
    age: AgeBand | None = None
    interests: Annotated[list[Interest], Field(min_length=1, max_length=20)] | None = None
    preferred_partners: Annotated[list[PartnerId], Field(min_length=1, max_length=50)] | None = None
    purchases: PurchasesOver | None = None
    spend: SpendOver | None = None
    inactive_months: Months | None = None
    distinct_partners: PartnersOver | None = None

    @model_validator(mode="after")
    def some_rule(self) -> SegmentRulesRequest:
        if not any(getattr(self, name) is not None for name in type(self).model_fields):
            raise ValueError('give at least one rule (every member is {"all": true}, not a segment)')
        return self


class SegmentRequest(Strict):
    segment_id: SegmentId
    name: Name
    rules: SegmentRulesRequest


def _check_band(low: int | None, high: int | None) -> None:
    if low is None and high is None:
        raise ValueError("give min, max or both")
    if low is not None and high is not None and low > high:
        raise ValueError("min must not be above max")


# ---- paid membership (issue 12) -----------------------------------------------------------------------------------


class PlanRequest(Strict):
    """POST /v1/admin/plans, PUT /v1/admin/plans/{plan_id}: a paid membership plan."""

    plan_id: PlanId
    name: Name
    fee: Annotated[Decimal_, Field(description="per period, in the programme's currency")]
    period: Literal["month", "year"]
    earn_multiplier: Annotated[
        Decimal_, Field(description='on every purchase\'s base points, funded by the operator: "1" to "5"')
    ] = "1"
    on_sale: Annotated[bool, Field(description="false: no new sales (memberships paid for still renew)")] = True
    monthly_voucher: (
        Annotated[
            int,
            Field(
                strict=True,
                gt=0,
                description="a voucher given every month of the membership: the points of a programme denomination",
            ),
        ]
        | None
    ) = None


class MembershipSaleRequest(Strict):
    """POST /v1/memberships: a partner's till sells a paid membership; its fee is the operator's."""

    sale_id: OperationId
    member: MemberRef
    plan_id: PlanId
    fee: (
        Annotated[
            Decimal_, Field(description="the fee the till collected: refused (422) when the plan's fee is another now")
        ]
        | None
    ) = None
    auto_renew: Annotated[bool, Field(description="renewed by the same till's partner when it ends")] = True


class MembershipChoice(Strict):
    """PATCH /v1/me/membership: whether the membership renews when its paid period ends."""

    auto_renew: bool
