"""What each endpoint answers on success, as pydantic models: the OpenAPI document's response schemas.

They describe the bodies the use cases build (they do not build them): an endpoint declares its model with
`endpoint(..., response=EarnResponse)`, and the contract test holds every answer to it. Every model allows
additional properties, so adding a field to an answer stays compatible with the document and its clients.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..domain.program import KeyScope
from ..services.requests import ActivityRuleDocument, Bonuses, EarningLimits, VoucherRulesDocument
from ..services.voucher_views import VoucherView

DecimalText = Annotated[str, Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$", description="a decimal as a string")]
Money = Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{2}$", description="an amount in the settlement currency")]
Points = int
IntOrDecimal = int | DecimalText  # a whole number as an integer, a fraction as a decimal string
PointsBy = dict[str, int]  # party id -> points


# defer_build: a model's validator and serializer are built when first used, not at import: every Lambda
# function imports every model, and a request uses few of them (issue 11).
class Answer(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)


# ---- shared pieces ------------------------------------------------------------------------------------------
class BreakdownLine(Answer):
    """One term of an entry's points: the rule that gave them and why."""

    rule: str
    points: int
    detail: str


class AttributionLine(Answer):
    """Whose points an entry moved: the issuer and the expiry of the lot."""

    issuer: str
    expires_on: date
    points: Points


# ---- partner ------------------------------------------------------------------------------------------------
class EnrolResponse(Answer):
    member_id: str
    card_number: str
    tier: str
    referral_code: str


class MemberLookupResponse(Answer):
    member_id: str
    tier: str
    available_points: Points


class EarnResponse(Answer):
    """A purchase's answer. A sale without a member (no `member` sent) earns nothing: its entry, member, balance and
    tier are null, its points 0."""

    entry_id: str | None
    transaction_id: str
    member_id: str | None
    points: Points = Field(description="everything the purchase earned: the sum of the breakdown")
    breakdown: list[BreakdownLine]
    available_points: Points | None
    tier: str | None
    vouchers: list[VoucherView] | None = Field(
        default=None, description="vouchers the programme converted automatically (its threshold reached)"
    )


class ReturnResponse(Answer):
    entry_id: str
    return_id: str
    transaction_id: str
    points_reversed: Points
    breakdown: list[BreakdownLine] = Field(description="each award taken back (negative points)")
    available_points: Points
    owed_points: Points = Field(description="points the member owes back to issuers (spent before the return)")
    tier: str = Field(description="the member's tier after the return (re-decided at once)")


class ReversalResponse(Answer):
    entry_id: str
    reversal_id: str
    redemption_id: str | None = Field(None, description="the reversed redemption (or hold_id for a capture)")
    hold_id: str | None = None
    points: Points = Field(description="points given back to the member")
    expired_points: Points = Field(description="of those, points past their validity: gone to breakage at once")
    available_points: Points


class RedemptionResponse(Answer):
    entry_id: str
    redemption_id: str
    member_id: str
    points: Points
    available_points: Points


class HoldResponse(Answer):
    hold_id: str
    member_id: str
    points: Points
    expires_at: datetime
    available_points: Points


class CaptureResponse(Answer):
    entry_id: str
    hold_id: str
    points: Points
    released_points: Points
    available_points: Points


class VoidResponse(Answer):
    hold_id: str
    status: Literal["voided"]
    entry_id: str
    available_points: Points


class ActivityResponse(Answer):
    entry_id: str
    activity_id: str
    member_id: str
    type: str
    points: Points
    breakdown: list[BreakdownLine]
    available_points: Points


# ---- paid membership ------------------------------------------------------------------------------------------
class Plan(Answer):
    """A paid membership plan (issue 12)."""

    plan_id: str
    name: str
    fee: DecimalText = Field(description="per period, in the programme's currency")
    currency: str
    period: Literal["month", "year"]
    earn_multiplier: DecimalText = Field(description="on every purchase's base points, funded by the operator")
    on_sale: bool = Field(description="false: no new sales; memberships paid for still renew")
    monthly_voucher: int | None = Field(
        default=None, description="the points of the programme's voucher denomination given every month (null: none)"
    )


class PlanList(Answer):
    plans: list[Plan]


