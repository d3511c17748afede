"""Paid membership (domain/membership.py): the operator's plans, a partner's till selling one exactly once, the
member choosing whether it renews, and the renewal job renewing or letting it lapse.

Costs: a sale is an operation like a purchase (the key, the plan read consistently: its fee is charged; the wallet
head; one transaction of the record, the head and the fee entry). The renewal job reads only the members due, from
the sparse `memberships_due` index, and books what is due (monthly vouchers, a renewal or a lapse) as an operation of
its own, once per day due.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..domain.errors import CurrencyMismatch, MembershipRefused, NotFound, RuleViolation
from ..domain.ledger import Entry, new_entry
from ..domain.membership import (
    MAX_PLANS,
    PREFIX,
    Membership,
    Plan,
    PlanPeriod,
    check_change,
    check_plan,
    membership_view,
    period_end,
    renewed,
    sale_detail,
    sell,
)
from ..domain.money import parse_amount, parse_rate
from ..domain.movements import EntryType, OperationKind
from ..domain.program import Partner, Program
from ..domain.settlement import OPERATOR
from ..domain.timefmt import add_months
from ..domain.vouchers import Voucher, convert
from ..domain.wallet import Portion, Wallet
from .members import resolve_member
from .operations import Decide, Operation, Outcome, Reply, fingerprint, run_operation
from .plans import plan_view
from .programs import current_program, partner_profile
from .requests import MembershipChoice, MembershipSaleRequest, PlanRequest
from .runtime import Runtime, iso
from .wallet_writes import write_wallet


# ---- plans (the operator) ------------------------------------------------------------------------------------------
def save_plan(rt: Runtime, request: PlanRequest, *, create: bool) -> dict[str, Any]:
    """Define or change a plan. Its fee is in the programme's currency; a change applies to sales and renewals from
    then on (members keep the terms they paid for until their period ends); its period never changes."""
    program = current_program(rt)
    currency = program.currency
    plan = Plan(
        request.plan_id,
        request.name,
        parse_amount(request.fee, currency, field="fee"),
        PlanPeriod(request.period),
        parse_rate(request.earn_multiplier, "earn_multiplier"),
        request.on_sale,
        request.monthly_voucher,
    )
    check_plan(plan, program.vouchers)
    directory = rt.store.directory
    if create:  # an id taken already: the store's conditional write refuses it (409)
        if len(directory.list_plans()) >= MAX_PLANS:
            raise RuleViolation(f"at most {MAX_PLANS} plans: change one, or take one off sale", field="plan_id")
    else:  # a plan missing: the store's conditional write refuses it (404)
        before = directory.get_plan(plan.plan_id)
        if before is not None:
            check_change(before, plan)
    directory.save_plan(plan, iso(rt.now()), create=create)
    rt.cache.forget("plans")
    return plan_view(plan, currency)


def list_plans(rt: Runtime) -> list[dict[str, Any]]:
    currency = current_program(rt).currency
    return [plan_view(plan, currency) for plan in sorted(rt.store.directory.list_plans(), key=lambda p: p.plan_id)]


def get_plan(rt: Runtime, plan_id: str) -> dict[str, Any]:
    plan = rt.store.directory.get_plan(plan_id)
    if plan is None:
        raise NotFound(f"plan {plan_id} does not exist")
    return plan_view(plan, current_program(rt).currency)


# ---- a sale at a partner's till ------------------------------------------------------------------------------------
def sell_membership(rt: Runtime, partner: Partner, request: MembershipSaleRequest) -> Reply:
    """Sell a plan to a member, exactly once under the sale id: a new membership from today, with its first monthly
    voucher if the plan gives one. The fee entry moves no points; the partner pays the fee to the operator on the
    day's statement."""
    operation = Operation(
        partner.partner_id,
        OperationKind.MEMBERSHIP_SALE,
        request.sale_id,
        fingerprint(request.model_dump(mode="json")),
    )

    def prepare() -> tuple[str, Decide]:
        program = current_program(rt)
        currency = program.currency
        if partner.currency != currency:
            raise CurrencyMismatch(
                f"memberships are sold in the programme's {currency}; {partner.partner_id} trades in "
                f"{partner.currency}",
                field="plan_id",
            )
        plan = rt.store.directory.get_plan(request.plan_id)  # consistent: the fee charged is the plan's now
        if plan is None:
            raise MembershipRefused(f"plan {request.plan_id} does not exist", field="plan_id")
        if request.fee is not None and parse_amount(request.fee, currency, field="fee") != plan.fee:
            # The till quoted one fee, the plan charges another now (changed since): the partner would owe the
            # operator what it did not collect.
            raise MembershipRefused(f"plan {plan.plan_id} costs {format(plan.fee, 'f')} {currency} now", field="fee")
        member_id = resolve_member(rt, request.member)

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            before = wallet.membership
            membership = sell(before, plan, partner.partner_id, now.date(), request.auto_renew)
            ended = [] if before is None else [_end_entry(wallet, before, "a new membership was sold", now)]
            wallet.membership = membership
            entry = _fee_entry(wallet, membership, request.sale_id, currency, now, renewal=False)
            given = _vouchers_due(wallet, program, now, now.date())  # a new membership's first, with the sale
            assert wallet.membership is not None
            body = {
                "entry_id": entry.entry_id,
                "sale_id": request.sale_id,
                "member_id": wallet.member_id,
                "fee": format(membership.fee, "f"),
                "currency": currency,
                "membership": membership_view(wallet.membership, currency, now.date()),
                "vouchers": [v.code for v in given.vouchers],
            }
            metrics = {"MembershipsSold": 1, "MembershipVouchers": len(given.vouchers)}
            return Outcome(201, body, [*ended, entry, *given.entries], vouchers=given.vouchers, metrics=metrics)

        return member_id, decide

    return run_operation(rt, operation, prepare)


