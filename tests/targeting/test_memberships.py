"""Paid membership (issue 12): plans, a sale at a partner's till exactly once, the fee settled to the operator on the
day's statement, the earn multiplier the operator funds, offers and challenges for members of a plan, and the
renewal job renewing or letting a membership lapse, once per period."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal

from chalicelib.store.layout import DueIndex, due_shard
from tests.support.api import PROGRAM
from tests.support.capacity import capacity_meter
from tests.support.ledger import assert_invariants

PLUS = {"plan_id": "plus", "name": "Plus", "fee": "9.99", "period": "month", "earn_multiplier": "1.5"}
YEARLY = {"plan_id": "plus-year", "name": "Plus yearly", "fee": "99.00", "period": "year", "earn_multiplier": "1.5"}


def plan(coalition, body=PLUS):
    reply = coalition.api.post("/v1/admin/plans", body, token=coalition.admin)
    assert reply.status == 201, reply.json
    return reply.json


def sell(coalition, key, member, sale_id="s-1", plan_id="plus", **extra):
    body = {"sale_id": sale_id, "member": {"member_id": member.member_id}, "plan_id": plan_id, **extra}
    return coalition.api.post("/v1/memberships", body, token=key)


def run_renewals(coalition, as_of):
    reply = coalition.api.post("/v1/admin/jobs/membership-renewal", {"as_of": as_of}, token=coalition.admin)
    assert reply.status in (200, 202), reply.json
    return reply.json


def entries(coalition, member, type):
    history = coalition.api.get("/v1/me/entries", token=member.token).json["entries"]
    return [e for e in history if e["type"] == type]


def test_the_operator_defines_plans_within_their_rules(coalition):
    created = plan(coalition)
    twice = coalition.api.post("/v1/admin/plans", PLUS, token=coalition.admin)
    cents = coalition.api.post("/v1/admin/plans", {**PLUS, "plan_id": "p2", "fee": "9.999"}, token=coalition.admin)
    free = coalition.api.post("/v1/admin/plans", {**PLUS, "plan_id": "p2", "fee": "0"}, token=coalition.admin)
    greedy = coalition.api.post(
        "/v1/admin/plans", {**PLUS, "plan_id": "p2", "earn_multiplier": "6"}, token=coalition.admin
    )
    yearly = coalition.api.put("/v1/admin/plans/plus", {**PLUS, "period": "year"}, token=coalition.admin)
    dearer = coalition.api.put("/v1/admin/plans/plus", {**PLUS, "fee": "12.50"}, token=coalition.admin)
    missing = coalition.api.put("/v1/admin/plans/gold", {**PLUS, "plan_id": "gold"}, token=coalition.admin)
    listed = coalition.api.get("/v1/admin/plans", token=coalition.admin).json["plans"]

    assert created == {**PLUS, "currency": "EUR", "on_sale": True, "monthly_voucher": None}
    assert twice.status == 409
    assert (cents.status, cents.json["error"]["field"]) == (400, "fee")
    assert (free.status, free.json["error"]["field"]) == (400, "fee")
    assert (greedy.status, greedy.json["error"]["field"]) == (400, "earn_multiplier")
    assert (yearly.status, yearly.json["error"]["field"]) == (400, "period")
    assert dearer.status == 200 and dearer.json["fee"] == "12.50"
    assert missing.status == 404
    assert [(p["plan_id"], p["fee"]) for p in listed] == [("plus", "12.50")]
    assert coalition.api.get("/v1/admin/plans/gold", token=coalition.admin).status == 404


def test_a_till_sells_a_membership_exactly_once_and_the_member_sees_it(coalition):
    key = coalition.partner("cafe")
    other = coalition.partner("books")
    plan(coalition)
    member = coalition.member(key)

    sold = sell(coalition, key, member, auto_renew=True)
    replay = sell(coalition, key, member, auto_renew=True)
    changed = sell(coalition, key, member, auto_renew=False)
    same_id_elsewhere = sell(coalition, other, member)  # another partner's "s-1" is another sale: already a member
    me = coalition.me(member)
    fee_entries = entries(coalition, member, "membership_fee")

    assert sold.status == 201, sold.json
    assert sold.json["fee"] == "9.99" and sold.json["currency"] == "EUR"
    assert sold.json["membership"] == {
        "plan_id": "plus",
        "name": "Plus",
        "period": "month",
        "earn_multiplier": "1.5",
        "fee": "9.99",
        "currency": "EUR",
        "sold_by": "cafe",
        "since": "2026-11-23",
        "paid_from": "2026-11-23",
        "paid_through": "2026-12-22",
        "active": True,
        "auto_renew": True,
        "renews_on": "2026-12-23",
        "ends_on": None,
        "monthly_voucher": None,
        "next_voucher_on": None,
    }
    assert replay.status == 201 and replay.replayed and replay.json == sold.json
    assert changed.status == 409 and changed.error_code == "idempotency_conflict"
    assert same_id_elsewhere.status == 422 and same_id_elsewhere.json["error"]["field"] == "member"
    assert me["membership"] == sold.json["membership"]
    assert len(fee_entries) == 1 and fee_entries[0]["points"] == 0
    assert fee_entries[0]["breakdown"] == [
        {
            "rule": "membership:plus",
            "points": 0,
            "detail": "Plus membership paid at cafe: 9.99 EUR for 2026-11-23 to 2026-12-22",
        }
    ]
    assert assert_invariants() == {}


def test_a_sale_is_refused_for_another_plan_a_plan_off_sale_or_an_unknown_one(coalition, clock):
    key = coalition.partner("cafe")
    plan(coalition)
    plan(coalition, YEARLY)
    plan(coalition, {**PLUS, "plan_id": "old", "on_sale": False})
    member, fresh = coalition.member(key), coalition.member(key)
    assert sell(coalition, key, member).status == 201

    other_plan = sell(coalition, key, member, "s-2", plan_id="plus-year")
    off_sale = sell(coalition, key, fresh, "s-3", plan_id="old")
    unknown = sell(coalition, key, fresh, "s-4", plan_id="gold")
    quoted = sell(coalition, key, fresh, "s-5", fee="8.99")  # the till's price is not the plan's any more
    clock.now = datetime(2026, 12, 10, 10, 0, tzinfo=timezone.utc)
    ahead = sell(coalition, key, member, "s-6")  # the renewal is the job's: no second payment for the same days

    for refused, field in ((off_sale, "plan_id"), (unknown, "plan_id"), (other_plan, "member"), (ahead, "member")):
        assert (refused.status, refused.error_code, refused.json["error"]["field"]) == (422, "rule_violation", field)
    assert "plus through 2026-12-22 (renews on 2026-12-23)" in other_plan.json["error"]["message"]
    assert (quoted.status, quoted.json["error"]["field"]) == (422, "fee")
    assert "costs 9.99 EUR now" in quoted.json["error"]["message"]
    assert coalition.me(fresh)["membership"] is None
    assert [p["plan_id"] for p in coalition.api.get("/v1/program").json["plans"]] == ["plus", "plus-year"]


def test_the_membership_multiplies_earning_at_the_operators_cost_and_a_return_takes_it_back(coalition):
    key = coalition.partner("cafe")
    plan(coalition)
    member, plain = coalition.member(key), coalition.member(key)
    assert sell(coalition, key, member).status == 201

    earned = coalition.purchase(key, member, "100.00", transaction_id="t-1")
    not_a_member = coalition.purchase(key, plain, "100.00")
    returned = coalition.api.post("/v1/transactions/t-1/returns", {"return_id": "r-1", "amount": "50.00"}, token=key)

    assert earned.json["points"] == 150 and not_a_member.json["points"] == 100
    bonus = [line for line in earned.json["breakdown"] if line["rule"] == "membership:plus"]
    assert bonus == [{"rule": "membership:plus", "points": 50, "detail": bonus[0]["detail"]}]
    assert "funded by operator" in bonus[0]["detail"]
    assert returned.status == 201 and returned.json["points_reversed"] == 75
    assert assert_invariants() == {"cafe": 150, "operator": 25}


def test_offers_and_challenges_can_be_kept_for_members_of_a_plan(coalition):
    key = coalition.partner("cafe")
    plan(coalition, {**PLUS, "earn_multiplier": "1"})
    offer = {
        "campaign_id": "members-double",
        "name": "Double points for Plus members",
        "starts_at": "2026-11-01T00:00:00Z",
        "ends_at": "2026-12-01T00:00:00Z",
        "multiplier": "2",
        "funder": "cafe",
        "plans": ["plus"],
    }
    challenge = {
        "challenge_id": "plus-three",
        "name": "Three visits",
        "kind": "purchases",
        "period": "month",
        "starts_at": "2026-11-01T00:00:00Z",
        "ends_at": "2027-01-01T00:00:00Z",
        "target": 3,
        "reward": {"points": 100, "funder": "operator"},
        "plans": ["plus"],
    }
    unknown = coalition.api.post("/v1/admin/campaigns", {**offer, "plans": ["gold"]}, token=coalition.admin)
    assert coalition.api.post("/v1/admin/campaigns", offer, token=coalition.admin).status == 201
    assert coalition.api.post("/v1/admin/challenges", challenge, token=coalition.admin).status == 201
    member, plain = coalition.member(key), coalition.member(key)
    assert sell(coalition, key, member).status == 201

    paying = coalition.purchase(key, member, "10.00")
    not_paying = coalition.purchase(key, plain, "10.00")
    seen = coalition.api.get("/v1/me/challenges", token=member.token).json["challenges"]
    unseen = coalition.api.get("/v1/me/challenges", token=plain.token).json["challenges"]
    published = coalition.api.get("/v1/program").json["campaigns"]

    assert (unknown.status, unknown.json["error"]["field"]) == (400, "plans")
    assert (paying.json["points"], not_paying.json["points"]) == (20, 10)
    assert [c["challenge_id"] for c in seen] == ["plus-three"] and seen[0]["progress"] == 1
    assert unseen == []
    assert [c.get("plans") for c in published if c["campaign_id"] == "members-double"] == [["plus"]]


def test_the_seller_pays_the_fee_to_the_operator_on_the_days_statement(coalition, clock):
    key = coalition.partner("cafe", fee_per_point="0.002")
    coalition.partner("books")
    plan(coalition)
    plan(coalition, YEARLY)
    first, second = coalition.member(key), coalition.member(key)
    assert sell(coalition, key, first).status == 201
    assert sell(coalition, key, second, "s-2", plan_id="plus-year").status == 201
    assert coalition.purchase(key, first, "100.00").status == 201  # 100 cafe points (fee 0.20), 50 operator's

    clock.now = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
    assert coalition.api.post("/v1/admin/settlements/2026-11-23/close", token=coalition.admin).status == 201
    day = coalition.api.get("/v1/admin/settlements/2026-11-23", token=coalition.admin).json
    finance = coalition.key("cafe", "finance")
    statement = coalition.api.get("/v1/settlements/2026-11-23", token=finance).json
    table = coalition.api.get("/v1/settlements/2026-11-23?format=csv", token=finance).body.decode()
    rows = {(r["section"], r["line"]): r for r in csv.DictReader(io.StringIO(table))}
    items = coalition.api.get("/v1/settlements/2026-11-23/items", token=finance).json["items"]
    sold = [(i["type"], i["role"], i["counterparty"], i["amount"]) for i in items if i["type"] == "membership_fee"]

    assert {"from": "cafe", "to": "operator", "kind": "membership_fee", "amount": "108.99"} in day["transfers"]
    assert (statement["memberships_sold"], statement["membership_fees"]) == (2, "108.99")
    assert (statement["fees"], statement["payable"], statement["net"]) == ("0.20", "109.19", "-109.19")
    assert day["operator"]["membership_fees_received"] == "108.99"
    assert day["partners"]["books"]["membership_fees"] == "0.00"
    assert day["net_total"] == "0.00"
    assert rows[("memberships", "membership_fees")]["amount"] == "108.99"
    assert rows[("memberships", "membership_fees")]["note"].startswith("2 paid memberships")
    assert sorted(sold) == [
        ("membership_fee", "seller", "operator", "-9.99"),
        ("membership_fee", "seller", "operator", "-99"),
    ]
    assert sum(Decimal(i["amount"]) for i in items) == Decimal(statement["net"])  # the items add up to the net


def test_the_job_renews_once_per_period_and_lets_a_membership_lapse_when_renewal_is_off(coalition, clock):
    key = coalition.partner("cafe")
    plan(coalition)
    renewing, leaving = coalition.member(key), coalition.member(key)
    assert sell(coalition, key, renewing).status == 201
    assert sell(coalition, key, leaving, "s-2").status == 201
    off = coalition.api.patch("/v1/me/membership", {"auto_renew": False}, token=leaving.token)
    nothing = coalition.api.patch("/v1/me/membership", {"auto_renew": False}, token=coalition.member(key).token)
    coalition.api.put("/v1/admin/plans/plus", {**PLUS, "fee": "11.00"}, token=coalition.admin)

    clock.now = datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc)
    early = run_renewals(coalition, "2026-12-22")  # still paid through that day: nobody is due
    clock.now = datetime(2026, 12, 23, 0, 20, tzinfo=timezone.utc)
    due = run_renewals(coalition, "2026-12-23")
    again = run_renewals(coalition, "2026-12-23")
    renewed, lapsed = coalition.me(renewing)["membership"], coalition.me(leaving)["membership"]
    after_lapse = coalition.purchase(key, leaving, "10.00", occurred_at="2026-12-23T00:10:00Z")

    assert off.status == 200 and off.json["auto_renew"] is False and off.json["ends_on"] == "2026-12-22"
    assert nothing.status == 404
    assert early["processed"] == 0 and due["processed"] == 2 and again["processed"] == 0
    assert (renewed["paid_from"], renewed["paid_through"], renewed["fee"]) == ("2026-12-23", "2027-01-22", "11.00")
    assert renewed["since"] == "2026-11-23" and renewed["sold_by"] == "cafe"
    assert lapsed is None
    assert [e["points"] for e in entries(coalition, renewing, "membership_fee")] == [0, 0]
    assert "renewed at cafe: 11.00 EUR" in entries(coalition, renewing, "membership_fee")[0]["breakdown"][0]["detail"]
    end = entries(coalition, leaving, "membership_end")
    assert len(end) == 1 and "renewal was turned off" in end[0]["breakdown"][0]["detail"]
    assert after_lapse.json["points"] == 10  # no multiplier once it has ended
    assert assert_invariants() == {"cafe": 10}


def test_a_suspended_member_is_not_charged_again(coalition, clock):
    key = coalition.partner("cafe")
    plan(coalition)
    member = coalition.member(key)
    assert sell(coalition, key, member).status == 201
    suspended = coalition.api.patch(
        f"/v1/admin/members/{member.member_id}", {"status": "suspended"}, token=coalition.admin
    )
    assert suspended.status == 200, suspended.json

    clock.now = datetime(2026, 12, 23, 0, 20, tzinfo=timezone.utc)
    assert run_renewals(coalition, "2026-12-23")["processed"] == 1
    history = coalition.api.get(f"/v1/admin/members/{member.member_id}", token=coalition.admin).json
    types = [e["type"] for e in history["recent_entries"]]

    assert types.count("membership_fee") == 1 and types.count("membership_end") == 1


def test_a_membership_leaves_a_purchase_at_its_cost_and_a_sale_costs_one_plan_read_more(coalition, container):
    container.runtime.cache._seconds = 3600  # warm means warm, however slow the machine
    key = coalition.partner("cafe")
    plan(coalition)
    member = coalition.member(key)
    coalition.purchase(key, member, "10.00", transaction_id="warm")
    with capacity_meter() as plain:
        assert coalition.purchase(key, member, "10.00", transaction_id="plain").json["points"] == 10
    with capacity_meter() as selling:
        assert sell(coalition, key, member).status == 201
    with capacity_meter() as paying:
        assert coalition.purchase(key, member, "10.00", transaction_id="paying").json["points"] == 15

    print(f"\npurchase: {plain.wcu} WCU {plain.rcu} RCU; sale: {selling.wcu} WCU {selling.rcu} RCU")
    print(f"a member's purchase: {paying.wcu} WCU {paying.rcu} RCU")
    calls = [b.operation for b in paying.billed]
    assert calls == [b.operation for b in plain.billed] == ["GetItem", "TransactWriteItems"]
    # The same reads; the operator's extra points are the purchase's one `bonus` entry (as any campaign's would be).
    items = [
        len(next(b for b in m.billed if b.operation == "TransactWriteItems").written_bytes) for m in (plain, paying)
    ]
    assert items == [3, 4] and (paying.wcu, paying.rcu) == (plain.wcu + 2, plain.rcu)
    # The plan (read consistently: its fee is charged), the wallet head; the record, the head and the fee entry.
    assert [b.operation for b in selling.billed] == ["GetItem", "GetItem", "TransactWriteItems"]
    assert len(next(b for b in selling.billed if b.operation == "TransactWriteItems").written_bytes) == 3


def test_the_renewal_job_reads_only_the_members_due(coalition, clock, meter):
    key = coalition.partner("cafe")
    plan(coalition)
    members = [coalition.member(key) for _ in range(6)]
    for n, member in enumerate(members[:2]):
        assert sell(coalition, key, member, f"s-{n}").status == 201
    clock.now = datetime(2026, 12, 10, 10, 0, tzinfo=timezone.utc)
    for n, member in enumerate(members[2:4]):  # sold later: not due on the 23rd
        assert sell(coalition, key, member, f"later-{n}").status == 201
    clock.now = datetime(2026, 12, 23, 0, 20, tzinfo=timezone.utc)

    meter.reset()
    assert run_renewals(coalition, "2026-12-23")["processed"] == 2
    counts = meter.counts()
    print(f"\nrenewal job, 2 of 4 members due: {dict(counts)}")

    # 16 shards: one Query each, and the plans once on each shard with members due; then per member due its head,
    # its head again in the operation, one write.
    shards_due = {due_shard(DueIndex.MEMBERSHIPS, m.member_id) for m in members[:2]}
    assert counts["Query"] == 16 + len(shards_due)
    assert counts["TransactWriteItems"] == 2 and counts.get("Scan", 0) == 0
    assert counts["GetItem"] <= 2 * 2 + 4  # the admin call's own reads (key, operator, programme, partner) aside


VOUCHERS = {"denominations": [{"points": 500, "value": "5.00"}], "validity_months": 3}
YEARLY_WITH_VOUCHER = {**YEARLY, "monthly_voucher": 500}


def test_a_plan_gives_a_voucher_of_a_programme_denomination_only(coalition):
    no_rules = coalition.api.post("/v1/admin/plans", YEARLY_WITH_VOUCHER, token=coalition.admin)
    coalition.program(vouchers=VOUCHERS)
    unknown = coalition.api.post("/v1/admin/plans", {**YEARLY, "monthly_voucher": 300}, token=coalition.admin)
    created = coalition.api.post("/v1/admin/plans", YEARLY_WITH_VOUCHER, token=coalition.admin)

    assert (no_rules.status, no_rules.json["error"]["field"]) == (400, "monthly_voucher")
    assert (unknown.status, unknown.json["error"]["field"]) == (400, "monthly_voucher")
    assert "known: 500" in unknown.json["error"]["message"]
    assert created.status == 201 and created.json["monthly_voucher"] == 500


def test_the_monthly_voucher_is_the_operators_given_with_the_sale_then_each_month_once(coalition, clock):
    key = coalition.partner("cafe")
    books = coalition.partner("books")
    coalition.program(vouchers=VOUCHERS)
    plan(coalition, YEARLY_WITH_VOUCHER)
    member = coalition.member(key)
    assert coalition.purchase(key, member, "20.00").json["points"] == 20  # the member's own points stay theirs

    sold = sell(coalition, key, member, plan_id="plus-year")
    clock.now = datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc)
    not_yet = run_renewals(coalition, "2026-12-22")
    clock.now = datetime(2026, 12, 23, 0, 20, tzinfo=timezone.utc)
    second = run_renewals(coalition, "2026-12-23")
    again = run_renewals(coalition, "2026-12-23")
    me = coalition.me(member)
    vouchers = coalition.api.get("/v1/me/vouchers", token=member.token).json["vouchers"]
    spent = coalition.api.post(f"/v1/vouchers/{vouchers[0]['code']}/redemptions", {"redemption_id": "v-1"}, token=books)

    assert sold.status == 201 and len(sold.json["vouchers"]) == 1
    assert sold.json["membership"]["next_voucher_on"] == "2026-12-23"
    assert (not_yet["processed"], second["processed"], again["processed"]) == (0, 1, 0)
    assert me["available_points"] == 20 and me["membership"]["next_voucher_on"] == "2027-01-23"
    assert sorted(v["value"] for v in vouchers) == ["5.00", "5.00"] and len(vouchers) == 2
    assert spent.status == 201, spent.json
    grants = entries(coalition, member, "grant")
    assert [g["attribution"][0]["issuer"] for g in grants] == ["operator", "operator"]
    assert grants[0]["breakdown"][0]["rule"] == "membership:plus-year"
    assert assert_invariants() == {"cafe": 20, "operator": 500}  # one voucher left open: the operator's points

    clock.now = datetime(2026, 12, 24, 10, 0, tzinfo=timezone.utc)
    assert coalition.api.post("/v1/admin/settlements/2026-11-23/close", token=coalition.admin).status == 201
    for day in [f"2026-11-{d}" for d in range(24, 31)] + [f"2026-12-{d:02d}" for d in range(1, 24)]:
        assert coalition.api.post(f"/v1/admin/settlements/{day}/close", token=coalition.admin).status == 201
    day = coalition.api.get("/v1/admin/settlements/2026-12-23", token=coalition.admin).json
    assert {"from": "operator", "to": "books", "kind": "redemption", "amount": "5.00"} in day["transfers"]


def test_monthly_vouchers_follow_the_day_the_membership_began_even_at_a_months_end():
    from chalicelib.domain.membership import Membership, PlanPeriod

    january = Membership(
        "plus", "Plus", PlanPeriod.YEAR, Decimal(1), Decimal("99"), "cafe", "2027-01-31", "2027-01-31", "2028-01-30"
    )
    days = []
    membership = replace(january, monthly_voucher=500)
    for _ in range(4):
        days.append(membership.next_voucher_on)
        membership = replace(membership, vouchers_given=membership.vouchers_given + 1)
    assert days == ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]
    assert replace(membership, vouchers_given=12).next_voucher_on is None  # past the paid year: none
    assert membership.due_on == "2027-05-31" and january.due_on == "2028-01-31"  # no voucher: the renewal


def test_a_suspended_member_gets_no_monthly_voucher_and_the_job_moves_on(coalition, clock):
    key = coalition.partner("cafe")
    coalition.program(vouchers=VOUCHERS)
    plan(coalition, YEARLY_WITH_VOUCHER)
    member = coalition.member(key)
    assert sell(coalition, key, member, plan_id="plus-year").status == 201
    coalition.api.patch(f"/v1/admin/members/{member.member_id}", {"status": "suspended"}, token=coalition.admin)

    clock.now = datetime(2026, 12, 23, 0, 20, tzinfo=timezone.utc)
    assert run_renewals(coalition, "2026-12-23")["processed"] == 1
    assert run_renewals(coalition, "2026-12-23")["processed"] == 0
    coalition.api.patch(f"/v1/admin/members/{member.member_id}", {"status": "active"}, token=coalition.admin)
    membership = coalition.me(member)["membership"]

    assert membership["next_voucher_on"] == "2027-01-23"  # December's passed while suspended
    assert len(coalition.api.get("/v1/me/vouchers", token=member.token).json["vouchers"]) == 1
    assert assert_invariants() == {"operator": 500}


def test_periods_follow_the_day_the_membership_began_and_a_missed_period_is_not_charged(coalition, clock):
    key = coalition.partner("cafe")
    plan(coalition)
    member, other = coalition.member(key), coalition.member(key)
    clock.now = datetime(2027, 1, 31, 10, 0, tzinfo=timezone.utc)
    first = sell(coalition, key, member).json["membership"]
    assert sell(coalition, key, other, "s-2").status == 201
    ends = []
    for as_of in ("2027-02-28", "2027-03-31"):
        clock.now = datetime.fromisoformat(f"{as_of}T00:20:00+00:00")
        assert run_renewals(coalition, as_of)["processed"] == 2
        ends.append(coalition.me(member)["membership"]["paid_through"])

    assert (first["paid_from"], first["paid_through"], first["renews_on"]) == ("2027-01-31", "2027-02-27", "2027-02-28")
    assert ends == ["2027-03-30", "2027-04-29"]  # renewed 28 February, 31 March, next 30 April: no drift to the 28th
    clock.now = datetime(2027, 6, 1, 0, 20, tzinfo=timezone.utc)  # the job missed May: April's renewal only
    assert run_renewals(coalition, "2027-06-01")["processed"] == 2
    gone = entries(coalition, member, "membership_end")
    assert coalition.me(member)["membership"] is None and "was missed" in gone[0]["breakdown"][0]["detail"]
    assert len(entries(coalition, member, "membership_fee")) == 3  # sold, February's, March's: never a past period


def test_a_voucher_the_plan_adds_begins_with_the_next_period_never_back_dated(coalition, clock):
    key = coalition.partner("cafe")
    coalition.program(vouchers=VOUCHERS)
    plan(coalition)  # monthly, no voucher yet
    member = coalition.member(key)
    assert sell(coalition, key, member).status == 201
    clock.now = datetime(2026, 12, 23, 0, 20, tzinfo=timezone.utc)
    assert run_renewals(coalition, "2026-12-23")["processed"] == 1
    added = coalition.api.put("/v1/admin/plans/plus", {**PLUS, "monthly_voucher": 500}, token=coalition.admin)
    assert added.status == 200

    clock.now = datetime(2027, 1, 23, 0, 20, tzinfo=timezone.utc)
    assert run_renewals(coalition, "2027-01-23")["processed"] == 1  # renewed on the new terms: January's voucher
    vouchers = coalition.api.get("/v1/me/vouchers", token=member.token).json["vouchers"]
    clock.now = datetime(2027, 2, 23, 0, 20, tzinfo=timezone.utc)
    assert run_renewals(coalition, "2027-02-23")["processed"] == 1  # February: renewed, its voucher
    assert run_renewals(coalition, "2027-02-23")["processed"] == 0

    assert len(vouchers) == 1
    assert len(coalition.api.get("/v1/me/vouchers", token=member.token).json["vouchers"]) == 2
    details = [g["breakdown"][0]["detail"] for g in entries(coalition, member, "grant")]
    assert [d.split("voucher of ")[1][:7] for d in details] == ["2027-02", "2027-01"]  # newest first
    membership = coalition.me(member)["membership"]
    assert membership["next_voucher_on"] == membership["renews_on"] == "2027-03-23"  # March's: with its renewal
    assert assert_invariants() == {"operator": 1000}


def test_a_job_that_missed_months_catches_up_within_its_cap_and_never_sticks(coalition, clock):
    key = coalition.partner("cafe")
    coalition.program(vouchers=VOUCHERS)
    plan(coalition, YEARLY_WITH_VOUCHER)
    member = coalition.member(key)
    assert sell(coalition, key, member, plan_id="plus-year").status == 201  # November's voucher
    clock.now = datetime(2027, 5, 1, 0, 20, tzinfo=timezone.utc)  # December to April missed: five months due

    first = run_renewals(coalition, "2027-05-01")
    second = run_renewals(coalition, "2027-05-01")
    third = run_renewals(coalition, "2027-05-01")

    assert (first["processed"], second["processed"], third["processed"]) == (1, 1, 0)
    assert len(coalition.api.get("/v1/me/vouchers", token=member.token).json["vouchers"]) == 1 + 3 + 2
    assert coalition.me(member)["membership"]["next_voucher_on"] == "2027-05-23"


def test_a_plans_voucher_is_the_operators_and_the_programme_keeps_it_while_a_plan_gives_it(coalition):
    coalition.partner("books")
    by_books = {"points": 1000, "value": "11.00", "bonus_funder": "books"}
    coalition.program(vouchers={**VOUCHERS, "denominations": [by_books, *VOUCHERS["denominations"]]})
    paid_by_books = coalition.api.post("/v1/admin/plans", {**YEARLY, "monthly_voucher": 1000}, token=coalition.admin)
    plan(coalition, YEARLY_WITH_VOUCHER)
    without = {**PROGRAM, "vouchers": {**VOUCHERS, "denominations": [by_books]}}
    dropped = coalition.api.put("/v1/admin/program", without, token=coalition.admin)

    assert (paid_by_books.status, paid_by_books.json["error"]["field"]) == (400, "monthly_voucher")
    assert "funded by books" in paid_by_books.json["error"]["message"]
    assert (dropped.status, dropped.json["error"]["field"]) == (422, "vouchers.denominations")
    assert "plan plus-year gives a monthly voucher of 500 points" in dropped.json["error"]["message"]