class MembershipView(Answer):
    """A member's paid membership: the terms of the last payment and the days it covers (UTC)."""

    plan_id: str
    name: str
    period: Literal["month", "year"]
    earn_multiplier: DecimalText = Field(description="as paid for: a later change of the plan applies on renewal")
    fee: DecimalText = Field(description="the last payment")
    currency: str
    sold_by: str = Field(description="the partner that sold it, and collects its renewals")
    since: date = Field(description="the first day of the membership (renewals keep it)")
    paid_from: date = Field(description="the first day of the period last paid for")
    paid_through: date = Field(description="the last day paid for")
    active: bool = Field(description="today is within the days paid for: its benefits apply")
    auto_renew: bool
    renews_on: date | None = Field(description="when the next period is charged (renewal on)")
    ends_on: date | None = Field(description="its last day (renewal off)")
    monthly_voucher: int | None = Field(default=None, description="a voucher of these points every month (the plan's)")
    next_voucher_on: date | None = Field(default=None, description="when the next monthly voucher is given")


class MembershipSale(Answer):
    entry_id: str = Field(description="the fee's entry in the member's history (no points)")
    sale_id: str
    member_id: str
    fee: DecimalText = Field(description="what the till collects for the operator, paid to it on the day's statement")
    currency: str
    membership: MembershipView
    vouchers: list[str] = Field(
        default_factory=list, description="codes of the monthly vouchers given with the sale (the first month's)"
    )


# ---- member -------------------------------------------------------------------------------------------------
class ExpiringPoints(Answer):
    on: date
    points: Points


class KeepTier(Answer):
    """What the review on `by` asks to keep the tier: the metric over the 12 months to `by`, of which `counted` is
    already earned (months before now that will still be in that window)."""

    tier: str
    threshold: IntOrDecimal
    counted: IntOrDecimal
    needed: IntOrDecimal
    by: date


class TierProgress(Answer):
    metric: str
    current: IntOrDecimal
    next_tier: str | None
    needed: IntOrDecimal
    review_on: date | None
    keep: KeepTier | None = Field(description="what keeps the current tier at its review (null on the base tier)")


class ConsentView(Answer):
    given: bool
    at: datetime = Field(description="when the member gave or withdrew it")


class ExpiringSoon(Answer):
    within_days: int
    points: Points
    value: Money = Field(description="points × point_value, rounded down to the cent")
    first_on: date | None = Field(description="the earliest of those expiry dates")


class MemberOverview(Answer):
    member_id: str
    card_number: str
    referral_code: str | None
    status: Literal["active", "suspended", "closed", "erased"]
    tier: str
    available_points: Points
    held_points: Points
    owed_points: Points
    available_value: Money = Field(description="available_points × point_value, rounded down to the cent")
    held_value: Money = Field(description="held_points × point_value, rounded down to the cent")
    currency: str = Field(description="the programme's currency, that of the values")
    expiring: list[ExpiringPoints]
    expiring_soon: ExpiringSoon = Field(description="points that expire within the next 60 days")
    tier_progress: TierProgress
    name: str | None
    preferred_partners: list[str]
    interests: list[str]
    consents: dict[Literal["email", "sms", "push"], ConsentView]
    birth_date: date | None
    membership: MembershipView | None = Field(default=None, description="my paid membership (null: none)")


class EntryView(Answer):
    entry_id: str
    type: str
    partner_id: str
    partner_name: str | None = Field(
        default=None, description="the partner's name as members know it (in a member's history; 'the programme')"
    )
    points: int
    held_points: int
    attribution: list[AttributionLine]
    reference: str | None
    booked_at: datetime
    breakdown: list[BreakdownLine] | None = None


class Adjusted(Answer):
    entry_id: str
    adjustment_id: str
    member_id: str
    points: int = Field(description="+ credited, − debited")
    funder: str = Field(description="the issuer that funds the credit or absorbs the debit")
    available_points: Points
    owed_points: Points = Field(description="points the member owes back to issuers (a debit beyond their points)")


