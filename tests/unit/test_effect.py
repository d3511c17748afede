"""The effect's arithmetic: the per-day increments add up to the per-customer sums, the estimates and intervals are
the textbook ones, and the stored form of an entry's measured rows reads back the same."""

from __future__ import annotations

from decimal import Decimal
from statistics import mean, variance

from chalicelib.domain.effect import (
    CONTROL,
    TREATED,
    EffectTally,
    Estimate,
    Measured,
    Running,
    difference,
    estimates,
    forget_ended,
    measure_purchase,
    measure_return,
    measured_from_raw,
    measured_to_raw,
)

D = Decimal


def test_increments_over_days_sum_to_each_customers_totals_whatever_the_split():
    purchases = {"a": [D("10"), D("5"), D("7.5")], "b": [D("20")], "c": [D("1"), D("2")]}
    days = [EffectTally(), EffectTally()]
    measures: dict[str, Running] = {}
    wallets = {m: dict(measures) for m in purchases}
    for n, (member, amounts) in enumerate(sorted(purchases.items())):
        for k, amount in enumerate(amounts):
            rows = measure_purchase(wallets[member], [("x", TREATED)], amount, {"x": 2}, {"x": "2027-03-01"})
            days[(n + k) % 2].add(rows)  # spread over two days
    returned = measure_return(wallets["a"], [("x", TREATED)], D("5"), {"x": -1})
    days[1].add(returned)
    total = EffectTally()
    for day in days:
        total.merge(EffectTally.from_dict(day.to_dict()))  # as stored and read back
    figures = total.campaigns["x"][TREATED]

    spend = {"a": D("17.5"), "b": D("20"), "c": D("3")}
    counts = {"a": 3, "b": 1, "c": 2}
    assert (figures.customers, figures.purchases, figures.spend) == (3, 6, sum(spend.values()))
    assert figures.spend_sq == sum(v * v for v in spend.values())
    assert figures.purchases_sq == sum(n * n for n in counts.values())
    assert figures.spend_purchases == sum(spend[m] * counts[m] for m in spend)
    assert figures.points == 6 * 2 - 1
    found = estimates(figures)
    assert found.spend.value == mean(spend.values())
    assert abs(found.spend.error - (variance(spend.values()) / 3).sqrt()) < D("1e-20")
    assert found.basket.value == sum(spend.values()) / 6


def test_an_interval_needs_two_customers_and_the_uplift_of_a_zero_mean_has_a_width():
    one = EffectTally()
    one.add([Measured("x", CONTROL, D(0), 0, D("9"))])
    assert estimates(one.campaigns["x"][CONTROL]).spend == Estimate(D("9"), None)
    assert difference(Estimate(D(0), D(0)), Estimate(D(10), D(1))) is not None
    found = difference(Estimate(D(0), D(1)), Estimate(D(10), D(1)))
    assert found is not None and found.uplift == -1 and found.uplift_high > found.uplift_low
    assert difference(Estimate(D(5), None), Estimate(D(10), D(1))) is None


def test_stored_rows_read_back_and_figures_are_dropped_by_date_only():
    rows = [Measured("x", TREATED, D("1.50"), 2, D("3.00"), 4), Measured("y", CONTROL, D("0"), 0, D("3.00"), 0)]
    assert measured_from_raw(measured_to_raw(rows)) == rows
    assert measured_to_raw([]) is None and measured_from_raw(None) == []
    measures = {
        "old": Running(D(1), 1, "2026-11-22"),
        "today": Running(D(1), 1, "2026-11-23"),
        "extended": Running(D(1), 1, "2026-11-01"),
        "unknown here": Running(D(1), 1, "2026-11-30"),
    }
    forget_ended(measures, "2026-11-23", {"old": "2026-11-22", "extended": "2027-03-31"})
    assert list(measures) == ["today", "extended", "unknown here"]