def _fee_entry(
    wallet: Wallet, membership: Membership, reference: str, currency: str, now: datetime, *, renewal: bool
) -> Entry:
    line = {
        "rule": PREFIX + membership.plan_id,
        "points": 0,
        "detail": sale_detail(membership, currency, renewal=renewal),
    }
    return new_entry(
        wallet,
        EntryType.MEMBERSHIP_FEE,
        membership.sold_by,
        0,
        breakdown=[line],
        reference=reference,
        booked_at=iso(now),
        fee_collected=membership.fee,
    )


# ---- the member --------------------------------------------------------------------------------------------------
def choose_renewal(rt: Runtime, member_id: str, choice: MembershipChoice) -> dict[str, Any]:
    """Turn renewal off (the membership runs to the end of the period paid for) or on again."""
    chosen: list[Membership] = []

    def change(wallet: Wallet) -> bool:
        if wallet.membership is None:
            raise NotFound("you have no paid membership")
        chosen[:] = [replace(wallet.membership, auto_renew=choice.auto_renew)]
        if wallet.membership == chosen[0]:
            return False
        wallet.membership = chosen[0]
        return True

    write_wallet(rt, member_id, change, allow_inactive=False)
    view = membership_view(chosen[0], current_program(rt).currency, rt.now().date())
    assert view is not None
    return view


# ---- the renewal job ---------------------------------------------------------------------------------------------
def settle_due(rt: Runtime, member_id: str, as_of: date, plans: Mapping[str, Plan]) -> bool:
    """What is due on a member's membership by `as_of`, once: the monthly vouchers of the days passed, and when the
    paid period has ended, the renewal (the seller's till charges the plan's fee now) if the member chose to renew,
    the plan and the seller still exist and the member is active; otherwise the membership ends. The operation's id
    names the membership and what the job booked of it so far, so a rerun, or a redelivered message, books nothing
    again. `plans`: every plan, as the job's shard read them once (the fees it charges)."""
    wallet = rt.store.wallets.load(member_id)  # the operation's id depends on it: read before the operation's own read
    due = None if wallet is None else wallet.membership
    if due is None or due.due_on > as_of.isoformat():
        return False
    plan = plans.get(due.plan_id)
    seller = partner_profile(rt, due.sold_by)
    program = current_program(rt)
    operation_id = f"{member_id}#{due.progress}"
    operation = Operation(due.sold_by, OperationKind.MEMBERSHIP_RENEWAL, operation_id, fingerprint(operation_id))

    def decide(wallet: Wallet, now: datetime) -> Outcome:
        current = wallet.membership
        if current is None or current.progress != due.progress:  # another run booked it meanwhile: nothing left here
            return Outcome(200, {"member_id": member_id, "changed_meanwhile": True})
        given = _vouchers_due(wallet, program, now, as_of)  # those of the period paid for
        entries = list(given.entries)
        body: dict[str, Any] = {"member_id": member_id}
        metrics = {"MembershipVouchers": len(given.vouchers)}
        if current.renews_on <= as_of.isoformat():
            reason = _why_not_renewed(current, wallet, plan, seller, program.currency, as_of)
            if reason is None:
                assert plan is not None
                wallet.membership = renewed(current, plan)
                entries.append(_fee_entry(wallet, wallet.membership, operation_id, program.currency, now, renewal=True))
                more = _vouchers_due(wallet, program, now, as_of, MAX_VOUCHERS_AT_ONCE - len(given.vouchers))
                entries += more.entries
                given.vouchers.extend(more.vouchers)
                body |= {"renewed": True, "paid_through": wallet.membership.paid_through}
                metrics |= {"MembershipsRenewed": 1, "MembershipVouchers": len(given.vouchers)}
            else:
                wallet.membership = None
                entries.append(_end_entry(wallet, current, reason, now))
                body |= {"renewed": False, "reason": reason}
                metrics["MembershipsLapsed"] = 1
        body["vouchers"] = [v.code for v in given.vouchers]
        return Outcome(201 if entries else 200, body, entries, vouchers=given.vouchers, metrics=metrics)

    reply = run_operation(rt, operation, lambda: (member_id, decide))
    return not reply.replayed