class Reinstated(Answer):
    entry_id: str
    reinstatement_id: str
    member_id: str
    expiry_entry_id: str
    points: Points = Field(description="the points given back: the sum of by_issuer")
    by_issuer: PointsBy = Field(description="issuer -> points given back: the issuers whose points expired")
    expired_points: Points = Field(description="what the expiry took (returns since may have taken part of it)")
    expires_on: date = Field(description="the new validity of the points: the programme's, from today")
    available_points: Points
    owed_points: Points


class LateCredited(EarnResponse):
    """The purchase's answer, as the partner's would have been, and the late credit's own figures."""

    late_credit_id: str
    partner_id: str = Field(description="where the purchase was made: the issuer of its points")
    receipt: str


class AuditRecordView(Answer):
    at: datetime
    actor: str = Field(description="which operator key acted (a fingerprint of it, never the key)")
    action: str = Field(description="the call: method and path")
    target: str | None = Field(description="what it acted on: the call's first path parameter")
    status: int
    request: Any = Field(description="the body sent, secrets left out")
    before: Any = Field(description="the state the action changed, as read just before (where the action reads one)")
    after: Any = Field(description="the answer, secrets left out (a large one noted by its size)")


class AuditPage(Answer):
    records: list[AuditRecordView]
    next_cursor: str | None


class LotView(Answer):
    issuer: str
    expires_on: date
    points: Points


class HoldView(Answer):
    hold_id: str
    partner_id: str
    points: Points
    expires_at: datetime


class ExportedMember(MemberOverview):
    tier_reached_on: date
    created_at: datetime
    referred_by: str | None
    birth_date_recorded_on: date | None


class ExportedIdentifier(Answer):
    kind: str = Field(description="card_number, email, phone, referral_code or sign_in")
    value: str
    held_as: str = Field(description="as is, or a keyed hash (emails and phones are never held in clear)")


class ExportedLot(Answer):
    issuer: str
    expires_on: date
    points: Points


class ExportedHold(Answer):
    hold_id: str
    partner_id: str
    points: Points
    expires_at: datetime


class ExportedWallet(Answer):
    lots: list[ExportedLot]
    debts: PointsBy
    holds: list[ExportedHold]
    voucher_points: PointsBy
    activity: dict[str, dict[str, Any]] = Field(description="month -> the figures the tier rules count")
    engagements: dict[str, Any]
    campaign_counts: PointsBy
    membership: dict[str, Any] | None = Field(default=None, description="the paid membership as held (null: none)")


class MemberExport(Answer):
    """Everything held about the member. The history's first 100 entries are here; next_cursor reads the rest from
    GET /v1/me/entries."""

    exported_at: datetime
    member: ExportedMember
    identifiers: list[ExportedIdentifier]
    wallet: ExportedWallet
    vouchers: list[VoucherView] = Field(description="the newest 100")
    more_vouchers: bool = Field(description="older vouchers exist beyond these 100")
    entries: list[EntryView]
    next_cursor: str | None


class MemberFile(MemberOverview):
    """The customer-service desk's view of a member (personal data: the operator's eyes only)."""

    tier_reached_on: date
    created_at: datetime
    referred_by: str | None
    lots: list[LotView] = Field(description="points by issuer and expiry date, earliest first")
    debts: PointsBy = Field(description="points owed back to each issuer (spent before a return)")
    holds: list[HoldView]
    voucher_points: PointsBy = Field(description="points in the member's open vouchers, by issuer")
    recent_entries: list[EntryView] = Field(description="the latest entries, newest first")
    more_entries: bool = Field(description="older entries exist (the member's history has them all)")


class VoucherConverted(VoucherView):
    entry_id: str
    available_points: int


class VoucherSpent(Answer):
    redemption_id: str
    code: str
    value: DecimalText
    currency: str
    entry_id: str


class VoucherReopened(VoucherView):
    redemption_id: str
    entry_id: str


class SpendCodeIssued(Answer):
    code: str = Field(description="12 digits the member's app shows (or as a barcode); one use")
    points_max: Points
    expires_at: datetime


class EntriesPage(Answer):
    entries: list[EntryView]
    next_cursor: str | None


