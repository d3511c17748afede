"""Inputs that look almost right: Unicode digits, a trailing newline, a cursor this API never issued, a job
date that is no date. Each is a 400 in the contract's shape that names its field, and writes nothing."""

from __future__ import annotations

import base64
import json

import pytest

from tests.support.api import PROGRAM
from tests.support.aws import table_snapshot


@pytest.fixture
def shop(coalition):
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "50.00", transaction_id="t1")
    return key, member


def assert_refused(reply, field):
    assert (reply.status, reply.error_code) == (400, "invalid_request"), reply.json
    assert reply.json["error"]["field"] == field and reply.json["error"]["message"]


# ---- 13: numbers in the query string ----------------------------------------------------------------
NOT_ASCII_DIGITS = ["%C2%B2", "%EF%BC%91%EF%BC%90", "%D9%A3", "1" * 5000, "+5", "%205", "5.0"]  # ², １０, ٣, …


def test_numbers_in_the_query_string_are_ascii_digits_only(coalition, shop):
    _, member = shop

    for raw in NOT_ASCII_DIGITS:
        assert_refused(coalition.api.get(f"/v1/me/entries?limit={raw}", token=member.token), "limit")
        for name in ("segment", "segments"):
            assert_refused(coalition.api.get(f"/v1/admin/reconciliation?{name}={raw}", token=coalition.admin), name)
    assert coalition.api.get("/v1/me/entries?limit=2", token=member.token).status == 200


