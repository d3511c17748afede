"""Tiers and returns (pure domain): what reached a tier, what a return takes out of it, partner counts per month,
legacy wallets and months."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chalicelib.domain.program import Program, Tier
from chalicelib.domain.tiers import (
    ReturnedPurchase,
    TierChange,
    adopt_legacy_tier,
    forget_old_months,
    metric_value,
    record_purchase,
    record_return,
    redecide_after_return,
    review,
    upgrade_if_earned,
)
from chalicelib.domain.wallet import MonthActivity, TierBasis, Wallet

MEMBER = Tier("member", Decimal(0), Decimal(1))


def program(metric: str = "qualifying_points", silver: int = 2000, gold: int = 5000) -> Program:
    tiers = (MEMBER, Tier("silver", Decimal(silver), Decimal(1)), Tier("gold", Decimal(gold), Decimal(1)))
    return Program("EUR", Decimal("0.01"), 24, metric, tiers)


def wallet() -> Wallet:
    return Wallet("m_1", "1", "member", "2026-01-01", None)


def buy(w: Wallet, day: date, partner: str, points: int, amount: str = "0", prog: Program | None = None) -> int:
    """A purchase booked on `day` (one entry on the wallet), then the upgrade check; returns its entry number."""
    w.entry_seq += 1
    record_purchase(w, day, partner, points, Decimal(amount))
    if prog is not None:
        upgrade_if_earned(w, prog, day)
    return w.entry_seq


def give_back(w: Wallet, prog: Program, today: date, returned: ReturnedPurchase) -> TierChange | None:
    w.entry_seq += 1  # the return's own entry
    record_return(w, returned)
    return redecide_after_return(w, prog, today, returned)


def returned(day: date, partner: str, seq: int, points: int, amount: str = "0", whole: bool = True) -> ReturnedPurchase:
    return ReturnedPurchase(day, partner, seq, points, Decimal(amount), whole)


# ---- D9: a return lowers the tier only when what reached it no longer does ------------------------------------
def test_an_upgrade_records_what_reached_the_tier():
    w, prog = wallet(), program()
    buy(w, date(2026, 1, 10), "a", 3000, prog=prog)
    seq = buy(w, date(2026, 2, 10), "a", 2500, prog=prog)

    assert w.tier == "gold"
    assert w.tier_basis == TierBasis("qualifying_points", Decimal(5500), seq, "2026-02-10", {})
    assert TierBasis.from_dict(w.tier_basis.to_dict()) == w.tier_basis


def test_a_purchase_booked_after_the_upgrade_is_left_for_the_review():
    w, prog = wallet(), program()
    buy(w, date(2026, 1, 10), "a", 3000, prog=prog)
    buy(w, date(2026, 2, 10), "a", 2500, prog=prog)  # gold, 5,500
    later = buy(w, date(2027, 1, 20), "a", 100, prog=prog)  # January 2026 has left the window: 2,600 in it

    change = give_back(w, prog, date(2027, 1, 21), returned(date(2027, 1, 20), "a", later, 10))

    assert change is None and w.tier == "gold"
    assert w.tier_basis is not None and w.tier_basis.value == 5500
    assert metric_value(w, "qualifying_points", date(2027, 1, 21)) == 2590


def test_a_purchase_outside_the_months_that_reached_the_tier_is_not_part_of_it():
    w, prog = wallet(), program()
    old = buy(w, date(2025, 1, 10), "a", 1000)
    buy(w, date(2026, 2, 10), "a", 5000, prog=prog)  # gold on February 2026 alone

    assert give_back(w, prog, date(2026, 3, 1), returned(date(2025, 1, 10), "a", old, 1000)) is None
    assert w.tier_basis is not None and w.tier_basis.value == 5000


def test_a_return_of_part_of_what_reached_the_tier_lowers_it_only_below_the_threshold():
    w, prog = wallet(), program()
    first = buy(w, date(2026, 1, 10), "a", 3000, prog=prog)
    up = buy(w, date(2026, 2, 10), "a", 2500, prog=prog)  # gold, 5,500

    assert give_back(w, prog, date(2026, 3, 1), returned(date(2026, 1, 10), "a", first, 400, whole=False)) is None
    assert (w.tier, w.tier_basis.value) == ("gold", 5100)
    change = give_back(w, prog, date(2026, 3, 1), returned(date(2026, 2, 10), "a", up, 2500))

    assert (change.rule, change.from_tier, change.to_tier) == ("tier_returned", "gold", "silver")
    assert change.detail == "a return leaves 2600 qualifying points of what reached gold: below gold (5000)"
    assert (w.tier, w.review_on, w.tier_basis.value) == ("silver", "2027-02-10", 2600)  # the review date is kept


def test_the_tier_kept_is_the_highest_of_the_rest_the_last_twelve_months_and_the_floor():
    prog = program()
    # The last 12 months still earn gold: nothing changes, and they become what holds it.
    w = wallet()
    up = buy(w, date(2026, 1, 10), "a", 5000, prog=prog)
    buy(w, date(2026, 2, 10), "a", 6000, prog=prog)
    assert give_back(w, prog, date(2026, 3, 1), returned(date(2026, 1, 10), "a", up, 5000)) is None
    assert (w.tier, w.tier_basis.value, w.tier_basis.seq, w.tier_basis.on) == ("gold", 6000, w.entry_seq, "2026-03-01")

    # A review's floor keeps silver where neither the rest nor the window does, with the floor's review date.
    w = wallet()
    w.tier, w.review_on, w.tier_floor, w.tier_floor_review_on = "silver", "2026-06-01", "silver", "2026-06-01"
    up = buy(w, date(2026, 2, 10), "a", 5000, prog=prog)
    change = give_back(w, prog, date(2026, 3, 1), returned(date(2026, 2, 10), "a", up, 5000))
    assert (change.to_tier, w.tier, w.review_on, w.tier_basis) == ("silver", "silver", "2026-06-01", None)

    # Nothing holds it: the base tier, with nothing to review.
    w = wallet()
    up = buy(w, date(2026, 2, 10), "a", 5000, prog=prog)
    change = give_back(w, prog, date(2026, 3, 1), returned(date(2026, 2, 10), "a", up, 5000))
    assert (change.to_tier, w.tier, w.review_on, w.tier_basis) == ("member", "member", None, None)


@pytest.mark.parametrize(
    ("metric", "purchases", "give", "tier_after"),
    [
        # spend: what the return takes back of the amount, whole or not
        ("spend", [("a", "3000"), ("a", "2500")], ("1", "600", False), "silver"),
        # purchases: only a purchase returned whole stops counting
        ("purchases", [("a", "1")] * 5, ("4", "1", False), "gold"),
        ("purchases", [("a", "1")] * 5, ("4", "1", True), "silver"),
    ],
)
def test_every_metric_takes_back_its_own_figure(metric, purchases, give, tier_after):
    prog = program(metric, silver=2 if metric == "purchases" else 2000, gold=5 if metric == "purchases" else 5000)
    w = wallet()
    seqs = [buy(w, date(2026, 2, 10), partner, 0, amount, prog=prog) for partner, amount in purchases]
    assert w.tier == "gold"
    index, amount, whole = give

    give_back(w, prog, date(2026, 3, 1), returned(date(2026, 2, 10), "a", seqs[int(index)], 0, amount, whole))

    assert w.tier == tier_after


def test_a_basis_of_another_metric_says_nothing_after_a_rule_change():
    w = wallet()
    up = buy(w, date(2026, 2, 10), "a", 5000, "5000", prog=program())
    assert give_back(w, program("spend"), date(2026, 3, 1), returned(date(2026, 2, 10), "a", up, 5000, "5000")) is None
    assert w.tier == "gold"


def test_a_threshold_raised_after_the_upgrade_is_left_for_the_review():
    w = wallet()
    up = buy(w, date(2026, 2, 10), "a", 6000, prog=program())
    raised = program(gold=8000)  # the programme changed: 6,000 no longer reach gold, kept until the review

    assert give_back(w, raised, date(2026, 3, 1), returned(date(2026, 2, 10), "a", up, 10, whole=False)) is None
    assert (w.tier, w.tier_basis.value) == ("gold", 5990)


def test_a_review_decides_the_tier_and_clears_its_basis():
    w, prog = wallet(), program()
    up = buy(w, date(2026, 2, 10), "a", 5000, prog=prog)
    assert review(w, prog, date(2027, 2, 10)).rule == "tier_lowered"  # nothing in the window any more: silver
    assert (w.tier, w.tier_floor, w.tier_basis) == ("silver", "silver", None)
    assert give_back(w, prog, date(2027, 2, 11), returned(date(2026, 2, 10), "a", up, 5000)) is None


def test_a_legacy_wallet_keeps_its_tier_as_its_floor_until_the_review():
    legacy = wallet()
    legacy.tier, legacy.review_on = "gold", "2027-02-10"
    adopt_legacy_tier(legacy)
    assert (legacy.tier_floor, legacy.tier_floor_review_on) == ("gold", "2027-02-10")

    reviewed = wallet()  # an upgrade after a review, before upgrades recorded their basis
    reviewed.tier, reviewed.review_on, reviewed.tier_floor, reviewed.tier_floor_review_on = (
        "gold",
        "2027-02-10",
        "silver",
        "2026-09-01",
    )
    adopt_legacy_tier(reviewed)
    assert (reviewed.tier_floor, reviewed.tier_floor_review_on) == ("gold", "2027-02-10")

    current = wallet()
    current.tier, current.review_on, current.tier_floor = "gold", "2027-02-10", "silver"
    current.tier_basis = TierBasis("qualifying_points", Decimal(5000), 1, "2026-02-10")
    adopt_legacy_tier(current)
    assert current.tier_floor == "silver"  # what reached gold is known: untouched


# ---- D10: distinct partners ------------------------------------------------------------------------------------
def test_a_full_return_of_the_last_purchase_at_a_partner_in_a_month_takes_it_out():
    w = wallet()
    day = date(2026, 2, 10)
    for partner in ("a", "b", "c", "c"):
        record_purchase(w, day, partner, 10, Decimal(10))
    month = w.activity["2026-02"]
    assert month.partner_purchases == {"a": 1, "b": 1, "c": 2}

    record_return(w, returned(day, "c", 3, 5, "5", whole=False))  # a partial return: c still bought
    record_return(w, returned(day, "c", 3, 5, "5"))  # that purchase is now returned whole
    assert (month.partner_purchases["c"], metric_value(w, "distinct_partners", day)) == (1, 3)
    record_return(w, returned(day, "c", 4, 10, "10"))

    assert (month.partner_purchases["c"], metric_value(w, "distinct_partners", day)) == (0, 2)
    assert (month.partners, month.purchases, month.spend) == (["a", "b", "c"], 2, "20")  # where they bought
    record_purchase(w, day, "c", 10, Decimal(10))
    assert (month.partner_purchases["c"], metric_value(w, "distinct_partners", day)) == (1, 3)


def test_a_legacy_month_loads_and_its_partners_of_unknown_count_are_never_taken_out():
    w = wallet()
    raw = {"qualifying_points": 20, "spend": "20", "purchases": 2, "partners": ["a", "b"], "redeemed_at": []}
    w.activity["2026-02"] = MonthActivity(**raw)  # as stored before counts were kept
    day = date(2026, 2, 10)
    record_purchase(w, day, "b", 10, Decimal(10))  # b's count stays unknown
    record_purchase(w, day, "c", 10, Decimal(10))

    record_return(w, returned(day, "b", 1, 10, "10"))
    record_return(w, returned(day, "a", 1, 10, "10"))

    month = w.activity["2026-02"]
    assert (month.partner_purchases, month.purchases, metric_value(w, "distinct_partners", day)) == ({"c": 1}, 2, 3)


def test_with_distinct_partners_the_basis_counts_purchases_per_partner():
    prog = program("distinct_partners", silver=2, gold=3)
    w = wallet()
    day = date(2026, 2, 10)
    seqs = [buy(w, day, partner, 1, prog=prog) for partner in ("a", "b", "c")]
    assert w.tier_basis == TierBasis("distinct_partners", Decimal(3), seqs[-1], "2026-02-10", {"a": 1, "b": 1, "c": 1})
    again = buy(w, day, "c", 1, prog=prog)  # after the upgrade

    # The purchase that reached gold goes: the other one at c, booked since, keeps gold (it now holds it).
    assert give_back(w, prog, day, returned(day, "c", seqs[-1], 1)) is None
    assert (w.tier, w.tier_basis.value, w.tier_basis.partners) == ("gold", 3, {"a": 1, "b": 1, "c": 1})
    change = give_back(w, prog, day, returned(day, "c", again, 1))

    assert (change.to_tier, change.detail) == (
        "silver",
        "a return leaves 2 partners of what reached gold: below gold (3)",
    )


def test_a_partner_of_unknown_count_is_not_in_the_basis_and_never_taken_out_of_it():
    prog = program("distinct_partners", silver=2, gold=3)
    w = wallet()
    raw = {"qualifying_points": 1, "spend": "1", "purchases": 1, "partners": ["a"], "redeemed_at": []}
    w.activity["2026-02"] = MonthActivity(**raw)
    day = date(2026, 2, 10)
    seqs = [buy(w, day, partner, 1, prog=prog) for partner in ("b", "c")]
    assert w.tier_basis == TierBasis("distinct_partners", Decimal(3), seqs[-1], "2026-02-10", {"b": 1, "c": 1})

    assert give_back(w, prog, day, returned(day, "a", 0, 1)) is None
    assert (w.tier, w.tier_basis.value) == ("gold", 3)


# ---- the months kept -------------------------------------------------------------------------------------------
def test_months_a_due_review_still_counts_are_kept_until_it_has_run():
    w = wallet()
    for month in range(1, 13):
        record_purchase(w, date(2026, month, 5), "a", 1, Decimal(1))
    w.tier, w.review_on = "silver", "2026-12-31"

    forget_old_months(w, date(2027, 1, 1))  # the review job runs at 01:00 for 2026-12-31
    assert len(w.activity) == 12
    w.review_on = "2027-12-31"  # reviewed
    forget_old_months(w, date(2027, 1, 1))
    assert sorted(w.activity)[0] == "2026-02"