# ---- operator -----------------------------------------------------------------------------------------------
class PartnerView(Answer):
    """The partner's rates in the form they were given: each in points per unit or as a % back, never both."""

    partner_id: str
    name: str
    currency: str
    earn_rate: DecimalText | None = Field(description="points per currency unit; null when cashback_percent is set")
    category_rates: dict[str, DecimalText]
    cashback_percent: DecimalText | None = Field(
        description="the base rate as a % of the amount back; its points per unit follow the point value"
    )
    category_cashback_percent: dict[str, DecimalText] = Field(description="category rates as a % back")
    fee_per_point: DecimalText
    status: Literal["active", "suspended"]


class IssuedKey(Answer):
    key_id: str
    partner_id: str
    scope: KeyScope
    api_key: str = Field(description="ck_<key_id>_<secret>: shown this once")


class MemberStatus(Answer):
    member_id: str
    status: Literal["active", "suspended", "closed", "erased"]


class TierView(Answer):
    name: str
    threshold: IntOrDecimal
    earn_multiplier: DecimalText


class ProgramRules(Answer):
    """The programme as stored; its optional sections (bonuses, activities, vouchers) come as they were put,
    and the earning limits in force always."""

    currency: str
    point_value: DecimalText
    expiry_months: int
    expiry_policy: str
    tier_metric: str
    tier_window_months: int
    tiers: list[TierView]
    bonuses: Bonuses | None = None
    activities: dict[str, ActivityRuleDocument] | None = None
    limits: EarningLimits
    vouchers: VoucherRulesDocument | None = None


class SavedProgram(ProgramRules):
    version: int


class PublicPartner(Answer):
    """A partner's rates in points per currency unit at the current point value (a rate given as a % back is
    derived: percent / 100 / point_value, rounded up to 8 decimals), and the % back each rate gives."""

    partner_id: str
    name: str
    currency: str
    earn_rate: DecimalText = Field(description="points per currency unit, at the current point value")
    category_rates: dict[str, DecimalText] = Field(description="points per currency unit in these categories")
    cashback_percent: DecimalText | None = Field(description="the base rate as the partner gave it, as a % back")
    category_cashback_percent: dict[str, DecimalText] = Field(description="category rates given as a % back")
    percent_back: DecimalText = Field(
        description="earn_rate × point_value × 100: the % of the amount given back (before tier and campaigns)"
    )
    category_percent_back: dict[str, DecimalText] = Field(description="the % back of each category rate")


class PublicCampaign(Answer):
    """A running or coming campaign; it has a multiplier or fixed points."""

    campaign_id: str
    name: str
    starts_at: datetime
    ends_at: datetime
    partners: list[str]
    categories: list[str]
    channel: str | None
    tiers: list[str]
    max_per_member: int | None
    multiplier: DecimalText | None = None
    points: Points | None = None


class PublishedProgram(ProgramRules):
    rounding: str
    partners: list[PublicPartner]
    campaigns: list[PublicCampaign]
    plans: list[Plan] = Field(default_factory=list, description="the paid membership plans on sale")


class Campaign(Answer):
    """The campaign as stored: the optional fields appear when they were given."""

    campaign_id: str
    name: str
    starts_at: datetime
    ends_at: datetime
    funder: str
    partners: list[str] | None = None
    categories: list[str] | None = None
    channel: Literal["store", "online"] | None = None
    tiers: list[str] | None = None
    multiplier: DecimalText | None = None
    points: Points | None = None
    max_per_member: int | None = None
    segment: str | None = Field(None, description="only the members of this segment")
    control_share: DecimalText | None = Field(
        None, description="the share of targeted members held out (no reward) to measure the campaign's effect"
    )
    opt_in: bool | None = Field(None, description="an offer: only members who enrol earn it (shown when true)")


class CampaignList(Answer):
    campaigns: list[Campaign]


class OfferView(Answer):
    """An opt-in offer as the member sees it: what it gives, where, and whether they enrolled."""

    offer_id: str
    name: str
    starts_at: datetime
    ends_at: datetime
    partners: list[str] = Field(description="where it applies (empty: every partner)")
    categories: list[str] = Field(description="on which lines (empty: every line)")
    channel: Literal["store", "online"] | None
    multiplier: DecimalText | None = None
    points: Points | None = None
    max_per_member: int | None
    enrolled: bool


class OfferList(Answer):
    offers: list[OfferView]


