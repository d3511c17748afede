"""earn_points: a purchase at a partner earns points issued by that partner, plus the bonuses it qualifies for.

The awards are a pure calculation (domain/awards.py); this use case validates the purchase, applies the
awards to the wallet(s) as ledger entries, and keeps what its returns will need (domain/purchases.py). Each
entry and each award kept records its issuer's fee per point now: settlement charges it at that fee, and a
return refunds it at that fee, whatever the partner's fee has become.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from ..domain import limits
from ..domain.awards import Award, Purchase, challenge_award, purchase_awards
from ..domain.campaigns import Campaign, birthday_campaign, forget_ended_offers, membership_campaign
from ..domain.challenges import advance, book_reward, forget_ended_targets
from ..domain.challenges import forget_ended as forget_ended_progress
from ..domain.earning import PurchaseLine, split_purchase
from ..domain.effect import CONTROL, TREATED, forget_ended, in_control, measure_purchase
from ..domain.errors import CurrencyMismatch, RuleViolation
from ..domain.ledger import Entry, Sale, new_entry, tier_entry
from ..domain.money import parse_amount, parse_currency
from ..domain.movements import EntryType, OperationKind
from ..domain.program import OPERATOR, Partner, Program
from ..domain.purchases import FixedAward, ProportionalAward, PurchaseFacts, SoldLine
from ..domain.segments import Segment
from ..domain.tiers import forget_old_months, record_purchase, upgrade_if_earned
from ..domain.timefmt import refuse_future
from ..domain.wallet import Portion, Wallet
from .anonymous_sales import record_anonymous_sale
from .campaigns import all_campaigns
from .challenges import TakingPart, all_challenges, enrolments_kept, taking_part, target_days
from .members import resolve_member
from .operations import Decide, Operation, Outcome, Reply, fingerprint, run_operation
from .programs import current_program, fee_per_point
from .requests import PurchaseRequest
from .runtime import Runtime, iso
from .segments import all_segments, takes_in
from .voucher_views import voucher_view
from .vouchers import convert_automatically

# A till may post late (offline), but not from another season; and never from the future.
MAX_POSTING_DELAY = timedelta(days=90)
# Time-bound bonuses (campaigns, the birthday month) count a purchase by when it happened, if it is posted
# within this grace: an offline till catching up keeps them, a purchase posted weeks later earns base and tier.
BONUS_POSTING_GRACE = timedelta(days=7)


@dataclass(frozen=True)
class Place:
    """Where a purchase happened, as the partner posted it (a late credit: in the channel the operator names)."""

    channel: str | None = None
    store_id: str | None = None


def earn_points(rt: Runtime, partner: Partner, request: PurchaseRequest) -> Reply:
    operation = Operation(
        partner.partner_id, OperationKind.PURCHASE, request.transaction_id, fingerprint(request.model_dump(mode="json"))
    )
    if request.member is None:
        return record_anonymous_sale(rt, partner, request, operation)
    member = request.member

    def prepare() -> tuple[str, Decide]:
        program = current_program(rt)
        currency = parse_currency(request.currency)
        if currency != partner.currency:
            raise CurrencyMismatch(
                f"{partner.partner_id} trades in {partner.currency}, not {currency}", field="currency"
            )
        amount = parse_amount(request.amount, currency)
        items = [
            PurchaseLine(item.category, parse_amount(item.amount, currency, field=f"items[{n}].amount"), item.sku)
            for n, item in enumerate(request.items or [])
        ]
        # Split once (this refuses items adding up to more than the amount): the lines with their partner rates.
        # A % back becomes points per unit at the point value read now: the one this purchase is settled at.
        lines = [(line, partner.rate_for(line.category, program.point_value)) for line in split_purchase(amount, items)]
        now = rt.now()
        occurred_at = check_occurred_at(request.occurred_at, now)
        timely = now - occurred_at <= BONUS_POSTING_GRACE
        every_campaign = all_campaigns(rt)
        campaigns = (
            [c for c in every_campaign if c.applies(occurred_at, partner.partner_id, request.channel)] if timely else []
        )
        kept_until = {c.campaign_id: c.kept_until for c in every_campaign if c.measured}
        every_challenge = all_challenges(rt)
        counting = (
            [c for c in every_challenge if c.counts(occurred_at, partner.partner_id, amount, currency)]
            if timely
            else []
        )
        enrolments, targets_kept = enrolments_kept(every_campaign, every_challenge), target_days(every_challenge)
        challenges_now = {c.challenge_id: c for c in every_challenge}
        kept_until |= {c.key: c.kept_until for c in every_challenge if c.measured}
        named = any(c.segment for c in campaigns) or any(c.segment for c in counting)
        segments = all_segments(rt) if named else {}
        member_id = resolve_member(rt, member)

        def fees(issuer: str) -> Decimal:  # the partner's own as read; a funder's read (cached) if an award names it
            return partner.fee_per_point if issuer == partner.partner_id else fee_per_point(rt, issuer)

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            today = now.date().isoformat()
            targeted = targeted_campaigns(campaigns, segments, wallet, occurred_at.date())
            forget_ended(wallet.campaign_measures, today, kept_until)
            forget_ended_offers(wallet.offers, today, enrolments)
            forget_ended_progress(wallet.challenges, today, challenges_now)
            forget_ended_targets(wallet.challenge_targets, today, targets_kept)
            taking = taking_part(counting, segments, wallet, occurred_at.date())
            purchase = purchase_for(
                program, partner, wallet, amount, currency, lines, occurred_at, campaigns, timely, targeted, taking
            )
            return apply_purchase(
                rt,
                program,
                partner,
                request.transaction_id,
                purchase,
                occurred_at,
                wallet,
                now,
                fees,
                Place(request.channel, request.store_id),
            )

        return member_id, decide

    return run_operation(rt, operation, prepare)


def targeted_campaigns(campaigns: list[Campaign], segments: dict[str, Segment], wallet: Wallet, on: date) -> set[str]:
    """The campaigns (already applying to the purchase) whose tier filter and segment take in this member, an offer
    only once they enrolled."""
    enrolled = wallet.offers
    return {
        c.campaign_id
        for c in campaigns
        if open_to(c, segments, wallet, on) and (not c.opt_in or c.campaign_id in enrolled)
    }


def open_to(campaign: Campaign, segments: dict[str, Segment], wallet: Wallet, on: date) -> bool:
    """Does the campaign take this member in: its tier filter and its segment (an offer: before enrolling)?"""
    return takes_in(campaign.tiers, campaign.segment, segments, wallet, on, campaign.plans)


def purchase_for(
    program: Program,
    partner: Partner,
    wallet: Wallet,
    amount: Decimal,
    currency: str,
    lines: list[tuple[PurchaseLine, Decimal]],
    occurred_at: datetime,
    campaigns: list[Campaign],
    timely: bool,
    targeted: set[str] | None = None,
    taking: TakingPart | None = None,
) -> Purchase:
    """The facts of this purchase for this member: which campaigns and first-purchase bonuses apply. `campaigns`
    apply to the purchase (window, partner, channel), `targeted` (default: all of them) take the member in (tier,
    segment). A measured campaign's control group is held out of it (domain/effect.py). A member measured in a
    campaign stays measured in it while it applies, whatever their tier or segment becomes: leaving the segment may
    be the campaign's own doing (a treated member who spends more leaves a "spend ≤ 100" segment first), and
    measuring only those still in it would bias the comparison. Measured in the programme's currency only (the effect
    compares money spent). `taking`: the challenges the purchase counts in for this member, and those measured."""
    counts = wallet.campaign_counts
    targeted = {c.campaign_id for c in campaigns} if targeted is None else targeted
    taking = taking or TakingPart()
    measured = [
        c for c in campaigns if c.measured and (c.campaign_id in targeted or c.campaign_id in wallet.campaign_measures)
    ]
    groups = {
        c.campaign_id: CONTROL if in_control(wallet.member_id, c.campaign_id, c.control_share) else TREATED
        for c in measured
    }
    treated = [c for c in campaigns if c.campaign_id in targeted and groups.get(c.campaign_id, TREATED) == TREATED]
    eligible = [c for c in treated if c.rewards(wallet.tier, counts.get(c.campaign_id, 0))]
    birthday = birthday_campaign(program.birthday, wallet.birth_date, _birth_date_known_on(wallet), occurred_at)
    if birthday is not None and timely:
        eligible.append(birthday)
    membership = membership_campaign(wallet.membership, occurred_at)
    if membership is not None and timely:
        eligible.append(membership)
    first_rule = program.first_purchase
    # The member's first purchase that qualifies (at least the first-purchase bonus's minimum amount).
    first = wallet.first_purchase_at is None and amount >= (first_rule.min_amount if first_rule else 0)
    referral = program.referral
    return Purchase(
        partner_id=partner.partner_id,
        amount=amount,
        currency=currency,
        lines=lines,
        tier=program.tier(wallet.tier),
        campaigns=eligible,
        first_qualifying=first,
        first_purchase=first_rule if first else None,
        referral=(referral, wallet.referred_by) if first and referral and wallet.referred_by else None,
        rate_text=lambda category: partner.rate_text(category, program.point_value, currency),
        measured=sorted([*groups.items(), *taking.measured]) if currency == program.currency else [],
        kept_until={c.campaign_id: c.kept_until for c in measured} | taking.kept_until,
        challenges=taking.playing,
    )


def _birth_date_known_on(wallet: Wallet) -> str | None:
    if wallet.birth_date is None:
        return None
    return wallet.birth_date_recorded_on or wallet.created_at[:10]


def apply_purchase(
    rt: Runtime,
    program: Program,
    partner: Partner,
    transaction_id: str,
    purchase: Purchase,
    occurred_at: datetime,
    wallet: Wallet,
    now: datetime,
    fee_of: Callable[[str], Decimal],
    place: Place | None = None,
) -> Outcome:
    place = place or Place()
    counted, completed = advance(wallet, purchase.challenges, partner.partner_id, occurred_at, purchase.amount)
    awards = purchase_awards(purchase) + [challenge_award(completion) for completion in completed]
    mine = [a for a in awards if a.member_id is None]
    points = sum(a.points for a in mine)
    # The anti-fraud ceilings bound what a till can make a purchase earn; a challenge's reward is the operator's
    # own promise, reached over many purchases, and is not refused by them.
    limited = sum(a.points for a in mine if a.challenge is None)
    limits.check_transaction(program, limited)
    limits.count_daily(program, wallet, limited, now.date())
    expires_on = program.expires_on(now.date()).isoformat()
    fees = {award.issuer: fee_of(award.issuer) for award in awards}  # each issuer's fee per point, as of now
    for completion in completed:
        book_reward(completion, fees[completion.challenge.funder], expires_on, now.date())
    entries = _book(wallet, mine, partner.partner_id, transaction_id, expires_on, now, fees)
    # The sale rides on the entry that counts the purchase (its `earn`, always the first): reports read it there,
    # and the settlement close the campaigns it is measured in.
    entries[0].sale = Sale(purchase.amount, purchase.currency, place.channel, place.store_id, iso(occurred_at))
    awarded = {a.rule.removeprefix("campaign:"): a.points for a in mine if a.rule.startswith("campaign:")}
    awarded |= {a.rule: a.points for a in mine if a.challenge is not None}  # a challenge's measured key is its rule
    entries[0].measured = measure_purchase(
        wallet.campaign_measures, purchase.measured, purchase.amount, awarded, purchase.kept_until
    )
    for award in mine:
        if award.capped_campaign is not None:  # count only what a cap needs: the wallet item stays small
            wallet.campaign_counts[award.capped_campaign] = wallet.campaign_counts.get(award.capped_campaign, 0) + 1
    if purchase.first_qualifying:
        wallet.first_purchase_at = iso(now)
    others, unpaid = _reward_others(rt, program, awards, wallet, expires_on, now, fees)
    awards = [award for award in awards if award not in unpaid]

    base = awards[0]
    record_purchase(wallet, occurred_at.date(), partner.partner_id, base.points, purchase.amount)
    forget_old_months(wallet, now.date())
    upgraded = upgrade_if_earned(wallet, program, now.date())
    if upgraded is not None:
        entries.append(tier_entry(wallet, upgraded, iso(now)))
    converted = convert_automatically(wallet, program, now)  # the programme's threshold, in this transaction
    entries += [entry for _, entry in converted]
    body = {
        "entry_id": entries[0].entry_id,
        "transaction_id": transaction_id,
        "member_id": wallet.member_id,
        "points": points,
        "breakdown": [line.to_dict() for award in mine for line in award.lines],
        "available_points": wallet.available,
        "tier": wallet.tier,
        **(
            {"vouchers": [voucher_view(voucher).model_dump(mode="json") for voucher, _ in converted]}
            if converted
            else {}
        ),
    }
    facts = _facts(purchase, awards, occurred_at, expires_on, fees, place)
    facts.challenges = counted
    issued = points + sum(e.points for _, other_entries in others for e in other_entries)
    vouchers = [voucher for voucher, _ in converted]
    return Outcome(
        201, body, entries, facts.to_dict(), metrics={"PointsIssued": issued}, others=others, vouchers=vouchers
    )


def _book(
    wallet: Wallet,
    awards: list[Award],
    partner_id: str,
    reference: str,
    expires_on: str,
    now: datetime,
    fees: dict[str, Decimal],
) -> list[Entry]:
    """The awards' points into the wallet, and their entries: `earn` for the partner's own points (always first),
    then one `bonus` for every other award (campaigns, challenges, bonuses), whatever their number: a purchase writes
    at most two entries, so twenty campaigns or challenges rewarding it cost no more items. Each entry's breakdown is
    its own awards' lines, so it sums to its points; its attribution and fees are per issuer (each issuer's fee now)."""
    base = [a for a in awards if a.rule == "base_rate"]
    others = [a for a in awards if a.rule != "base_rate"]
    return [
        _entry(wallet, type, group, partner_id, reference, expires_on, now, fees)
        for type, group in ((EntryType.EARN, base), (EntryType.BONUS, others))
        if group
    ]


def _entry(
    wallet: Wallet,
    type: EntryType,
    awards: list[Award],
    partner_id: str,
    reference: str,
    expires_on: str,
    now: datetime,
    fees: dict[str, Decimal],
) -> Entry:
    by_issuer: dict[str, int] = {}
    for award in awards:
        by_issuer[award.issuer] = by_issuer.get(award.issuer, 0) + award.points
    for issuer, points in by_issuer.items():
        wallet.credit(issuer, points, expires_on)
    return new_entry(
        wallet,
        type,
        partner_id,
        sum(by_issuer.values()),
        breakdown=[line.to_dict() for award in awards for line in award.lines],
        attribution=[Portion(expires_on, issuer, points) for issuer, points in by_issuer.items() if points],
        reference=reference,
        booked_at=iso(now),
        fees_per_point={issuer: fees[issuer] for issuer in by_issuer},
    )


def _reward_others(
    rt: Runtime,
    program: Program,
    awards: list[Award],
    wallet: Wallet,
    expires_on: str,
    now: datetime,
    fees: dict[str, Decimal],
) -> tuple[list[tuple[Wallet, list[Entry]]], list[Award]]:
    """The referrer's bonus: their wallet is written in the same transaction (its version is a condition too).
    A referrer who is suspended or closed, or who would pass the programme's daily limit, gets nothing. Returns
    the wallets changed and the awards not paid (the purchase keeps no record of them)."""
    others, unpaid = [], []
    for award in awards:
        if award.member_id is None:
            continue
        other = rt.store.wallets.load(award.member_id)
        try:
            if other is None or not other.active:
                raise RuleViolation("the referrer is not an active member")
            limits.count_daily(program, other, award.points, now.date())
        except RuleViolation:
            unpaid.append(award)
            continue
        other.credit(award.issuer, award.points, expires_on)
        entry = new_entry(
            other,
            EntryType.BONUS,
            OPERATOR,  # the coalition's bonus, not a partner's sale
            award.points,
            breakdown=[line.to_dict() for line in award.lines],
            attribution=[Portion(expires_on, award.issuer, award.points)],
            reference=wallet.member_id,
            booked_at=iso(now),
            fees_per_point={award.issuer: fees[award.issuer]},
        )
        others.append((other, [entry]))
    return others, unpaid


def _facts(
    purchase: Purchase,
    awards: list[Award],
    occurred_at: datetime,
    expires_on: str,
    fees: dict[str, Decimal],
    place: Place,
) -> PurchaseFacts:
    kept = [
        award.kept_for_returns(fees[award.issuer]) for award in awards if award.points > 0 and award.challenge is None
    ]
    return PurchaseFacts(
        currency=purchase.currency,
        amount=purchase.amount,
        occurred_on=occurred_at.date().isoformat(),
        expires_on=expires_on,
        lines=[SoldLine(line.sku, line.category, line.amount) for line, _ in purchase.lines],
        proportional=[k for k in kept if isinstance(k, ProportionalAward)],
        fixed=[k for k in kept if isinstance(k, FixedAward)],
        returned_by_line=[Fraction(0) for _ in purchase.lines],
        channel=place.channel,
        store_id=place.store_id,
        occurred_at=iso(occurred_at),
        measured=purchase.measured,
    )


def check_occurred_at(occurred_at: datetime, now: datetime) -> datetime:
    refuse_future(occurred_at, now)
    if occurred_at < now - MAX_POSTING_DELAY:
        raise RuleViolation(
            f"purchases older than {MAX_POSTING_DELAY.days} days cannot earn points", field="occurred_at"
        )
    return occurred_at


__all__ = ["earn_points"]
