"""GET /v1/reports/summary's sales KPIs on a dataset worked out by hand (3 members, 2 stores + online, returns)."""

from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.domain.kpis import LOYALTY_RATE_DEFINITION


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=timezone.utc)


def test_sales_kpis_by_store_and_channel_against_the_previous_period(coalition, clock):
    clock.now = at(1, 8)
    shop, fuel = coalition.partner("shop"), coalition.partner("fuel")
    a, b, c = (
        coalition.member(shop),
        coalition.member(shop),
        coalition.member(fuel, email="c@example.com", channel="online"),
    )

    def buy(member, day: int, hour: int, amount: str, transaction_id: str, **place):
        clock.now = at(day, hour)
        reply = coalition.purchase(
            shop,
            member,
            amount,
            transaction_id=transaction_id,
            occurred_at=f"2026-11-{day:02d}T{hour:02d}:00:00Z",
            **place,
        )
        assert reply.status == 201, reply.json

    # Previous period (Nov 1-10): A 20.00 at s1, B 30.00 online.
    buy(a, 2, 9, "20.00", "p1", store_id="s1")
    buy(b, 5, 9, "30.00", "p2", channel="online")
    # This period (Nov 11-20).
    buy(a, 11, 9, "100.00", "t1", store_id="s1")
    buy(b, 12, 12, "40.00", "t2", store_id="s1")
    buy(a, 13, 9, "50.00", "t3", store_id="s2")
    buy(b, 14, 12, "60.00", "t4", channel="online")
    buy(c, 15, 10, "80.00", "t5", store_id="s2")
    clock.now = at(16, 9)
    assert (
        coalition.api.post("/v1/transactions/t3/returns", {"return_id": "r1", "amount": "20.00"}, token=shop).status
        == 201
    )
    buy(a, 17, 9, "30.00", "t6", channel="online")
    clock.now = at(17, 9)
    coalition.purchase(fuel, a, "999.00", occurred_at="2026-11-17T09:00:00Z")  # another partner's sale: not ours

    report = coalition.api.get("/v1/reports/summary?from=2026-11-11&to=2026-11-20", token=shop)
    assert report.status == 200, report.json
    kpis = report.json

    # 100 + 40 + 50 + 60 + 80 + 30 - 20 returned
    assert (kpis["currency"], kpis["sales"], kpis["returns_amount"]) == ("EUR", "340.00", "20.00")
    assert (kpis["purchases"], kpis["customers"], kpis["loyal_customers"]) == (6, 3, 2)  # A 3 times, B twice, C once
    assert kpis["average_basket"] == "56.67"  # 340 / 6
    assert kpis["purchase_frequency"] == "2.00"  # 6 purchases / 3 customers
    assert kpis["mean_days_between_purchases"] == "2.7"  # A: 2 and 4 days, B: 2 days -> 8 / 3
    assert kpis["loyalty_rate"] == "66.7"  # 2 loyal of 3
    assert kpis["loyalty_rate_definition"] == LOYALTY_RATE_DEFINITION
    assert kpis["by_store"] == [
        {"store_id": "s1", "sales": "140.00", "purchases": 2, "members": 2},
        {"store_id": "s2", "sales": "110.00", "purchases": 2, "members": 2},  # 50 + 80 - 20 returned
        {"store_id": None, "sales": "90.00", "purchases": 2, "members": 2},  # online, no store
    ]
    assert kpis["by_channel"] == [
        {"channel": "online", "sales": "90.00", "purchases": 2, "members": 2},
        {"channel": "store", "sales": "250.00", "purchases": 4, "members": 3},
    ]
    assert kpis["members_enrolled_here"] == {"store": 2}  # A and B at shop's till; C online at fuel
    assert kpis["previous_period"] == {
        "from": "2026-11-01",
        "to": "2026-11-10",
        "sales": "50.00",
        "returns_amount": "0.00",
        "purchases": 2,
        "customers": 2,
        "loyal_customers": 0,
        "loyalty_rate": "0.0",
        "average_basket": "25.00",
        "purchase_frequency": "1.00",
        "mean_days_between_purchases": None,
    }
    assert kpis["change"] == {
        "sales": "290.00",
        "sales_percent": "580.0",
        "purchases": 4,
        "customers": 1,
        "loyalty_rate": "66.7",
        "average_basket": "31.67",
        "purchase_frequency": "1.00",
        "mean_days_between_purchases": None,
    }
    # The existing figures stay.
    assert (kpis["active_members"], kpis["purchasing_members"], kpis["repeat_purchase_rate"]) == (3, 3, "66.7")

    fuel_kpis = coalition.api.get("/v1/reports/summary?from=2026-11-11&to=2026-11-20", token=fuel).json
    assert (fuel_kpis["sales"], fuel_kpis["purchases"], fuel_kpis["by_channel"]) == (
        "999.00",
        1,
        [{"channel": "store", "sales": "999.00", "purchases": 1, "members": 1}],
    )
    assert fuel_kpis["members_enrolled_here"] == {}  # C was enrolled by fuel but bought nothing there


def test_an_empty_period_reports_zeros_and_no_averages(coalition):
    shop = coalition.partner("shop")
    kpis = coalition.api.get("/v1/reports/summary?from=2026-11-01&to=2026-11-02", token=shop).json
    assert (kpis["sales"], kpis["purchases"], kpis["loyalty_rate"]) == ("0.00", 0, "0.0")
    assert (kpis["average_basket"], kpis["purchase_frequency"], kpis["mean_days_between_purchases"]) == (None,) * 3
    assert kpis["change"]["sales_percent"] is None and kpis["by_store"] == []