# ---- targeting (issue 12) -----------------------------------------------------------------------------------------
class Band(Answer):
    min: int | DecimalText | None = None
    max: int | DecimalText | None = None


class OverMonths(Band):
    months: int
    partners: list[str] | None = None


class SegmentRules(Answer):
    """Every rule shown must hold; rules not given are left out."""

    tiers: list[str] | None = None
    age: Band | None = None
    interests: list[str] | None = None
    preferred_partners: list[str] | None = None
    purchases: OverMonths | None = None
    spend: OverMonths | None = None
    inactive_months: int | None = None
    distinct_partners: OverMonths | None = None


class SegmentCountView(Answer):
    """A count of the segment's members: a job over every member, page by page."""

    job_id: str
    status: Literal["running", "done"]
    members: int | None = Field(description="the members in the segment (null until the count is done)")
    gone_through: int = Field(description="members read so far")
    started_at: datetime
    finished_at: datetime | None


class Segment(Answer):
    segment_id: str
    name: str
    owner: str = Field(description='"operator", or the partner whose customers it selects')
    rules: SegmentRules
    count: SegmentCountView | None = Field(None, description="its latest count (null: never counted)")


class SegmentList(Answer):
    segments: list[Segment]


class Interval(Answer):
    """An estimate with its 95 % confidence interval (null bounds: too few customers to say)."""

    value: DecimalText
    low: DecimalText | None
    high: DecimalText | None


class GroupEffect(Answer):
    customers: int = Field(description="members of the group with at least one qualifying purchase")
    purchases: int
    spend: Money
    spend_per_customer: Interval | None
    purchases_per_customer: Interval | None
    average_basket: Interval | None
    points_issued: int = Field(description="what the campaign (or challenge) awarded (the control group: 0)")
    points_cost: Money = Field(description="those points at the programme's point value")


class Uplift(Answer):
    """treated − control with its 95 % interval; `uplift` = treated / control − 1 (0.2 = 20 % more), its interval."""

    difference: DecimalText
    low: DecimalText
    high: DecimalText
    uplift: DecimalText | None
    uplift_low: DecimalText | None
    uplift_high: DecimalText | None


class CampaignEffects(Answer):
    spend_per_customer: Uplift | None
    purchases_per_customer: Uplift | None
    average_basket: Uplift | None


class SalesSide(Answer):
    purchases: int
    spend: Money
    average_basket: Interval | None


class SalesComparison(Answer):
    """Members against sales without a member, at one partner, over closed days."""

    partner_id: str
    currency: str = Field(description="the partner's: every amount here is in it")
    from_: date = Field(alias="from")
    to: date
    closed_through: date | None = Field(description="the last closed settlement day: later days are not counted yet")
    members: SalesSide
    non_members: SalesSide
    basket_difference: Uplift | None = Field(description="members' basket − non-members', with its 95 % interval")


class MeasuredEffect(Answer):
    from_: date | None = Field(alias="from", description="the first day with figures (null: none yet)")
    to: date = Field(description="the last day counted")
    closed_through: date | None = Field(description="the last closed settlement day: later days are not counted yet")
    currency: str
    control_share: DecimalText | None
    groups: dict[Literal["treated", "control"], GroupEffect]
    effect: CampaignEffects


class CampaignEffect(MeasuredEffect):
    campaign_id: str


class ChallengeEffect(MeasuredEffect):
    challenge_id: str


class ChallengeRewardView(Answer):
    points: Points
    funder: str


class DerivedTargetView(Answer):
    months: int
    factor: DecimalText
    minimum: int | DecimalText


Goal = Annotated[int | DecimalText, Field(description="purchases, partners or weeks (a number); spend: money")]


class Challenge(Answer):
    """A challenge as the operator defined it; optional rules not given are left out."""

    challenge_id: str
    name: str
    kind: Literal["purchases", "spend", "partners", "streak"]
    period: Literal["month", "quarter", "challenge"] = Field(
        description="it repeats every calendar month or quarter of its window, or runs once over the whole window"
    )
    starts_at: datetime
    ends_at: datetime
    reward: ChallengeRewardView
    target: Goal | None = None
    targets: Literal["set", "derived"] | None = None
    derived: DerivedTargetView | None = None
    partners: list[str] | None = None
    min_amount: DecimalText | None = None
    tiers: list[str] | None = None
    segment: str | None = None
    control_share: DecimalText | None = None
    opt_in: bool | None = None


