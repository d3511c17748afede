"""A partner's rate given as a % back (cashback): its points follow the point value, the programme publishes the
% back of every rate, and a member sees its balance in money."""

from __future__ import annotations

import boto3
import pytest

from tests.support.aws import table_snapshot
from tests.support.ledger import assert_invariants


def admin_partner(coalition, partner_id: str) -> dict:
    return next(p for p in coalition.api.get("/v1/program").json["partners"] if p["partner_id"] == partner_id)


def test_a_cashback_partner_earns_its_percent_at_the_point_value(coalition):
    key = coalition.partner("grocer", earn_rate=None, cashback_percent="2")
    member = coalition.member(key)

    reply = coalition.purchase(key, member, "35.99")

    # 2 % back at 0.01 EUR per point = 2 points per EUR: floor(35.99 × 2) = floor(71.98) = 71
    assert reply.status == 201, reply.json
    assert reply.json["points"] == 71
    assert reply.json["breakdown"] == [
        {"rule": "base_rate", "points": 71, "detail": "35.99 EUR at 2% back at 0.01 EUR per point = 2 pt/EUR"}
    ]
    assert_invariants()


def test_category_rates_may_be_given_as_a_percent_back_too(coalition):
    key = coalition.partner(
        "fuelco",
        earn_rate=None,
        cashback_percent="2",
        category_cashback_percent={"fuel": "1.5"},
        category_rates={"alcohol": "0"},
    )
    member = coalition.member(key)
    items = [
        {"sku": "diesel", "category": "fuel", "amount": "30.01"},
        {"sku": "wine", "category": "alcohol", "amount": "10.00"},
    ]

    reply = coalition.purchase(key, member, "50.00", items=items)

    # 30.01 × 1.5 + 10.00 × 0 + 9.99 × 2 = 45.015 + 0 + 19.98 = 64.995 -> 64
    assert reply.json["points"] == 64
    assert reply.json["breakdown"][0]["detail"] == (
        "50.00 EUR at 0 pt/EUR on alcohol, 1.5% back on fuel at 0.01 EUR per point = 1.5 pt/EUR,"
        " 2% back at 0.01 EUR per point = 2 pt/EUR"
    )
    assert admin_partner(coalition, "fuelco") == {
        "partner_id": "fuelco",
        "name": "Fuelco",
        "currency": "EUR",
        "earn_rate": "2",
        "category_rates": {"alcohol": "0", "fuel": "1.5"},
        "cashback_percent": "2",
        "category_cashback_percent": {"fuel": "1.5"},
        "percent_back": "2",
        "category_percent_back": {"alcohol": "0", "fuel": "1.5"},
    }


def test_when_the_point_value_changes_the_percent_back_stays_and_the_points_follow(coalition):
    cashback = coalition.partner("grocer", earn_rate=None, cashback_percent="2")
    rated = coalition.partner("cinema", earn_rate="1", category_rates={"snacks": "0.5"})
    member = coalition.member(cashback)

    coalition.program(point_value="0.02")
    at_cashback = coalition.purchase(cashback, member, "35.99")
    at_rate = coalition.purchase(rated, member, "35.99")

    # 2 % back at 0.02 EUR per point = 1 point per EUR: 35 points; the points rate stays 1 point per EUR,
    # which is now worth 2 % back.
    assert at_cashback.json["points"] == 35
    assert at_cashback.json["breakdown"][0]["detail"] == "35.99 EUR at 2% back at 0.02 EUR per point = 1 pt/EUR"
    assert at_rate.json["points"] == 35
    assert at_rate.json["breakdown"][0]["detail"] == "35.99 EUR at 1 pt/EUR"
    published = coalition.api.get("/v1/program").json
    assert published["point_value"] == "0.02"
    assert [
        (p["partner_id"], p["earn_rate"], p["percent_back"], p["cashback_percent"]) for p in published["partners"]
    ] == [
        ("cinema", "1", "2", None),
        ("grocer", "1", "2", "2"),
    ]
    assert admin_partner(coalition, "cinema")["category_percent_back"] == {"snacks": "1"}
    assert_invariants()


