"""Earning, returns, expiry dates and tiers (pure domain, no AWS)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chalicelib.domain.earning import PurchaseLine, purchase_points, split_purchase
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.money import parse_amount
from chalicelib.domain.program import (
    DEFAULT_PROGRAM,
    ActivityRule,
    BirthdayRule,
    EarningLimits,
    FirstPurchaseRule,
    Partner,
    Program,
    ReferralRule,
    Tier,
    program_document,
    program_from_document,
)
from chalicelib.domain.tiers import forget_old_months, record_purchase, upgrade_if_earned, window
from chalicelib.domain.wallet import Wallet

PARTNER = Partner("fuelco", "FuelCo", "EUR", Decimal("2"), {"fuel": Decimal("0.5")})
SILVER = Tier("silver", Decimal(2000), Decimal("1.25"))


def test_points_floor_once_over_all_lines_and_the_breakdown_sums_to_them():
    lines = split_purchase(Decimal("35.99"), [PurchaseLine("fuel", Decimal("30.01"))])
    earn = purchase_points(
        Decimal("35.99"), "EUR", [(line, PARTNER.rate_for(line.category, Decimal("0.01"))) for line in lines], SILVER
    )

    # (30.01 × 0.5 + 5.98 × 2) × 1.25 = 33.70625 -> 33; base floor(26.965) = 26, tier line 7
    assert earn.points == 33
    assert [(line.rule, line.points) for line in earn.breakdown] == [("base_rate", 26), ("tier_multiplier", 7)]


@pytest.mark.parametrize(
    ("earned_on", "months", "expires_on"),
    [
        (date(2026, 11, 23), 24, date(2028, 11, 30)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2027, 12, 1), 2, date(2028, 2, 29)),
        (date(2026, 12, 31), 12, date(2027, 12, 31)),
    ],
)
def test_points_expire_n_months_after_the_end_of_the_month_they_were_earned_in(earned_on, months, expires_on):
    program = Program("EUR", Decimal("0.01"), months, "qualifying_points", DEFAULT_PROGRAM.tiers)
    assert program.expires_on(earned_on) == expires_on


@pytest.mark.parametrize("text", ["1e3", "-0", "0.000", " 12.345 ", "1,5", "", "sNaN"])
def test_amounts_that_are_not_plain_positive_cents_are_refused(text):
    with pytest.raises(InvalidRequest):
        parse_amount(text, "EUR")


def test_amounts_follow_the_currencys_minor_unit():
    assert parse_amount("1000", "JPY") == Decimal(1000)
    with pytest.raises(InvalidRequest):
        parse_amount("10.5", "JPY")
    assert parse_amount("1.005", "KWD") == Decimal("1.005")


def test_the_tier_window_is_the_last_twelve_calendar_months():
    assert window(date(2026, 11, 23)) == [f"2025-{m}" for m in ("12",)] + [f"2026-{m:02d}" for m in range(1, 12)]


def test_an_earn_crossing_a_threshold_upgrades_and_sets_the_review_a_year_later():
    program = Program(
        "EUR",
        Decimal("0.01"),
        24,
        "qualifying_points",
        (Tier("member", Decimal(0), Decimal(1)), SILVER, Tier("gold", Decimal(5000), Decimal("1.5"))),
    )
    w = Wallet("m_1", "1", "member", "2026-01-01", "2027-01-01")
    record_purchase(w, date(2025, 12, 5), "a", 1500, Decimal("1500"))
    record_purchase(w, date(2026, 11, 20), "b", 600, Decimal("600"))

    upgraded = upgrade_if_earned(w, program, date(2026, 11, 23))

    assert upgraded.to_tier == "silver" and (w.tier, w.review_on) == ("silver", "2027-11-23")
    assert upgraded.detail == "2100 qualifying points reaches silver (2000)"
    forget_old_months(w, date(2027, 1, 1))  # December 2025 leaves the window
    assert list(w.activity) == ["2026-11"]


def test_distinct_partners_counts_each_partner_once_across_months():
    program = Program(
        "EUR",
        Decimal("0.01"),
        24,
        "distinct_partners",
        (Tier("member", Decimal(0), Decimal(1)), Tier("explorer", Decimal(3), Decimal("1.1"))),
    )
    w = Wallet("m_1", "1", "member", "2026-01-01", "2027-01-01")
    for day, partner in [(date(2026, 1, 5), "a"), (date(2026, 2, 5), "a"), (date(2026, 3, 5), "b")]:
        record_purchase(w, day, partner, 1, Decimal(1))
    assert upgrade_if_earned(w, program, date(2026, 3, 6)) is None
    record_purchase(w, date(2026, 3, 7), "c", 1, Decimal(1))
    assert upgrade_if_earned(w, program, date(2026, 3, 7)).to_tier == "explorer"


def test_the_programme_document_is_read_once_into_typed_rules():
    document = {
        "currency": "EUR",
        "point_value": "0.01",
        "expiry_months": 24,
        "tier_metric": "qualifying_points",
        "tiers": [{"name": "member", "threshold": 0, "earn_multiplier": "1"}],
        "bonuses": {
            "first_purchase": {"points": 200, "funder": "operator", "min_amount": "10.00"},
            "referral": {"referrer_points": 500, "referee_points": 250, "funder": "shop"},
            "birthday_month_multiplier": "2",
            "birthday_funder": "operator",
        },
        "activities": {"review": {"points": 50, "max_per_day": 1, "funder": "operator"}},
        "limits": {"max_points_per_transaction": 5000},
    }

    program = program_from_document(document, version=3)

    assert program.first_purchase == FirstPurchaseRule(200, "operator", Decimal("10.00"))
    assert program.referral == ReferralRule(500, 250, "shop")
    assert program.birthday == BirthdayRule(Decimal(2), "operator")
    assert program.activities == {"review": ActivityRule("review", 50, 1, None, "operator")}
    assert program.limits == EarningLimits(5000, 2_000_000)
    assert program_document(program)["bonuses"] == document["bonuses"]  # published as the operator put it
    assert program_document(program)["limits"] == {
        "max_points_per_transaction": 5000,
        "max_points_per_member_per_day": 2_000_000,
    }
    bare = program_from_document(
        {k: v for k, v in document.items() if k in ("currency", "point_value", "expiry_months", "tier_metric", "tiers")}
    )
    assert (bare.first_purchase, bare.referral, bare.birthday, dict(bare.activities)) == (None, None, None, {})