class ChallengeList(Answer):
    challenges: list[Challenge]


class ChallengeTarget(Answer):
    challenge_id: str
    member_id: str
    target: Goal


class ChallengePeriodView(Answer):
    period: str = Field(description='"2026-11", "2026-Q4", or "all" (the whole window)')
    from_: date = Field(alias="from")
    to: date


class ChallengeRewarded(Answer):
    period: str
    points: Points
    completed_on: date


class MemberChallenge(Answer):
    """A challenge as the member sees it: the period under way (or the first, before it starts), their target and
    their progress, and the periods whose reward they hold."""

    challenge_id: str
    name: str
    kind: Literal["purchases", "spend", "partners", "streak"]
    starts_at: datetime
    ends_at: datetime
    partners: list[str] = Field(description="where purchases count (empty: everywhere)")
    min_amount: DecimalText | None = Field(description="the least a purchase must amount to, to count")
    reward_points: Points
    opt_in: bool
    enrolled: bool | None = Field(description="an opt-in challenge: whether you enrolled (null: no enrolment needed)")
    period: ChallengePeriodView
    target: Goal | None
    progress: Goal
    completed: bool = Field(description="this period's reward is yours")
    rewarded: list[ChallengeRewarded]


class MemberChallengeList(Answer):
    challenges: list[MemberChallenge]


class JobStarted(Answer):
    job_id: str
    job: str
    shards: int
    inline: bool = Field(description="no queue: the shards ran within this request")
    as_of: date | None = None
    processed: int | None = None


class GrantStarted(Answer):
    job_id: str = Field(description="the grant's job: GET /v1/admin/jobs/{job_id} tells its progress")
    grant_id: str
    status: Literal["running"] = Field(description="as when the grant was accepted (a replay answers the same)")


class JobProgress(Answer):
    job_id: str
    kind: Literal["grant"]
    grant_id: str
    status: Literal["running", "done"]
    total: int | None = Field(
        description="members the grant is for: known from the start for a list of member ids; for everyone or a "
        "tier, counted as the shards read them (null until every shard is done)"
    )
    done: int = Field(description="members gone through: credited (now or before a redelivery) and skipped")
    granted: int = Field(description="members credited")
    points_granted: int = Field(description="points credited, in total")
    skipped: int = Field(description="ids that are no member, members suspended or closed (or no longer in the tier)")
    failed: int = Field(description="members a credit was refused for another reason (logged)")
    shards: int = Field(description="messages the job fanned out into (Scan segments, index shards or id batches)")
    shards_done: int
    started_at: datetime
    finished_at: datetime | None = Field(description="when the last shard finished (null while running)")


class MemberLinked(Answer):
    """A signed-in user linked to the member they are (a claim)."""

    member_id: str
    card_number: str
    tier: str


# ---- settlement ---------------------------------------------------------------------------------------------
class VouchersAtParty(Answer):
    """Vouchers spent (or voided) at this party in the period."""

    count: int = Field(description="vouchers")
    points: Points
    value: Money = Field(description="their face value: every issuer's share and the bonus")
    by_issuer: PointsBy = Field(description="issuer -> its voucher points")


class VoucherShares(Answer):
    """This party's voucher points spent (or voided) at one other partner, and its shares of their face value."""

    points: Points
    value: Money


class StatementVouchers(Answer):
    """The party's voucher movements, apart: the point lines count them too (a spend in redeemed_*, a void in
    reversed_*, an expiry in expired_points, their money in receivable/payable)."""

    converted_points: Points = Field(description="this issuer's points converted into vouchers")
    spent_here: VouchersAtParty
    spent_elsewhere: dict[str, VoucherShares] = Field(description="spending partner -> this issuer's voucher points")
    voided_here: VouchersAtParty
    voided_elsewhere: dict[str, VoucherShares] = Field(description="spending partner -> this issuer's voucher points")
    bonus_paid: Money = Field(description="voucher bonuses this party funded, net of voids")
    bonus_received: Money = Field(description="voucher bonuses paid to this party, net of voids")
    expired_points: Points = Field(description="this issuer's voucher points expired (breakage)")


