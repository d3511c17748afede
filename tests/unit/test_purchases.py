"""Returns undo exactly what their share of a purchase earned (pure domain, no AWS)."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import InvalidRequest, ReturnExceedsPurchase
from chalicelib.domain.purchases import (
    FixedAward,
    ProportionalAward,
    PurchaseFacts,
    ReturnedLine,
    SoldLine,
    legacy_facts,
)


def diesel_and_snacks() -> PurchaseFacts:
    """80.00 at fuelco: a 60.00 diesel line at 0.5 point/EUR (30) and 20.00 of the rest at 2 (40) = 70 points,
    a fuel campaign × 2 funded by the operator (+30 on diesel), and a 200-point first-purchase bonus."""
    lines = [SoldLine("diesel", "fuel", Decimal("60.00")), SoldLine(None, None, Decimal("20.00"))]
    return PurchaseFacts(
        currency="EUR",
        amount=Decimal("80.00"),
        occurred_on="2026-11-23",
        expires_on="2028-11-30",
        lines=lines,
        proportional=[
            ProportionalAward("fuelco", "base_rate", 70, [Decimal(30), Decimal(40)], qualifying=True),
            ProportionalAward("operator", "campaign:fuel", 30, [Decimal(30), Decimal(0)]),
        ],
        fixed=[FixedAward("operator", "first_purchase_bonus", 200, min_amount=Decimal("10.00"))],
        returned_by_line=[Fraction(0), Fraction(0)],
    )


def taken(clawbacks) -> dict[str, int]:
    return {c.rule: c.points for c in clawbacks}


def test_returning_a_line_takes_back_what_that_line_earned_not_its_share_of_the_amount():
    facts = diesel_and_snacks()

    clawbacks = facts.plan_return(Decimal("60.00"), [ReturnedLine("diesel", Decimal("60.00"))])

    # the diesel line earned 30 base points and all 30 campaign points; by amount it would have been 52 + 22
    assert taken(clawbacks) == {"base_rate": 30, "campaign:fuel": 30}
    assert facts.kept_amount == Decimal("20.00")


def test_the_fixed_bonus_goes_back_once_what_is_kept_falls_below_its_minimum():
    facts = diesel_and_snacks()

    first = facts.plan_return(Decimal("65.00"), None)  # 15.00 kept: still qualifies
    second = facts.plan_return(Decimal("6.00"), None)  # 9.00 kept: below 10.00

    assert "first_purchase_bonus" not in taken(first)
    assert taken(second)["first_purchase_bonus"] == 200
    assert "first_purchase_bonus" not in taken(facts.plan_return(Decimal("9.00"), None))  # never twice


def test_more_than_was_bought_is_refused_in_total_and_per_line():
    facts = diesel_and_snacks()
    with pytest.raises(ReturnExceedsPurchase):
        facts.plan_return(Decimal("61.00"), [ReturnedLine("diesel", Decimal("61.00"))])
    with pytest.raises(InvalidRequest):
        facts.plan_return(Decimal("5.00"), [ReturnedLine("croissant", Decimal("5.00"))])
    with pytest.raises(InvalidRequest):
        facts.plan_return(Decimal("5.00"), [ReturnedLine("diesel", Decimal("4.00"))])  # items ≠ amount
    facts.plan_return(Decimal("70.00"), None)
    with pytest.raises(ReturnExceedsPurchase):
        facts.plan_return(Decimal("10.01"), None)


def test_the_stored_form_reads_back_identically():
    facts = diesel_and_snacks()
    facts.plan_return(Decimal("13.33"), None)
    assert PurchaseFacts.from_dict(facts.to_dict()) == facts


def test_each_award_gives_its_clawback_the_fee_charged_when_it_was_issued_and_older_records_have_none():
    facts = diesel_and_snacks()
    facts.proportional[0].fee_per_point = Decimal("0.002")  # fuelco's fee when the purchase earned
    facts.fixed[0].fee_per_point = Decimal("0")  # the operator pays none
    stored = facts.to_dict()
    legacy = {
        **stored,
        "proportional": [{k: v for k, v in a.items() if k != "fee_per_point"} for a in stored["proportional"]],
    }

    assert stored["proportional"][0]["fee_per_point"] == "0.002" and "fee_per_point" not in stored["proportional"][1]
    assert PurchaseFacts.from_dict(stored) == facts
    clawbacks = PurchaseFacts.from_dict(stored).plan_return(Decimal("80.00"), None)
    assert [(c.rule, c.points, c.fee_per_point) for c in clawbacks] == [
        ("base_rate", 70, Decimal("0.002")),
        ("campaign:fuel", 30, None),
        ("first_purchase_bonus", 200, Decimal("0")),
    ]
    assert [a.fee_per_point for a in PurchaseFacts.from_dict(legacy).proportional] == [None, None]


@given(st.data())
def test_any_mix_of_returns_never_takes_more_and_a_full_return_takes_exactly_what_was_earned(data):
    facts = diesel_and_snacks()
    totals = {"base_rate": 0, "campaign:fuel": 0, "first_purchase_bonus": 0}
    for _ in range(data.draw(st.integers(0, 6))):
        kept = int(facts.kept_amount * 100)
        if kept == 0:
            break
        diesel_left = math.floor((Fraction(facts.lines[0].amount) - facts.returned_by_line[0]) * 100)
        by_line = diesel_left > 0 and data.draw(st.booleans())
        cents = data.draw(st.integers(1, min(diesel_left, kept) if by_line else kept))
        amount = Decimal(cents) / 100
        items = [ReturnedLine("diesel", amount)] if by_line else None
        for rule, points in taken(facts.plan_return(amount, items)).items():
            totals[rule] += points
        assert totals["base_rate"] <= 70 and totals["campaign:fuel"] <= 30
        facts = PurchaseFacts.from_dict(facts.to_dict())  # as stored between returns
    if facts.kept_amount:
        for rule, points in taken(facts.plan_return(facts.kept_amount, None)).items():
            totals[rule] += points
    assert totals == {"base_rate": 70, "campaign:fuel": 30, "first_purchase_bonus": 200}


def test_returns_by_line_and_by_amount_mix_in_either_order():
    """A line return then an amount return for the rest leaves nothing; an amount return then a line return
    takes back only what is left of that line (review D2)."""
    line_first = diesel_and_snacks()
    line_first.plan_return(Decimal("60.00"), [ReturnedLine("diesel", Decimal("60.00"))])  # 30 + 30
    rest_but_a_cent = taken(line_first.plan_return(Decimal("19.99"), None))
    assert rest_but_a_cent["base_rate"] == 39  # 40 earned by the 20.00 left: 19.99 of it takes 39 (floor)

    amount_first = diesel_and_snacks()
    first = taken(amount_first.plan_return(Decimal("20.00"), None))  # a quarter of every line
    second = taken(amount_first.plan_return(Decimal("45.00"), [ReturnedLine("diesel", Decimal("45.00"))]))
    assert (first["base_rate"], second["base_rate"]) == (17, 23)  # floor(17.5); then floor(17.5 + 30 × 45/60) − 17
    with pytest.raises(ReturnExceedsPurchase):
        amount_first.plan_return(Decimal("0.01"), [ReturnedLine("diesel", Decimal("0.01"))])  # no diesel left


def test_a_purchase_recorded_before_awards_were_kept_returns_what_is_left_of_it():
    """Review D12: the old record (points per issuer, returned so far) read as awards, already taken back in
    proportion to what was returned, as returns then did: what is left goes back exactly, no more."""
    old = {
        "amount": "100.00",
        "currency": "EUR",
        "occurred_on": "2026-10-02",
        "points_by_issuer": {"shop": 150, "operator": 200},  # shop: 100 base + a 50-point shop campaign
        "qualifying_points": 100,
        "returned_amount": "40.00",
        "returned_points": 140,
    }
    facts = legacy_facts(old, "shop", "2028-10-31")

    rest = facts.plan_return(Decimal("60.00"), None)

    assert (facts.expires_on, facts.kept_amount) == ("2028-10-31", Decimal(0))
    assert sorted((c.issuer, c.rule, c.points, c.qualifying) for c in rest) == [
        ("operator", "earned", 120, False),
        ("shop", "base_rate", 60, True),
        ("shop", "earned", 30, False),
    ]
    assert sum(c.points for c in rest) == 350 - 140
    with pytest.raises(ReturnExceedsPurchase):
        facts.plan_return(Decimal("0.01"), None)
    assert PurchaseFacts.from_dict(facts.to_dict()) == facts  # stored from now on in today's form


def test_an_old_record_split_into_awards_takes_back_exactly_what_the_old_returns_left():
    """Review: the partner's 66 points (33 base, 33 of its own campaign) were taken back by the old code as one
    total rounded once (33 for half of 33.00); read as two awards each rounded alone, the rest took 34."""
    old = {
        "amount": "33.00",
        "currency": "EUR",
        "occurred_on": "2026-11-23",
        "points_by_issuer": {"shop": 66},
        "qualifying_points": 33,
        "returned_amount": "16.50",
        "returned_points": 33,
    }
    facts = legacy_facts(old, "shop", "2028-11-30")

    rest = facts.plan_return(Decimal("16.50"), None)

    assert sorted((c.rule, c.points) for c in rest) == [("base_rate", 17), ("earned", 16)]
    assert 33 + sum(c.points for c in rest) == 66