def _end_entry(wallet: Wallet, ended: Membership, reason: str, now: datetime) -> Entry:
    """The end of a membership in the member's history (no points, no money)."""
    detail = f"{ended.name} membership ended after {ended.paid_through}: {reason}"
    line = {"rule": PREFIX + ended.plan_id, "points": 0, "detail": detail}
    return new_entry(wallet, EntryType.MEMBERSHIP_END, OPERATOR, 0, breakdown=[line], booked_at=iso(now))


@dataclass
class _Given:
    vouchers: list[Voucher] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)


# A run gives at most this many monthly vouchers to one member (a job that missed months catches up over its next
# runs; a renewal starts the new period's count, see domain/membership.renewed): the transaction stays small.
MAX_VOUCHERS_AT_ONCE = 3


def _vouchers_due(
    wallet: Wallet, program: Program, now: datetime, as_of: date, limit: int = MAX_VOUCHERS_AT_ONCE
) -> _Given:
    """The monthly vouchers due by `as_of` of an active member's membership: each the programme's denomination of
    the plan's points, those points issued by the operator (a `grant` entry) and converted at once (a `voucher`
    entry), never passing through the member's lots, so no debt or expiry of theirs can touch them. A month passes
    without a voucher when the member is suspended or closed, or the programme no longer has the denomination (the
    operator changed the rules)."""
    given = _Given()
    while len(given.vouchers) < limit:
        membership = wallet.membership
        due_on = None if membership is None else membership.next_voucher_on
        if membership is None or due_on is None or due_on > as_of.isoformat():
            break
        wallet.membership = replace(membership, vouchers_given=membership.vouchers_given + 1)
        rules = program.vouchers
        denomination = None if rules is None else rules.denomination(membership.monthly_voucher or 0)
        if rules is None or denomination is None or not wallet.active:
            continue
        expires_on = add_months(now.date(), rules.validity_months).isoformat()
        portion = Portion(expires_on, OPERATOR, denomination.points)
        value_now = (program.point_value, program.currency, iso(now), now.date())
        voucher = convert(wallet.member_id, denomination, rules, [portion], *value_now)
        wallet.move_to_vouchers(voucher.issuer_points, +1)
        detail = f"{membership.name} membership's voucher of {due_on[:7]}: {denomination.points} points of the operator"
        issued = new_entry(
            wallet,
            EntryType.GRANT,
            OPERATOR,
            denomination.points,
            breakdown=[{"rule": PREFIX + membership.plan_id, "points": denomination.points, "detail": detail}],
            attribution=[portion],
            reference=voucher.code,
            booked_at=iso(now),
            fees_per_point={OPERATOR: Decimal(0)},
        )
        value = f"{format(voucher.value, 'f')} {voucher.currency}"
        line = {"rule": "voucher", "points": -denomination.points, "detail": f"converted into a voucher of {value}"}
        converted = new_entry(
            wallet,
            EntryType.VOUCHER,
            OPERATOR,
            -denomination.points,
            breakdown=[line],
            attribution=[portion],
            reference=voucher.code,
            booked_at=iso(now),
        )
        given.vouchers.append(voucher)
        given.entries += [issued, converted]
    return given


def _why_not_renewed(
    membership: Membership, wallet: Wallet, plan: Plan | None, seller: Partner | None, currency: str, as_of: date
) -> str | None:
    if not membership.auto_renew:
        return "renewal was turned off"
    next_end = period_end(date.fromisoformat(membership.since), membership.period, membership.renewals + 1)
    if next_end < as_of:  # the job did not run for a whole period: a period already over is not charged
        return f"its renewal on {membership.renews_on} was missed"
    if not wallet.active:
        return f"the account is {wallet.status}"
    if plan is None:
        return f"plan {membership.plan_id} no longer exists"
    if seller is None or not seller.active or seller.currency != currency:
        return f"{membership.sold_by} no longer collects it"
    return None