class Statement(Answer):
    """One party's part of a closed day or month (API.md: receivable − payable = net)."""

    period: str
    partner_id: str
    currency: str
    point_value: DecimalText
    issued_points: Points
    returned_points: Points
    fees: Money
    redeemed_here: PointsBy = Field(description="issuer -> its points redeemed here")
    redeemed_elsewhere: PointsBy = Field(description="redeemer -> this party's points redeemed there")
    expired_points: Points
    # In every statement served; absent in the stored documents of periods closed before reinstatements.
    reinstated_points: Points | None = Field(
        default=None, description="this issuer's expired points given back by customer service (breakage undone)"
    )
    outstanding_points: Points = Field(description="this issuer's points outstanding: in lots, holds and vouchers")
    # Both in every statement served; absent in the stored documents of periods closed before voucher lines.
    outstanding_voucher_points: Points | None = Field(default=None, description="of which in open vouchers")
    vouchers: StatementVouchers | None = None
    # Both in every statement served; absent in the stored documents of periods closed before paid memberships.
    memberships_sold: int | None = Field(default=None, description="paid memberships sold or renewed at this partner")
    membership_fees: Money | None = Field(
        default=None, description="their fees, collected by this partner for the operator and paid to it"
    )
    receivable: Money
    payable: Money
    net: Money
    closed_at: datetime
    fees_received: Money | None = Field(default=None, description="the operator's statement only")
    membership_fees_received: Money | None = Field(
        default=None, description="the operator's statement only: the membership fees partners pay it"
    )


class LineItemView(Answer):
    booked_at: datetime
    entry_id: str
    type: str
    role: Literal["issuer", "redeemer", "funder", "seller", "operator"] = Field(
        description="what this partner was in it (seller: of a paid membership, whose fee it pays the operator)"
    )
    reference: str | None = Field(description="this partner's own operation id (another partner's is not shown)")
    member_id: str = Field(description="the member's pseudonymous id")
    at_partner: str = Field(description="where the entry was booked")
    issuer: str
    counterparty: str | None = Field(description="who the money moves with")
    points: int
    amount: DecimalText = Field(description="money for this partner: + received, - paid (exact)")
    store_id: str | None
    channel: str | None


class LineItemsPage(Answer):
    period: str
    currency: str
    items: list[LineItemView]
    next_cursor: str | None


class StatementLinkView(Answer):
    url: str = Field(description="opens the statement page in a browser, no header needed, until expires_at")
    expires_at: datetime
    period: str
    items_url: str | None = Field(
        description="the period's line items as one CSV file, until expires_at (days and months; null for a range)"
    )


class Payment(Answer):
    from_: str = Field(alias="from")
    to: str
    amount: Money


class Transfer(Payment):
    kind: str


class VoucherSummary(Answer):
    """The period's vouchers (their points and money are in the matrix, breakage and transfers too)."""

    converted: PointsBy = Field(description="issuer -> points converted into vouchers")
    spent: dict[str, PointsBy] = Field(description="issuer -> spending partner -> voucher points")
    voided: dict[str, PointsBy] = Field(description="issuer -> spending partner -> voucher points")
    expired: PointsBy = Field(description="issuer -> voucher points expired")
    bonus: dict[str, dict[str, Money]] = Field(description="funder -> spending partner -> bonus, net of voids")
    outstanding: PointsBy = Field(description="issuer -> open voucher points at the period's end")


class SettlementDocument(Answer):
    period: str
    currency: str
    point_value: DecimalText
    entries: int
    partners: dict[str, Statement]
    operator: Statement
    matrix: dict[str, PointsBy] = Field(description="issuer -> redeemer -> points")
    breakage: PointsBy = Field(description="issuer -> points expired")
    reinstated: PointsBy | None = Field(
        default=None,
        description="issuer -> expired points given back (net breakage = breakage − reinstated); absent in the "
        "stored documents of periods closed before reinstatements",
    )
    outstanding: PointsBy
    vouchers: VoucherSummary | None = Field(
        default=None, description="absent in the stored documents of periods closed before voucher lines"
    )
    net_positions: dict[str, Money] = Field(description="party -> net; they sum to 0.00")
    net_total: Money
    payments: list[Payment]
    transfers: list[Transfer]
    closed_at: datetime


