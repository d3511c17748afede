"""return_purchase: a return undoes what its share of the purchase earned (domain/purchases.py).

Points still valid are clawed back from their issuers' lots; what the member already spent becomes a debt
to that issuer. Points whose validity ended are not taken again (they left as breakage). Fixed bonuses go
back once the purchase no longer qualifies for them, the referrer's from the referrer's wallet, in the same
transaction. The returned qualifying points leave their month; the tier is lowered at once only when the
purchase was part of what reached it and the rest of that no longer does (domain/tiers.py). The return entry
records, per issuer, the fee per point charged when the points were issued (kept with each award): the fee
refunded at settlement is the fee that was paid.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from ..domain.challenges import PREFIX as CHALLENGE_PREFIX
from ..domain.challenges import Challenge, Undone, take_out
from ..domain.challenges import forget_ended as forget_ended_progress
from ..domain.effect import measure_return
from ..domain.errors import NotFound, RuleViolation
from ..domain.ledger import Entry, OperationRecord, Sale, new_entry, operation_key, tier_entry
from ..domain.money import parse_amount, to_str
from ..domain.movements import EntryType, OperationKind
from ..domain.program import OPERATOR, Program
from ..domain.purchases import Clawback, PurchaseFacts, ReturnedLine, ReturnRef, legacy_facts
from ..domain.tiers import ReturnedPurchase, record_return, redecide_after_return
from ..domain.wallet import Portion, Wallet
from .anonymous_sales import ANONYMOUS
from .challenges import all_challenges
from .operations import Decide, Operation, Outcome, Reply, fingerprint, read_once_then_afresh, run_operation
from .programs import current_program
from .requests import ReturnRequest
from .runtime import Runtime, iso


def return_purchase(rt: Runtime, partner_id: str, transaction_id: str, request: ReturnRequest) -> Reply:
    operation = Operation(
        partner_id,
        OperationKind.RETURN,
        request.return_id,
        fingerprint(transaction_id, request.model_dump(mode="json")),
    )
    purchase_key = operation_key(partner_id, OperationKind.PURCHASE, transaction_id)

    def prepare() -> tuple[str, Decide]:
        purchase = rt.store.operations.find(purchase_key)
        if purchase is None:
            raise NotFound(f"transaction {transaction_id} not found")
        if purchase.data.get(ANONYMOUS):
            raise RuleViolation(f"transaction {transaction_id} was a sale without a member: nothing to return")
        program = current_program(rt)
        currency = purchase_facts(purchase, program).currency
        amount = parse_amount(request.amount, currency)  # a bad amount is refused before any write
        items = [
            ReturnedLine(item.sku, parse_amount(item.amount, currency, field=f"items[{n}].amount"))
            for n, item in enumerate(request.items or [])
        ]
        order = ReturnOrder(partner_id, transaction_id, request.return_id, amount, items)
        # Concurrent returns race on the record's version: a retry reads it afresh.
        current = read_once_then_afresh(purchase, lambda: rt.store.operations.find(purchase_key))
        challenges_now = {c.challenge_id: c for c in all_challenges(rt)}  # cached, as a purchase reads them

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            return _return(rt, program, order, current(), wallet, now, challenges_now)

        return purchase.member_id, decide

    return run_operation(rt, operation, prepare)


@dataclass(frozen=True)
class ReturnOrder:
    """A validated return: what the partner returns of which of its purchases."""

    partner_id: str
    transaction_id: str
    return_id: str
    amount: Decimal
    items: list[ReturnedLine]  # empty: the amount is spread over the purchase's lines


def _return(
    rt: Runtime,
    program: Program,
    order: ReturnOrder,
    purchase: OperationRecord,
    wallet: Wallet,
    now: datetime,
    challenges_now: dict[str, Challenge],
) -> Outcome:
    partner_id, return_id, amount = order.partner_id, order.return_id, order.amount
    facts = purchase_facts(purchase, program)
    kept_before = facts.kept_amount
    clawbacks = facts.plan_return(amount, order.items or None)
    # Points past their validity that expired are not taken twice; those spent before are (a debt).
    late = facts.expires_on < now.date().isoformat()
    what = f"{to_str(amount)} {facts.currency}"
    # Periods past the day they are kept to (their challenge as it stands now) are forgotten first: a return after
    # that leaves their reward.
    forget_ended_progress(wallet.challenges, now.date().isoformat(), challenges_now)
    occurred_on = date.fromisoformat((facts.occurred_at or facts.occurred_on)[:10])  # the UTC day: periods are UTC
    undone = take_out(wallet, facts.challenges, purchase.partner_id, occurred_on, kept_before, facts.kept_amount)
    mine = [c for c in clawbacks if c.member_id is None]
    entry = _clawback_entry(wallet, mine, facts.expires_on if late else None, partner_id, return_id, what, now)
    rewards_back = _rewards_back(wallet, undone, partner_id, return_id, now)
    # The money given back, where the purchase happened (reports net sales by store and channel), and the return on
    # the purchase's record (the partner's view of the transaction).
    entry.sale = Sale(-amount, facts.currency, facts.channel, facts.store_id, facts.occurred_at)
    taken = {c.rule.removeprefix("campaign:"): -c.points for c in mine if c.rule.startswith("campaign:")}
    taken |= {CHALLENGE_PREFIX + u.challenge_id: -u.reward.points for u in undone}
    entry.measured = measure_return(wallet.campaign_measures, facts.measured, amount, taken)
    reversed_points = -entry.points - sum(e.points for e in rewards_back)
    facts.returns.append(ReturnRef(return_id, amount, reversed_points, entry.entry_id, iso(now)))
    entries = [entry, *rewards_back]
    qualifying = sum(c.points for c in mine if c.qualifying)
    returned = ReturnedPurchase(
        date.fromisoformat(facts.occurred_on),
        purchase.partner_id,
        _booked_seq(purchase),
        qualifying,
        amount,
        whole=facts.kept_amount == 0,
    )
    record_return(wallet, returned)
    changed = redecide_after_return(wallet, program, now.date(), returned)
    if changed is not None:
        entries.append(tier_entry(wallet, changed, iso(now)))
    if not late:
        _give_back_uses(wallet, clawbacks)
    others = _referrers(rt, clawbacks, facts.expires_on if late else None, wallet.member_id, return_id, now)
    body = {
        "entry_id": entry.entry_id,
        "return_id": return_id,
        "transaction_id": order.transaction_id,
        "points_reversed": reversed_points,
        "breakdown": [line for e in (entry, *rewards_back) for line in e.breakdown or []],
        "available_points": wallet.available,
        "owed_points": wallet.debt_points,
        "tier": wallet.tier,
    }
    return Outcome(
        201,
        body,
        entries,
        {"transaction_id": order.transaction_id},
        changed_operations=[replace(purchase, data=facts.to_dict())],
        metrics={"PointsReturned": reversed_points},
        others=others,
    )


def purchase_facts(record: OperationRecord, program: Program) -> PurchaseFacts:
    if "points_by_issuer" in record.data:  # recorded before awards were kept: its points' validity is derived
        expires_on = program.expires_on(date.fromisoformat(record.created_at[:10])).isoformat()
        return legacy_facts(record.data, record.partner_id, expires_on)
    return PurchaseFacts.from_dict(record.data)


FIRST_PURCHASE_RULES = frozenset({"first_purchase_bonus", "referral_bonus"})


def _give_back_uses(wallet: Wallet, clawbacks: list[Clawback]) -> None:
    """What a purchase used up comes back with the points it earned: a first-purchase or referral bonus taken
    back re-arms the first qualifying purchase, a capped campaign taken back whole frees its use. Not after the
    points' validity (then what was earned had its time)."""
    if any(c.rule in FIRST_PURCHASE_RULES for c in clawbacks):
        wallet.first_purchase_at = None
    for campaign in {c.released_campaign for c in clawbacks if c.released_campaign}:
        left = wallet.campaign_counts.get(campaign, 0) - 1
        if left > 0:
            wallet.campaign_counts[campaign] = left
        else:
            wallet.campaign_counts.pop(campaign, None)


