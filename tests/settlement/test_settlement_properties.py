"""Property: whatever partners and members do over several days (reversals of earlier redemptions and
captures included), every close nets to exactly 0.00, its outstanding liability per issuer equals what the
wallets hold (invariant 2), and closing again changes nothing."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import moto
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from chalicelib.bootstrap import Container
from chalicelib.domain.errors import DomainError
from chalicelib.services import burning, earning, members, partners, programs, returns, reversals, settlement
from chalicelib.services.auth import partner_profile
from chalicelib.services.requests import (
    CaptureRequest,
    EnrolRequest,
    HoldRequest,
    PartnerCreate,
    ProgramDocument,
    PurchaseRequest,
    RedemptionRequest,
    ReturnRequest,
    ReversalRequest,
)
from localdev.infra import create_all
from tests.support.api import PROGRAM
from tests.support.aws import make_settings
from tests.support.clock import Clock
from tests.support.cognito import with_member_pool
from tests.support.layout import settlement_shards
from tests.support.ledger import assert_invariants

PARTNERS = ["alpha", "bravo", "charlie"]
START = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)

operation = st.tuples(
    st.integers(0, 3),  # day
    st.sampled_from(["earn", "earn", "redeem", "return", "hold_capture", "hold_void", "reverse"]),
    st.integers(0, 2),  # partner
    st.integers(0, 2),  # member
    st.integers(1, 300),  # amount in EUR or points
    st.integers(1, 100),  # a percentage: how much of a purchase to return, of a hold to capture, of a spend to reverse
)


@contextmanager
def fresh_coalition(keys_url: str):
    clock = Clock(START)
    base_settings = make_settings()
    with moto.mock_aws(), settlement_shards(2):
        run_settings = with_member_pool(base_settings, keys_url)  # a moto of its own per example
        create_all(run_settings)
        container = Container(run_settings, clock)
        rt = container.runtime
        programs.set_program(
            rt,
            ProgramDocument.model_validate(
                {**PROGRAM, "bonuses": {"first_purchase": {"points": 50, "funder": "operator"}}}
            ),
        )
        for n, partner_id in enumerate(PARTNERS):
            partners.create_partner(
                rt,
                PartnerCreate(
                    partner_id=partner_id,
                    name=partner_id,
                    currency="EUR",
                    earn_rate=str(n + 1),
                    fee_per_point="0.0015" if n else None,
                ),
            )
        ids = [
            members.enrol_member(rt, "alpha", EnrolRequest(email=f"m{n}@example.com"))["member_id"] for n in range(3)
        ]
        yield rt, clock, ids


def apply(rt, clock, member_ids, purchases, spends, n, op):
    _, kind, p, m, size, share = op
    partner_id, member_id = PARTNERS[p], member_ids[m]
    ref = {"member_id": member_id}
    try:
        if kind == "earn":
            request = PurchaseRequest.model_validate(
                {
                    "transaction_id": f"t{n}",
                    "member": ref,
                    "amount": f"{size}.00",
                    "currency": "EUR",
                    "occurred_at": clock().isoformat(),
                    "channel": "store",
                }
            )
            earning.earn_points(rt, partner_profile(rt, partner_id), request)
            purchases.append((partner_id, f"t{n}", size))
        elif kind == "redeem":
            burning.redeem_points(rt, partner_id, RedemptionRequest(redemption_id=f"r{n}", member=ref, points=size))
            spends.append(spent_by(partner_id, "redemption", f"r{n}", size))
        elif kind == "return" and purchases:
            owner, transaction_id, amount = purchases[n % len(purchases)]
            part = (Decimal(amount) * share / 100).quantize(Decimal("0.01")) or Decimal("0.01")
            returns.return_purchase(rt, owner, transaction_id, ReturnRequest(return_id=f"x{n}", amount=str(part)))
        elif kind == "reverse" and spends:
            reverse(rt, n, spends[n % len(spends)], share)
        elif kind.startswith("hold"):
            burning.place_hold(rt, partner_id, HoldRequest(hold_id=f"h{n}", member=ref, points=size))
            if kind == "hold_capture":
                request = CaptureRequest(points=max(1, size * share // 100))
                burning.capture_hold(rt, partner_id, f"h{n}", request)
                spends.append(spent_by(partner_id, "capture", f"h{n}", request.points))
            else:
                burning.void_hold(rt, partner_id, f"h{n}")
    except DomainError:
        pass  # refused (not enough points, return beyond the purchase): writes nothing, as tested elsewhere


def spent_by(partner_id, kind, spending_id, points):
    """A redemption or capture that can be reversed later: who spent, and how many points are left to reverse."""
    return {"partner_id": partner_id, "kind": kind, "id": spending_id, "left": points}


def reverse(rt, n, spend, share):
    """The redeemer gives back `share` % of what is left of a spend (at least a point), through the use case."""
    wanted = max(1, spend["left"] * share // 100)
    if spend["left"]:
        request = ReversalRequest(reversal_id=f"v{n}", points=wanted)
        reversals.reverse_spending(rt, spend["partner_id"], spend["kind"], spend["id"], request)
        spend["left"] -= wanted
        event("a reversal booked")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operation, min_size=5, max_size=30))
def test_every_close_nets_to_zero_and_matches_the_wallets(pool_keys_url, ops):
    with fresh_coalition(pool_keys_url) as (rt, clock, member_ids):
        purchases: list = []
        spends: list = []
        ops = sorted(ops, key=lambda op: op[0])
        for day in range(4):
            clock.now = START + timedelta(days=day)
            for n, op in enumerate(ops):
                if op[0] == day:
                    clock.advance(seconds=30)
                    apply(rt, clock, member_ids, purchases, spends, n, op)
            wallets_liability = assert_invariants()  # invariant 1 per member, 2 from ledger vs wallets

            closing_day = (START + timedelta(days=day)).date().isoformat()
            clock.now = START + timedelta(days=day + 1) - timedelta(hours=7)  # 01:00 next day, after the grace
            document = settlement.close_day(rt, closing_day)
            closed = json.loads(document)

            nets = [Decimal(v) for v in closed["net_positions"].values()]
            assert sum(nets) == 0 and closed["net_total"] == "0.00"
            assert {k: v for k, v in closed["outstanding"].items() if v} == wallets_liability
            assert settlement.close_day(rt, closing_day) == document