def test_a_rate_that_does_not_end_is_rounded_up_so_nobody_earns_less_than_promised(coalition):
    coalition.program(point_value="0.03")
    key = coalition.partner("grocer", earn_rate=None, cashback_percent="1")
    member = coalition.member(key)

    three = coalition.purchase(key, member, "3.00")
    large = coalition.purchase(key, member, "299.99")

    # 1 % / 0.03 = 0.3333… points per EUR, published (and earned at) as 0.33333334: 3.00 EUR is worth 0.03 EUR
    # back = 1 point exactly, not floor(0.99999…) = 0; 299.99 × 0.33333334 = 99.99666… -> 99 (exactly 99.99666…).
    assert three.json["points"] == 1
    assert three.json["breakdown"][0]["detail"] == "3.00 EUR at 1% back at 0.03 EUR per point = 0.33333334 pt/EUR"
    assert large.json["points"] == 99
    published = admin_partner(coalition, "grocer")
    assert (published["earn_rate"], published["percent_back"]) == ("0.33333334", "1.00000002")


def test_a_partner_changes_between_a_points_rate_and_a_percent_back(coalition, settings):
    key = coalition.partner("shop", earn_rate="1", category_rates={"fuel": "0.5", "alcohol": "0"})
    member = coalition.member(key)
    admin = coalition.admin

    to_cashback = coalition.api.patch("/v1/admin/partners/shop", {"cashback_percent": "3"}, token=admin)
    assert (to_cashback.json["earn_rate"], to_cashback.json["cashback_percent"]) == (None, "3")
    assert coalition.purchase(key, member, "10.00").json["points"] == 30

    fuel = coalition.api.patch("/v1/admin/partners/shop", {"category_cashback_percent": {"fuel": "1"}}, token=admin)
    # fuel moves to the % back form; alcohol keeps its points rate
    assert (fuel.json["category_rates"], fuel.json["category_cashback_percent"]) == ({"alcohol": "0"}, {"fuel": "1"})

    back = coalition.api.patch("/v1/admin/partners/shop", {"earn_rate": "1"}, token=admin)
    assert (back.json["earn_rate"], back.json["cashback_percent"]) == ("1", None)
    assert coalition.purchase(key, member, "10.00").json["points"] == 10
    assert admin_partner(coalition, "shop")["category_percent_back"] == {"alcohol": "0", "fuel": "1"}

    before = table_snapshot(settings)
    both = coalition.api.patch("/v1/admin/partners/shop", {"earn_rate": "2", "cashback_percent": "2"}, token=admin)
    assert (both.status, both.error_code, both.json["error"]["field"]) == (400, "invalid_request", "cashback_percent")
    assert table_snapshot(settings) == before
    assert coalition.me(member)["available_points"] == 40


def test_a_partner_stored_before_cashback_reads_as_a_points_rate(coalition, settings):
    coalition.partner("shop")
    # As an item written before cashback existed: no cashback_percent, no category_cashback_percent.
    boto3.client("dynamodb", region_name=settings.region).put_item(
        TableName=settings.directory_table,
        Item={
            "pk": {"S": "PARTNER#legacy"},
            "version": {"N": "1"},
            "listing": {"S": "partner"},
            "partner_id": {"S": "legacy"},
            "name": {"S": "Legacy"},
            "currency": {"S": "EUR"},
            "earn_rate": {"S": "1.5"},
            "category_rates": {"S": '{"fuel": "0.5"}'},
            "fee_per_point": {"S": "0"},
            "status": {"S": "active"},
            "key_ids": {"S": "[]"},
            "created_at": {"S": "2025-01-01T00:00:00Z"},
        },
    )

    assert admin_partner(coalition, "legacy") == {
        "partner_id": "legacy",
        "name": "Legacy",
        "currency": "EUR",
        "earn_rate": "1.5",
        "category_rates": {"fuel": "0.5"},
        "cashback_percent": None,
        "category_cashback_percent": {},
        "percent_back": "1.5",
        "category_percent_back": {"fuel": "0.5"},
    }
    renamed = coalition.api.patch("/v1/admin/partners/legacy", {"name": "Legacy Ltd"}, token=coalition.admin)
    assert renamed.status == 200, renamed.json
    assert (renamed.json["earn_rate"], renamed.json["cashback_percent"]) == ("1.5", None)