def _booked_seq(purchase: OperationRecord) -> int | None:
    """The number of the purchase's first entry on the member's wallet (its answer names it): an upgrade counted
    the purchases booked up to its own entry number."""
    try:
        entry_id = json.loads(purchase.body)["entry_id"]
        return int(str(entry_id).rsplit("-", 1)[1])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def _rewards_back(wallet: Wallet, undone: list[Undone], partner_id: str, reference: str, now: datetime) -> list[Entry]:
    """The rewards of challenge periods the return leaves incomplete: each goes back in an entry of its own, at the
    fee charged for it (a purchase's awards of the same funder may have been issued at another fee)."""
    entries = []
    for done in undone:
        reward = done.reward
        detail = f"the challenge {done.challenge_id} is no longer complete for {done.period}"
        clawback = Clawback(
            reward.funder,
            CHALLENGE_PREFIX + done.challenge_id,
            reward.points,
            None,
            fee_per_point=reward.fee_per_point,
            detail=detail,
        )
        late = reward.expires_on < now.date().isoformat()
        entries.append(
            _clawback_entry(wallet, [clawback], reward.expires_on if late else None, partner_id, reference, detail, now)
        )
    return entries


def _clawback_entry(
    wallet: Wallet,
    clawbacks: list[Clawback],
    expires_on: str | None,
    partner_id: str,
    reference: str,
    what: str,
    now: datetime,
) -> Entry:
    """One `return` entry: a breakdown line per award taken back, attribution per issuer (lots, then debt).
    `expires_on`: set once the points are past their validity; what of them expired is not taken."""
    lines: list[dict[str, object]] = []
    portions: list[Portion] = []
    by_issuer: dict[str, int] = defaultdict(int)
    # The awards of one issuer in one purchase were issued together, at one fee (none on awards kept before
    # awards recorded their fee: settlement refunds those at the close's fee).
    fees = {c.issuer: c.fee_per_point for c in clawbacks if c.fee_per_point is not None}
    for clawback in clawbacks:
        if not clawback.points:
            continue  # nothing left of it to take (it only gives a campaign's use back)
        by_issuer[clawback.issuer] += clawback.points
        detail = clawback.detail or f"{what} returned"
        lines.append({"rule": f"return:{clawback.rule}", "points": -clawback.points, "detail": detail})
    taken = 0
    for issuer, points in sorted(by_issuer.items()):
        gone = wallet.already_expired(expires_on, issuer, points) if expires_on else 0
        if gone:
            detail = f"{gone} of these points of {issuer} had expired: not taken again"
            lines.append({"rule": "return:expired", "points": gone, "detail": detail})
        portions += wallet.claw_back(issuer, points - gone)
        taken += points - gone
    if not lines:
        lines.append(
            {"rule": EntryType.RETURN.value, "points": 0, "detail": f"{what} returned; no points to take back"}
        )
    return new_entry(
        wallet,
        EntryType.RETURN,
        partner_id,
        -taken,
        attribution=portions,
        reference=reference,
        booked_at=iso(now),
        breakdown=lines,
        fees_per_point=fees,
    )


def _referrers(
    rt: Runtime, clawbacks: list[Clawback], expires_on: str | None, referee: str, reference: str, now: datetime
) -> list[tuple[Wallet, list[Entry]]]:
    """A referral bonus paid to another member goes back from their wallet (a debt where already spent)."""
    others = []
    for clawback in clawbacks:
        if clawback.member_id is None:
            continue
        referrer = rt.store.wallets.load(clawback.member_id)
        if referrer is None:
            continue
        detail = f"{referee} returned the first purchase that earned this bonus"
        entry = _clawback_entry(referrer, [clawback], expires_on, OPERATOR, reference, detail, now)
        others.append((referrer, [entry]))
    return others