# ---- 13: reconciliation cursors ---------------------------------------------------------------------
def encoded(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


FORGED_RECONCILIATION_CURSORS = [
    "eyJhIjoxfQ",  # {"a":1}: well-formed, never issued
    encoded('{"member_id": {"S": 1}}'),
    encoded('{"member_id": {"N": "1"}}'),
    encoded("[]"),
    encoded("0.1.m_x"),
    "%%%",
]


def test_a_cursor_this_api_never_issued_is_refused(coalition, settings, shop):
    _, member = shop
    token = member.token  # (the member's user signs up and is linked on first use: before the snapshot)
    before = table_snapshot(settings)

    for cursor in FORGED_RECONCILIATION_CURSORS:
        reply = coalition.api.get(f"/v1/admin/reconciliation?limit=1&cursor={cursor}", token=coalition.admin)
        assert_refused(reply, "cursor")
    for seq in (True, -1, 10**40):  # DynamoDB refuses a 40-digit number (moto does not)
        cursor = encoded(json.dumps({"m": member.member_id, "s": seq}))
        assert_refused(coalition.api.get(f"/v1/me/entries?cursor={cursor}", token=token), "cursor")
    assert table_snapshot(settings) == before


def test_reconciliation_pages_through_every_member_with_its_own_cursors(coalition, shop):
    key, _ = shop
    coalition.member(key)  # a second member, with no points

    page_one = coalition.api.get("/v1/admin/reconciliation?limit=1", token=coalition.admin).json
    page_two = coalition.api.get(
        f"/v1/admin/reconciliation?limit=1&cursor={page_one['next_cursor']}", token=coalition.admin
    ).json
    other_scan = coalition.api.get(
        f"/v1/admin/reconciliation?limit=1&segments=2&cursor={page_one['next_cursor']}", token=coalition.admin
    )

    assert page_one["ok"] and page_two["ok"]
    assert page_one["scope"]["members"] == page_two["scope"]["members"] == 1
    points = [page["invariant_2"]["by_issuer"].get("shop", {}).get("from_wallets", 0) for page in (page_one, page_two)]
    assert sorted(points) == [0, 50]  # each member read once: the one with 50 points and the one with none
    assert_refused(other_scan, "cursor")  # a cursor belongs to the segment it was issued for


# ---- 14: a trailing newline ($ matches before it in Python's re) ------------------------------------
def purchase_body(buyer, **changes):
    body = {
        "transaction_id": "t-new",
        "member": {"member_id": buyer.member_id},
        "amount": "10.00",
        "currency": "EUR",
        "occurred_at": "2026-11-23T09:00:00Z",
        "channel": "store",
    }
    return {**body, **changes}


NEWLINE_PURCHASES = {
    "amount": ({"amount": "1.00\n"}, "amount"),
    "item amount": (
        {"amount": "1.00", "items": [{"sku": "a", "category": "food", "amount": "1.00\n"}]},
        "items[0].amount",
    ),
    "transaction_id": ({"transaction_id": "t-2\n"}, "transaction_id"),
    "card number": ({"member": {"card_number": "12345678\n"}}, "member.card_number"),
    "email": ({"member": {"email": "ana@example.com\n"}}, "member.email"),
    "phone": ({"member": {"phone": "+33612345678\n"}}, "member.phone"),
    "store_id is free text, but the category pattern is not": (
        {"items": [{"sku": "a", "category": "food\n", "amount": "10.00"}]},
        "items[0].category",
    ),
}


def test_a_trailing_newline_is_not_part_of_a_purchase_or_a_return(coalition, settings, shop):
    key, member = shop
    before = table_snapshot(settings)

    for changes, field in NEWLINE_PURCHASES.values():
        assert_refused(coalition.api.post("/v1/transactions", purchase_body(member, **changes), token=key), field)
    returned = coalition.api.post("/v1/transactions/t1/returns", {"return_id": "r1", "amount": "1.00\n"}, token=key)

    assert_refused(returned, "amount")
    assert table_snapshot(settings) == before


PARTNER_NEWLINES = {
    "earn_rate": ({"earn_rate": "1\n"}, "earn_rate"),
    "category rate": ({"category_rates": {"fuel": "0.5\n"}}, "category_rates.fuel"),
    "fee_per_point": ({"fee_per_point": "0.002\n"}, "fee_per_point"),
    "partner_id": ({"partner_id": "cinema\n"}, "partner_id"),
}


PROGRAMME_NEWLINES = {
    "point_value": {"point_value": "0.01\n"},
    "tiers[0].earn_multiplier": {"tiers": [{"name": "member", "threshold": 0, "earn_multiplier": "1\n"}]},
    "tiers[0].name": {"tiers": [{"name": "member\n", "threshold": 0, "earn_multiplier": "1"}]},
    "bonuses.birthday_month_multiplier": {"bonuses": {"birthday_month_multiplier": "2\n"}},
}


def test_a_trailing_newline_is_not_part_of_a_rate_an_id_or_a_programme(coalition, settings, shop):
    before = table_snapshot(settings)

    for changes, field in PARTNER_NEWLINES.values():
        body = {"partner_id": "cinema", "name": "Cinema", "currency": "EUR", "earn_rate": "1", **changes}
        assert_refused(coalition.api.post("/v1/admin/partners", body, token=coalition.admin), field)
        if field != "partner_id":
            assert_refused(coalition.api.patch("/v1/admin/partners/shop", changes, token=coalition.admin), field)
    for field, changes in PROGRAMME_NEWLINES.items():
        assert_refused(coalition.api.put("/v1/admin/program", {**PROGRAM, **changes}, token=coalition.admin), field)

    assert table_snapshot(settings) == before


def test_amounts_and_rates_accept_exactly_plain_decimals():
    from chalicelib.domain.errors import InvalidRequest
    from chalicelib.domain.money import parse_amount, parse_rate

    assert str(parse_amount("42.50", "EUR")) == "42.50" and str(parse_rate("0.002", "fee")) == "0.002"
    for text in ("1.00\n", "\n1.00", " 1.00", "1.00 ", "1.0\r", "١.00", "１.00", "1,00", "1.", ".5"):
        with pytest.raises(InvalidRequest):
            parse_amount(text, "EUR")
        with pytest.raises(InvalidRequest):
            parse_rate(text, "earn_rate")


def test_a_period_with_foreign_digits_is_refused(coalition, shop):
    for period in ("２０２６-11-22", "2026-11-٢٢", "20261122", "2026-1-22"):
        closed = coalition.api.post(f"/v1/admin/settlements/{period}/close", token=coalition.admin)
        statement = coalition.api.get(f"/v1/admin/settlements/{period}", token=coalition.admin)
        assert_refused(closed, "period")
        assert_refused(statement, "period")


def test_a_period_with_a_trailing_newline_is_refused():
    # (chalice's test client strips a path's trailing newline; API Gateway passes %0A through decoded)
    from chalicelib.domain.errors import InvalidRequest
    from chalicelib.services.settlement import parse_period

    assert parse_period("2026-11-22") == "2026-11-22" and parse_period("2026-11") == "2026-11"
    for text in ("2026-11-22\n", "2026-11\n", "2026-11-2\n", " 2026-11"):
        with pytest.raises(InvalidRequest):
            parse_period(text)


# ---- 16: job bodies ---------------------------------------------------------------------------------
JOB_BODIES = {
    "hold-sweep with an impossible date": ("hold-sweep", {"as_of": "2026-13-45"}),
    "hold-sweep takes no date": ("hold-sweep", {"as_of": "2026-11-20"}),
    "tier-reevaluation takes no date": ("tier-reevaluation", {"as_of": "2026-11-20"}),
    "tier-review with an impossible date": ("tier-review", {"as_of": "2026-02-30"}),
    "expiry with Unicode digits": ("expiry", {"as_of": "２０２６-11-20"}),
    "expiry with a trailing newline": ("expiry", {"as_of": "2026-11-20\n"}),
    "expiry with a week date": ("expiry", {"as_of": "2026-W47-1"}),
    "tier-review with a date as a number": ("tier-review", {"as_of": 20261120}),
}


def test_a_job_refuses_a_date_it_cannot_use_and_unknown_fields(coalition, settings, shop):
    before = table_snapshot(settings)

    for case, (job, body) in JOB_BODIES.items():
        reply = coalition.api.post(f"/v1/admin/jobs/{job}", body, token=coalition.admin)
        assert (reply.status, reply.json["error"].get("field")) == (400, "as_of"), case
    for job in ("hold-sweep", "tier-review", "expiry", "tier-reevaluation"):
        assert_refused(
            coalition.api.post(f"/v1/admin/jobs/{job}", {"as_off": "2026-11-20"}, token=coalition.admin), "as_off"
        )

    assert table_snapshot(settings) == before


def test_dated_jobs_run_as_of_a_real_past_date(coalition, shop):
    review = coalition.api.post("/v1/admin/jobs/tier-review", {"as_of": "2026-11-20"}, token=coalition.admin)
    sweep = coalition.api.post("/v1/admin/jobs/hold-sweep", token=coalition.admin)

    assert review.status == 202 and review.json["as_of"] == "2026-11-20" and review.json["job"] == "tier-review"
    assert sweep.status == 202 and "as_of" not in sweep.json and sweep.json["job"] == "hold-sweep"