def test_a_member_sees_its_balance_in_money(coalition):
    key = coalition.partner("grocer", earn_rate=None, cashback_percent="2")
    member = coalition.member(key)
    coalition.purchase(key, member, "35.99")  # 71 points
    hold = {"hold_id": "h1", "member": {"card_number": member.card_number}, "points": 10}
    assert coalition.api.post("/v1/holds", hold, token=key).status == 201

    me = coalition.me(member)
    assert (me["available_points"], me["held_points"]) == (61, 10)
    assert (me["available_value"], me["held_value"], me["currency"]) == ("0.61", "0.10", "EUR")

    coalition.program(point_value="0.005")
    me = coalition.me(member)
    # 61 × 0.005 = 0.305: rounded down to the cent, never more than the points are worth
    assert (me["available_value"], me["held_value"]) == ("0.30", "0.05")


BAD_CREATES = {
    "both": ({"earn_rate": "1", "cashback_percent": "2"}, "cashback_percent"),
    "neither": ({"earn_rate": None}, "earn_rate"),
    "zero": ({"earn_rate": None, "cashback_percent": "0"}, "cashback_percent"),
    "over 100": ({"earn_rate": None, "cashback_percent": "100.01"}, "cashback_percent"),
    "float": ({"earn_rate": None, "cashback_percent": 2.5}, "cashback_percent"),
    "integer": ({"earn_rate": None, "cashback_percent": 2}, "cashback_percent"),
    "not a number": ({"earn_rate": None, "cashback_percent": "two"}, "cashback_percent"),
    "negative": ({"earn_rate": None, "cashback_percent": "-1"}, "cashback_percent"),
    "exponent": ({"earn_rate": None, "cashback_percent": "1e1"}, "cashback_percent"),
    "five decimals": ({"earn_rate": None, "cashback_percent": "1.00001"}, "cashback_percent"),
    "category zero": ({"category_cashback_percent": {"fuel": "0"}}, "category_cashback_percent.fuel"),
    "category float": ({"category_cashback_percent": {"fuel": 1.5}}, "category_cashback_percent.fuel"),
    "category in both forms": (
        {"category_rates": {"fuel": "0.5"}, "category_cashback_percent": {"fuel": "1"}},
        "category_cashback_percent.fuel",
    ),
}


@pytest.mark.parametrize("case", BAD_CREATES, ids=list(BAD_CREATES))
def test_a_bad_cashback_is_refused_and_writes_nothing(coalition, settings, case):
    coalition.partner("shop")
    before = table_snapshot(settings)
    changes, field = BAD_CREATES[case]
    body = {"partner_id": "grocer", "name": "Grocer", "currency": "EUR", "earn_rate": "1", **changes}
    body = {k: v for k, v in body.items() if v is not None}

    created = coalition.api.post("/v1/admin/partners", body, token=coalition.admin)
    patch = {k: v for k, v in changes.items() if v is not None}
    patched = coalition.api.patch("/v1/admin/partners/shop", patch, token=coalition.admin) if patch else None

    assert (created.status, created.error_code, created.json["error"]["field"]) == (400, "invalid_request", field)
    if patched is not None:
        assert (patched.status, patched.error_code, patched.json["error"]["field"]) == (400, "invalid_request", field)
    assert table_snapshot(settings) == before


def test_a_full_refund_is_a_percent_of_100(coalition):
    key = coalition.partner("promo", earn_rate=None, cashback_percent="100")
    member = coalition.member(key)

    assert coalition.purchase(key, member, "1.50").json["points"] == 150  # 100 % of 1.50 EUR at 0.01 per point
