"""A worked example, computed by hand: three partners and the operator over one month.

alpha (earn 1 pt/EUR, fee 0.002 EUR per issued point), bravo (2 pt/EUR), charlie (1 pt/EUR); point value
0.01 EUR; first-purchase bonus 200 points funded by the operator; points valid 1 month after the month.

2026-11-30  m1 buys 100.00 at alpha  -> alpha 100 + operator 200 (bonus)
            m1 buys  50.00 at bravo  -> bravo 100
            m2 buys  30.00 at bravo  -> bravo 60 + operator 200 (bonus)
            m1 redeems 250 at charlie, FIFO (same expiry, issuer ids in order):
                                        alpha 100, bravo 100, operator 50
            m1 returns 40.00 of the 100.00 at alpha -> 40 alpha points clawed back: none left, a debt of 40
            m2 holds 100 at charlie (bravo 60, operator 40), captures 70 (bravo 60, operator 10), 30 released
2027-01-01  the lots valid until 2026-12-31 expire: m1 operator 150, m2 operator 190

Day 2026-11-30 by hand:
  matrix   alpha->charlie 100, bravo->charlie 160, operator->charlie 60
  money    alpha pays charlie 1.00, bravo pays charlie 1.60, operator pays charlie 0.60
  fees     alpha: (100 issued - 40 returned) x 0.002 = 0.12, paid to the operator
  nets     alpha -1.12, bravo -1.60, charlie +3.20, operator -0.60 + 0.12 = -0.48      (sum 0.00)
  outstanding at day end: alpha 100-40-100 = -40 (m1's debt), bravo 0, operator 400-60 = 340
Day 2027-01-01: breakage operator 340; outstanding operator 0; no money moves.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone
from types import SimpleNamespace

import boto3
import moto
import pytest
from chalice.test import Client

import app as application
from chalicelib.bootstrap import Container
from chalicelib.services.expiry import expire_points
from localdev.infra import create_all, create_member_pool
from tests.support.api import ApiClient, Coalition
from tests.support.aws import ADMIN_KEY, make_settings, table_snapshot
from tests.support.clock import Clock
from tests.support.layout import settlement_shards
from tests.support.ledger import assert_invariants


@pytest.fixture(autouse=True)
def few_settlement_shards():
    with settlement_shards(2):  # 33 days close in these tests: keep each close small
        yield


def build_example(coalition, container, clock):
    clock.now = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
    coalition.program(expiry_months=1, bonuses={"first_purchase": {"points": 200, "funder": "operator"}})
    alpha = coalition.partner("alpha", earn_rate="1", fee_per_point="0.002")
    bravo = coalition.partner("bravo", earn_rate="2")
    charlie = coalition.partner("charlie", earn_rate="1")
    m1, m2 = coalition.member(alpha), coalition.member(bravo)
    at = {"occurred_at": "2026-11-30T09:00:00Z"}

    first = coalition.purchase(alpha, m1, "100.00", transaction_id="a-1", **at)
    assert first.json["points"] == 300 and first.json["breakdown"][-1]["rule"] == "first_purchase_bonus"
    assert coalition.purchase(bravo, m1, "50.00", transaction_id="b-1", **at).json["points"] == 100
    assert coalition.purchase(bravo, m2, "30.00", transaction_id="b-2", **at).json["points"] == 260
    assert coalition.redeem(charlie, m1, 250, redemption_id="c-1").status == 201
    returned = coalition.api.post(
        "/v1/transactions/a-1/returns", {"return_id": "a-1-r", "amount": "40.00"}, token=alpha
    )
    assert returned.json["points_reversed"] == 40 and returned.json["owed_points"] == 40
    hold = {"hold_id": "c-h1", "member": {"card_number": m2.card_number}, "points": 100}
    assert coalition.api.post("/v1/holds", hold, token=charlie).status == 201
    assert coalition.api.post("/v1/holds/c-h1/capture", {"points": 70}, token=charlie).status == 201
    assert_invariants()

    clock.now = datetime(2027, 1, 1, 10, 0, tzinfo=timezone.utc)
    expired = [expire_points(container.runtime, m.member_id, date(2027, 1, 1)) for m in (m1, m2)]
    assert expired == [150, 190]
    assert_invariants()

    clock.now = datetime(2027, 1, 2, 1, 0, tzinfo=timezone.utc)
    for day in ["2026-11-30"] + [f"2026-12-{d:02d}" for d in range(1, 32)] + ["2027-01-01"]:
        reply = coalition.api.post(f"/v1/admin/settlements/{day}/close", token=coalition.admin)
        assert reply.status == 201, (day, reply.json)
    return {"alpha": alpha, "bravo": bravo, "charlie": charlie}


@pytest.fixture(scope="module")
def world(pool_keys_url):
    """The example booked and closed once for the read-only tests of this module (it takes seconds)."""
    clock = Clock()
    with moto.mock_aws():
        pool = create_member_pool("eu-west-1")
        settings = make_settings(
            member_user_pool_id=pool.user_pool_id,
            member_app_client_id=pool.app_client_id,
            member_jwks_url=pool_keys_url,
        )
        create_all(settings)
        container = Container(settings, clock)
        application.app.container = container
        with Client(application.app) as client:
            coalition = Coalition(ApiClient(client, container))
            keys = build_example(coalition, container, clock)
            yield SimpleNamespace(coalition=coalition, settings=settings, keys=keys)


def test_the_day_settles_as_computed_by_hand(world):
    coalition = world.coalition
    day = coalition.api.get("/v1/admin/settlements/2026-11-30", token=coalition.admin).json

    assert day["matrix"] == {"alpha": {"charlie": 100}, "bravo": {"charlie": 160}, "operator": {"charlie": 60}}
    assert day["net_positions"] == {"alpha": "-1.12", "bravo": "-1.60", "charlie": "3.20", "operator": "-0.48"}
    assert day["net_total"] == "0.00"
    assert day["payments"] == [
        {"from": "alpha", "to": "operator", "amount": "1.12"},
        {"from": "bravo", "to": "operator", "amount": "1.60"},
        {"from": "operator", "to": "charlie", "amount": "3.20"},
    ]
    assert day["outstanding"] == {"alpha": -40, "bravo": 0, "charlie": 0, "operator": 340}
    assert day["operator"]["issued_points"] == 400 and day["operator"]["fees_received"] == "0.12"


def test_each_partner_sees_its_own_statement_only(world):
    coalition, example = world.coalition, world.keys
    alpha = coalition.api.get("/v1/settlements/2026-11-30", token=example["alpha"]).json
    charlie = coalition.api.get("/v1/settlements/2026-11-30", token=example["charlie"]).json

    assert alpha == {
        "period": "2026-11-30",
        "partner_id": "alpha",
        "currency": "EUR",
        "point_value": "0.01",
        "issued_points": 100,
        "returned_points": 40,
        "fees": "0.12",
        "fee_refunds": "0.00",
        "redeemed_here": {},
        "redeemed_elsewhere": {"charlie": 100},
        "reversed_here": {},
        "reversed_elsewhere": {},
        "expired_points": 0,
        "reinstated_points": 0,
        "outstanding_points": -40,
        "outstanding_voucher_points": 0,
        "vouchers": {  # no vouchers in this example: every line there, empty
            "converted_points": 0,
            "spent_here": {"count": 0, "points": 0, "value": "0.00", "by_issuer": {}},
            "spent_elsewhere": {},
            "voided_here": {"count": 0, "points": 0, "value": "0.00", "by_issuer": {}},
            "voided_elsewhere": {},
            "bonus_paid": "0.00",
            "bonus_received": "0.00",
            "expired_points": 0,
        },
        "memberships_sold": 0,  # no paid membership sold at alpha's tills
        "membership_fees": "0.00",
        "receivable": "0.00",
        "payable": "1.12",
        "net": "-1.12",
        "closed_at": alpha["closed_at"],
    }
    assert charlie["redeemed_here"] == {"alpha": 100, "bravo": 160, "operator": 60}
    assert (charlie["receivable"], charlie["payable"], charlie["net"]) == ("3.20", "0.00", "3.20")
    assert "matrix" not in charlie and "partners" not in charlie


def test_the_csv_statement_holds_the_same_figures_as_the_json(world):
    """One table, a header and the same columns on every row; each figure of the JSON is a row of it."""
    coalition, example = world.coalition, world.keys
    as_json = coalition.api.get("/v1/settlements/2026-11-30", token=example["alpha"]).json
    as_csv = coalition.api.get("/v1/settlements/2026-11-30?format=csv", token=example["alpha"])

    assert as_csv.headers.get("Content-Type", as_csv.headers.get("content-type")).startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(as_csv.body.decode())))
    assert list(table[0]) == ["section", "line", "counterparty", "points", "amount", "currency", "note"]
    rows = {(row["section"], row["line"], row["counterparty"]): row for row in table}
    assert len(rows) == len(table)  # one row per figure
    for name in ("receivable", "payable", "net"):
        assert rows[("summary", name, "")]["amount"] == as_json[name]
    for name in ("issued", "returned", "expired", "reinstated"):
        assert int(rows[("points", name, "")]["points"]) == as_json[f"{name}_points"]
    for name in ("redeemed_here", "redeemed_elsewhere", "reversed_here", "reversed_elsewhere"):
        listed = {key[2]: int(row["points"]) for key, row in rows.items() if key[:2] == ("points", name)}
        assert listed == as_json[name]
    assert rows[("fees", "fees", "operator")]["amount"] == as_json["fees"]
    assert int(rows[("liability", "outstanding", "")]["points"]) == as_json["outstanding_points"]
    payment = rows[("payment", "pay", "operator")]
    assert payment["amount"] == "1.12" and payment["note"] == "due 2026-12-05, reference COAL-ALPHA-2026-11-30"
    assert {row["currency"] for row in table if row["amount"]} == {"EUR"}


def test_breakage_shows_on_the_expiry_day_and_months_add_up(world):
    coalition = world.coalition
    expiry_day = coalition.api.get("/v1/admin/settlements/2027-01-01", token=coalition.admin).json
    november = coalition.api.get("/v1/admin/settlements/2026-11", token=coalition.admin).json
    december = coalition.api.get("/v1/admin/settlements/2026-12", token=coalition.admin).json

    assert expiry_day["breakage"] == {"operator": 340}
    assert expiry_day["outstanding"]["operator"] == 0 and expiry_day["net_total"] == "0.00"
    assert november["net_positions"] == {"alpha": "-1.12", "bravo": "-1.60", "charlie": "3.20", "operator": "-0.48"}
    assert december["entries"] == 0 and december["outstanding"]["operator"] == 340
    assert coalition.api.get("/v1/admin/settlements/2027-01", token=coalition.admin).status == 404  # not over


def test_closing_again_returns_the_same_bytes_and_changes_nothing(world):
    coalition = world.coalition
    settings = world.settings
    before = table_snapshot(settings)
    first = coalition.api.get("/v1/admin/settlements/2026-11-30", token=coalition.admin)
    again = coalition.api.post("/v1/admin/settlements/2026-11-30/close", token=coalition.admin)

    assert again.status == 201 and again.body == first.body
    assert table_snapshot(settings) == before


def test_statements_are_stored_in_s3_as_json_csv_and_page(world):
    settings = world.settings
    s3 = boto3.client("s3", region_name=settings.region)
    keys = {
        o["Key"]
        for o in s3.list_objects_v2(Bucket=settings.statements_bucket, Prefix="settlements/2026-11-30/")["Contents"]
    }
    parties = ("alpha", "bravo", "charlie", "operator")
    assert keys == {"settlements/2026-11-30/coalition.json"} | {
        f"settlements/2026-11-30/parties/{party}.{extension}"
        for party in parties
        for extension in ("json", "csv", "html")
    }
    page = s3.get_object(Bucket=settings.statements_bucket, Key="settlements/2026-11-30/parties/alpha.html")
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert 'data-figure="net" data-value="-1.12"' in page["Body"].read().decode()
    stored = json.loads(
        s3.get_object(Bucket=settings.statements_bucket, Key="settlements/2026-11-30/parties/alpha.json")["Body"].read()
    )
    assert stored["net"] == "-1.12"
    coalition = s3.get_object(Bucket=settings.statements_bucket, Key="settlements/2026-11-30/coalition.json")
    assert coalition["Body"].read() == world.coalition.api.get("/v1/admin/settlements/2026-11-30", token=ADMIN_KEY).body
    month = s3.list_objects_v2(Bucket=settings.statements_bucket, Prefix="settlements/2026-11/")["Contents"]
    assert "settlements/2026-11/parties/charlie.csv" in {o["Key"] for o in month}


def test_reconciliation_checks_the_invariants_live(world):
    coalition = world.coalition
    report = coalition.api.get("/v1/admin/reconciliation", token=coalition.admin).json

    assert report["ok"] is True and report["scope"]["complete"] is True
    assert report["invariant_1"] == {"ok": True, "members_checked": 2, "mismatches": []}
    assert report["invariant_2"]["by_issuer"]["alpha"] == {"from_entries": -40, "from_wallets": -40}
    assert report["invariant_2"]["coalition"]["ok"] is True
    assert set(report["invariant_3"]["net_totals"].values()) == {"0.00"}