class ReconciliationScope(Answer):
    segment: int
    segments: int
    members: int
    complete: bool


class InvariantCheck(Answer):
    ok: bool


class MemberInvariant(InvariantCheck):
    members_checked: int
    mismatches: list[dict[str, Any]]


class VoucherInvariant(InvariantCheck):
    """Open voucher points by issuer, counted two ways (within invariant 2: its total misses points moved between a
    wallet's lots and its vouchers)."""

    by_issuer: dict[str, dict[str, int]]


class LiabilityInvariant(InvariantCheck):
    by_issuer: dict[str, dict[str, int]]
    vouchers: VoucherInvariant
    coalition: dict[str, Any] | None = Field(default=None, description="when one call covered every member")


class NettingInvariant(InvariantCheck):
    net_totals: dict[str, Money]


class ReconciliationReport(Answer):
    ok: bool
    scope: ReconciliationScope
    invariant_1: MemberInvariant
    invariant_2: LiabilityInvariant
    invariant_3: NettingInvariant
    next_cursor: str | None


class SalesSlice(Answer):
    sales: Money
    purchases: int
    members: int = Field(description="members who bought there")


class StoreSales(SalesSlice):
    store_id: str | None = Field(description="null: purchases that named no store (or booked before stores were kept)")


class ChannelSales(SalesSlice):
    channel: Literal["store", "online"] | None


class PeriodSales(Answer):
    """The same figures for the previous period of equal length."""

    from_: date | None = Field(alias="from")
    to: date | None
    sales: Money
    returns_amount: Money
    purchases: int
    customers: int
    loyal_customers: int
    loyalty_rate: DecimalText
    average_basket: Money | None
    purchase_frequency: DecimalText | None
    mean_days_between_purchases: DecimalText | None


class SalesChange(Answer):
    """This period's figure minus the previous period's (null when either is unknown)."""

    sales: Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{2}$")] | None
    sales_percent: DecimalText | None = Field(description="relative to the previous sales, % (null: none then)")
    purchases: int
    customers: int
    loyalty_rate: DecimalText | None
    average_basket: DecimalText | None
    purchase_frequency: DecimalText | None
    mean_days_between_purchases: DecimalText | None


class ReportSummary(Answer):
    partner_id: str
    from_: date = Field(alias="from")
    to: date
    points_issued: Points
    points_redeemed: Points
    outstanding_points: Points
    outstanding_as_of: date | None
    active_members: int
    purchasing_members: int
    repeat_purchase_rate: DecimalText = Field(description="percent, one decimal")
    cross_brand_reach: DecimalText = Field(description="percent, one decimal")
    points_reversed: Points
    currency: str = Field(description="the currency of every amount: the partner's (the programme's)")
    sales: Money = Field(description="purchases booked in the period minus returns booked in it")
    returns_amount: Money
    purchases: int
    customers: int = Field(description="members who bought here in the period")
    loyal_customers: int
    loyalty_rate: DecimalText = Field(description="loyal customers / customers x 100, one decimal")
    loyalty_rate_definition: str
    average_basket: Money | None = Field(description="sales / purchases (null: no purchase)")
    purchase_frequency: DecimalText | None = Field(description="purchases / customers, two decimals")
    mean_days_between_purchases: DecimalText | None = Field(
        description="mean gap between a customer's consecutive purchases, over customers with 2 or more (days)"
    )
    members_enrolled_here: dict[str, int] = Field(description="active members this partner enrolled, by channel")
    by_store: list[StoreSales]
    by_channel: list[ChannelSales]
    previous_period: PeriodSales
    change: SalesChange


# ---- public -------------------------------------------------------------------------------------------------
class OpenApiDocument(Answer):
    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


# ---- webhooks -----------------------------------------------------------------------------------------------
class WebhookView(Answer):
    """A registered endpoint (its secret is never answered)."""

    webhook_id: str
    url: str
    events: list[Literal["settlement.closed", "tier.changed", "points.expiring", "voucher.spent", "reversal.booked"]]
    created_at: datetime


class WebhookList(Answer):
    webhooks: list[WebhookView]
