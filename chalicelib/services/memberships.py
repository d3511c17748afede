"""Paid membership (domain/membership.py): the operator's plans, a partner's till selling one exactly once, the
member choosing whether it renews, and the renewal job renewing or letting it lapse.

Costs: a sale is an operation like a purchase (the key, the plan read consistently: its fee is charged; the wallet
head; one transaction of the record, the head and the fee entry). The renewal job reads only the members due, from
the sparse `memberships_due` index, and books each renewal as an operation of its own, once per period.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from ..domain.errors import AlreadyExists, CurrencyMismatch, MembershipRefused, NotFound, RuleViolation
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
    paid_again,
    sale_detail,
    sell,
)
from ..domain.money import parse_amount, parse_rate
from ..domain.movements import EntryType, OperationKind
from ..domain.program import Partner
from ..domain.settlement import OPERATOR
from ..domain.wallet import Wallet
from .members import resolve_member
from .operations import Decide, Operation, Outcome, Reply, fingerprint, run_operation
from .programs import current_program, partner_profile
from .requests import MembershipChoice, MembershipSaleRequest, PlanRequest
from .runtime import Runtime, iso
from .wallet_writes import write_wallet


# ---- plans (the operator) ------------------------------------------------------------------------------------------
def save_plan(rt: Runtime, request: PlanRequest, *, create: bool) -> dict[str, Any]:
    """Define or change a plan. Its fee is in the programme's currency; a change applies to sales and renewals from
    then on (members keep the terms they paid for until their period ends); its period never changes."""
    currency = current_program(rt).currency
    plan = Plan(
        request.plan_id,
        request.name,
        parse_amount(request.fee, currency, field="fee"),
        PlanPeriod(request.period),
        parse_rate(request.earn_multiplier, "earn_multiplier"),
        request.on_sale,
    )
    check_plan(plan)
    directory = rt.store.directory
    before = directory.get_plan(plan.plan_id)
    if create and before is not None:
        raise AlreadyExists(f"plan {plan.plan_id} exists", field="plan_id")
    if create and len(directory.list_plans()) >= MAX_PLANS:
        raise RuleViolation(f"at most {MAX_PLANS} plans: change one, or take one off sale", field="plan_id")
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


def plan_view(plan: Plan, currency: str) -> dict[str, Any]:
    return {**plan.to_dict(), "currency": currency}


# ---- a sale at a partner's till ------------------------------------------------------------------------------------
def sell_membership(rt: Runtime, partner: Partner, request: MembershipSaleRequest) -> Reply:
    """Sell a plan to a member, exactly once under the sale id: a new membership from today, or the next period of
    the member's own plan paid ahead. The fee entry moves no points; the partner pays the fee to the operator on
    the day's statement."""
    operation = Operation(
        partner.partner_id,
        OperationKind.MEMBERSHIP_SALE,
        request.sale_id,
        fingerprint(request.model_dump(mode="json")),
    )

    def prepare() -> tuple[str, Decide]:
        currency = current_program(rt).currency
        if partner.currency != currency:
            raise CurrencyMismatch(
                f"memberships are sold in the programme's {currency}; {partner.partner_id} trades in "
                f"{partner.currency}",
                field="plan_id",
            )
        plan = rt.store.directory.get_plan(request.plan_id)  # consistent: the fee charged is the plan's now
        if plan is None:
            raise MembershipRefused(f"plan {request.plan_id} does not exist", field="plan_id")
        member_id = resolve_member(rt, request.member)

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            membership = sell(wallet.membership, plan, partner.partner_id, now.date(), request.auto_renew)
            wallet.membership = membership
            entry = _fee_entry(wallet, membership, request.sale_id, currency, now, renewal=False)
            body = {
                "entry_id": entry.entry_id,
                "sale_id": request.sale_id,
                "member_id": wallet.member_id,
                "fee": format(membership.fee, "f"),
                "currency": currency,
                "membership": membership_view(membership, currency, now.date()),
            }
            return Outcome(201, body, [entry], metrics={"MembershipsSold": 1})

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
def renew_or_lapse(rt: Runtime, member_id: str, as_of: date) -> bool:
    """A member whose paid period ended before `as_of`: renewed for the next period (the seller's till charges the
    plan's fee now) when they chose to renew, the plan and the seller still exist and the member is active;
    otherwise the membership ends. Once per period: the operation's id names the membership and the renewal."""
    wallet = rt.store.wallets.load(member_id)
    due = None if wallet is None else wallet.membership
    if due is None or due.renews_on > as_of.isoformat():
        return False
    plan = rt.store.directory.get_plan(due.plan_id)
    seller = partner_profile(rt, due.sold_by)
    currency = current_program(rt).currency
    renewal_id = f"{member_id}#{due.since}#{due.renewals + 1}"
    operation = Operation(due.sold_by, OperationKind.MEMBERSHIP_RENEWAL, renewal_id, fingerprint(renewal_id))

    def decide(wallet: Wallet, now: datetime) -> Outcome:
        current = wallet.membership
        if current is None or (current.since, current.renewals) != (due.since, due.renewals):
            return Outcome(200, {"member_id": member_id, "renewed": False, "reason": "changed meanwhile"})
        reason = _why_not_renewed(current, wallet, plan, seller, currency)
        if reason is None:
            assert plan is not None
            renewed = paid_again(current, plan, current.sold_by, auto_renew=True)
            wallet.membership = renewed
            entry = _fee_entry(wallet, renewed, renewal_id, currency, now, renewal=True)
            body = {"member_id": member_id, "renewed": True, "paid_through": renewed.paid_through}
            return Outcome(201, body, [entry], metrics={"MembershipsRenewed": 1})
        wallet.membership = None
        line = {
            "rule": PREFIX + current.plan_id,
            "points": 0,
            "detail": f"{current.name} membership ended after {current.paid_through}: {reason}",
        }
        entry = new_entry(wallet, EntryType.MEMBERSHIP_END, OPERATOR, 0, breakdown=[line], booked_at=iso(now))
        body = {"member_id": member_id, "renewed": False, "reason": reason}
        return Outcome(200, body, [entry], metrics={"MembershipsLapsed": 1})

    reply = run_operation(rt, operation, lambda: (member_id, decide))
    return not reply.replayed


def _why_not_renewed(
    membership: Membership, wallet: Wallet, plan: Plan | None, seller: Partner | None, currency: str
) -> str | None:
    if not membership.auto_renew:
        return "renewal was turned off"
    if not wallet.active:
        return f"the account is {wallet.status}"
    if plan is None:
        return f"plan {membership.plan_id} no longer exists"
    if seller is None or not seller.active or seller.currency != currency:
        return f"{membership.sold_by} no longer collects it"
    return None
