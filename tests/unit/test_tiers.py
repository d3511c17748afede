"""Tiers and returns (pure domain): partner counts per month, legacy months."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from chalicelib.domain.tiers import metric_value, record_purchase, record_return
from chalicelib.domain.wallet import MonthActivity, Wallet


def wallet() -> Wallet:
    return Wallet("m_1", "1", "member", "2026-01-01", None)


# ---- D10: distinct partners ------------------------------------------------------------------------------------
def test_a_full_return_of_the_last_purchase_at_a_partner_in_a_month_takes_it_out():
    w = wallet()
    day = date(2026, 2, 10)
    for partner in ("a", "b", "c", "c"):
        record_purchase(w, day, partner, 10, Decimal(10))
    month = w.activity["2026-02"]
    assert month.partner_purchases == {"a": 1, "b": 1, "c": 2}

    record_return(w, day, "c", 5, Decimal(5), whole=False)  # a partial return: c still bought
    record_return(w, day, "c", 5, Decimal(5), whole=True)  # that purchase is now returned whole
    assert (month.partner_purchases["c"], metric_value(w, "distinct_partners", day)) == (1, 3)
    record_return(w, day, "c", 10, Decimal(10), whole=True)

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

    record_return(w, day, "b", 10, Decimal(10), whole=True)
    record_return(w, day, "a", 10, Decimal(10), whole=True)

    month = w.activity["2026-02"]
    assert (month.partner_purchases, month.purchases, metric_value(w, "distinct_partners", day)) == ({"c": 1}, 2, 3)
