"""Challenges' calendar and arithmetic: periods, streaks, derived targets, how many run at once, what is forgotten."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from chalicelib.domain.challenge_progress import BookedReward, ChallengeKind, Progress, longest_run, week_of
from chalicelib.domain.challenges import (
    Challenge,
    ChallengePeriod,
    DerivedTarget,
    derived_target,
    forget_ended,
    most_running,
)
from chalicelib.domain.wallet import MonthActivity, Wallet


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def make(**changes) -> Challenge:
    base = Challenge(
        challenge_id="c",
        name="C",
        kind=ChallengeKind.PURCHASES,
        period=ChallengePeriod.MONTH,
        starts_at=at("2026-11-15T00:00:00"),
        ends_at=at("2027-02-10T12:00:00"),
        reward_points=100,
        funder="operator",
        target=Decimal(5),
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("period", "moment", "key", "days"),
    [
        (ChallengePeriod.MONTH, "2026-11-20T10:00:00", "2026-11", ("2026-11-15", "2026-11-30")),  # from the start
        (ChallengePeriod.MONTH, "2027-02-01T00:00:00", "2027-02", ("2027-02-01", "2027-02-10")),  # to the end
        (ChallengePeriod.QUARTER, "2026-12-31T23:59:59", "2026-Q4", ("2026-11-15", "2026-12-31")),
        (ChallengePeriod.QUARTER, "2027-01-01T00:00:00", "2027-Q1", ("2027-01-01", "2027-02-10")),
        (ChallengePeriod.WHOLE, "2027-01-05T00:00:00", "all", ("2026-11-15", "2027-02-10")),
    ],
)
def test_periods_are_calendar_months_quarters_or_the_window_clipped_to_it(period, moment, key, days):
    challenge = make(period=period)

    assert challenge.period_of(at(moment)) == key
    assert tuple(d.isoformat() for d in challenge.period_days(key)) == days


def test_a_window_ending_at_midnight_ends_the_day_before():
    assert make(ends_at=at("2027-01-01T00:00:00")).last_day == date(2026, 12, 31)


def test_weeks_start_on_monday_and_a_streak_is_the_longest_run():
    monday, sunday = date(2026, 11, 23), date(2026, 11, 29)
    assert date(2026, 11, 23).weekday() == 0
    assert week_of(monday) == week_of(sunday) == week_of(date(2026, 11, 30)) - 1
    assert longest_run({10: 1, 11: 2, 13: 1, 14: 1, 15: 1}) == 3
    assert longest_run({10: 1, 11: 0, 12: 1}) == 1 and longest_run({}) == 0


def test_a_derived_target_is_the_average_of_the_months_before_times_the_factor_rounded_up():
    wallet = Wallet("m", "c", "member", "2026-01-01", None)
    wallet.activity = {
        "2026-09": MonthActivity(spend="100.00", purchases=2, partners=["a"], partner_purchases={"a": 2}),
        "2026-10": MonthActivity(spend="50.01", purchases=3, partners=["a", "b"], partner_purchases={"a": 1, "b": 2}),
        "2026-11": MonthActivity(spend="999", purchases=9),  # the period's own month does not count
    }
    rule = DerivedTarget(2, Decimal("1.1"), Decimal(1))
    purchases = make(targets="derived", target=None, derived=rule)

    assert derived_target(purchases, wallet, date(2026, 11, 1)) == Decimal(3)  # 5 / 2 × 1.1 = 2.75 → 3
    assert derived_target(replace(purchases, partners=("b",)), wallet, date(2026, 11, 1)) == Decimal(2)  # 1.1 → 2
    spend = replace(purchases, kind=ChallengeKind.SPEND, derived=replace(rule, minimum=Decimal("10.00")))
    assert derived_target(spend, wallet, date(2026, 11, 1)) == Decimal("82.51")  # 75.005 × 1.1 = 82.5055 → up
    assert derived_target(purchases, Wallet("n", "c", "member", "2026-01-01", None), date(2026, 11, 1)) == 1


def test_most_running_counts_each_challenge_until_its_completed_periods_are_forgotten():
    first = make(starts_at=at("2026-11-01T00:00:00"), ends_at=at("2026-12-01T00:00:00"))
    second = make(starts_at=at("2027-03-01T00:00:00"), ends_at=at("2027-04-01T00:00:00"))
    soon_after = make(starts_at=at("2027-02-01T00:00:00"), ends_at=at("2027-02-10T00:00:00"))

    assert most_running([first, second]) == 1  # 90 days after 1 December is 1 March: half-open, they do not meet
    assert most_running([first, soon_after]) == 2  # the first's periods are still in wallets in February
    assert most_running([first, second, soon_after]) == 2  # it meets each, they never meet each other


def test_progress_is_forgotten_after_its_grace_a_rewarded_period_after_returns_count_and_an_extension_keeps_it():
    challenge = make(period=ChallengePeriod.WHOLE, ends_at=at("2026-12-01T00:00:00"))
    reward = BookedReward(100, "operator", Decimal("0.01"), "2028-11-30", "2026-11-20")
    progress = {
        "c/all": Progress(ChallengeKind.PURCHASES, Decimal(5), "2026-12-07"),
        "d/all": Progress(ChallengeKind.PURCHASES, Decimal(5), "2027-02-28", reward=reward),
    }

    kept = dict(progress)
    forget_ended(kept, "2026-12-07", {})
    assert set(kept) == {"c/all", "d/all"}
    forget_ended(kept, "2026-12-08", {})
    assert set(kept) == {"d/all"}
    extended = dict(progress)
    forget_ended(extended, "2026-12-08", {"c": replace(challenge, ends_at=at("2027-01-01T00:00:00"))})
    assert set(extended) == {"c/all", "d/all"}


def test_a_derived_target_is_exact_before_it_is_rounded_up():
    wallet = Wallet("m", "c", "member", "2026-01-01", None)
    wallet.activity = {
        "2026-08": MonthActivity(spend="100.00", purchases=12),
        "2026-09": MonthActivity(spend="100.00", purchases=12),
        "2026-10": MonthActivity(spend="120.00", purchases=11),
    }
    purchases = make(targets="derived", target=None, derived=DerivedTarget(3, Decimal("0.6"), Decimal(1)))
    spend = replace(purchases, kind=ChallengeKind.SPEND, derived=DerivedTarget(3, Decimal("0.3"), Decimal("1.00")))

    # 35 purchases / 3 × 0.6 is 7 and 320.00 / 3 × 0.3 is 32.00, exactly: no division artefact rounds them up
    assert derived_target(purchases, wallet, date(2026, 11, 1)) == Decimal(7)
    assert derived_target(spend, wallet, date(2026, 11, 1)) == Decimal("32.00")
    assert derived_target(replace(spend, currency="BHD"), wallet, date(2026, 11, 1)) == Decimal("32.000")
