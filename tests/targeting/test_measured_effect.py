"""A campaign's measured effect: a control group held out by a hash, its purchases recorded as "would have
qualified", per-day figures stored by the settlement close, and a report that recovers a known effect.

The simulation: every member makes three purchases; in campaign `double`, treated members spend 20 % more than
they would have (the known uplift), control members do not. Campaign `noop`, measured on the same purchases with
its own independent split, changes nothing: its interval must cover zero."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from statistics import variance

import pytest

from chalicelib.domain.effect import CONTROL, TREATED, in_control
from chalicelib.store.models import EntryItem
from tests.support.ledger import assert_invariants

WINDOW = {"starts_at": "2026-11-01T00:00:00Z", "ends_at": "2026-12-31T00:00:00Z", "funder": "operator"}
DOUBLE = {"campaign_id": "double", "name": "Double points", "multiplier": "2", "control_share": "0.5", **WINDOW}
NOOP = {"campaign_id": "noop", "name": "One point", "points": 1, "control_share": "0.5", **WINDOW}
MEMBERS = 60
UPLIFT = Decimal("1.2")


@pytest.fixture(autouse=True)
def member_ids(monkeypatch):
    """Member ids from a seeded draw: which side of a campaign each member is on follows from their id, so the
    simulation (and its 95 % intervals) is the same on every run."""
    from chalicelib.services import members

    draw = random.Random(7)
    monkeypatch.setattr(members.secrets, "token_hex", lambda n: f"{draw.getrandbits(8 * n):0{2 * n}x}")


def start(coalition, *campaigns):
    for campaign in campaigns:
        reply = coalition.api.post("/v1/admin/campaigns", campaign, token=coalition.admin)
        assert reply.status == 201, reply.json


def close(coalition, clock, day):
    clock.now = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)
    reply = coalition.api.post(f"/v1/admin/settlements/{day}/close", token=coalition.admin)
    assert reply.status == 201, reply.json


def effect(coalition, campaign_id, query=""):
    reply = coalition.api.get(f"/v1/admin/campaigns/{campaign_id}/effect{query}", token=coalition.admin)
    assert reply.status == 200, reply.json
    return reply.json


def test_a_held_out_member_earns_nothing_from_the_campaign_and_is_recorded_as_would_have_qualified(coalition):
    key = coalition.partner("shop")
    start(coalition, DOUBLE)
    members = [coalition.member(key) for _ in range(8)]
    held_out = [m for m in members if in_control(m.member_id, "double", Decimal("0.5"))]
    treated = [m for m in members if m not in held_out]
    assert held_out and treated

    control_reply = coalition.purchase(key, held_out[0], "10.00")
    treated_reply = coalition.purchase(key, treated[0], "10.00")
    again = coalition.purchase(key, held_out[0], "5.00")

    assert [line["rule"] for line in control_reply.json["breakdown"]] == ["base_rate"]
    assert [line["rule"] for line in treated_reply.json["breakdown"]] == ["base_rate", "campaign:double"]
    recorded = [EntryItem.get(held_out[0].member_id, seq).measured for seq in (1, 2)]
    recorded = [m for m in recorded if m]
    assert recorded == [
        {"amount": "10.00", "purchases": 1, "in": [["double", "c", "0", 0, 0]]},
        {"amount": "5.00", "purchases": 1, "in": [["double", "c", "10.00", 1, 0]]},  # the member's figures before it
    ]
    assert again.json["points"] == 5
    assert assert_invariants() == {"shop": 25, "operator": 10}


def test_the_report_recovers_a_known_uplift_and_covers_zero_where_there_is_none(coalition, clock):
    key = coalition.partner("shop")
    start(coalition, DOUBLE, NOOP)
    draw = random.Random(20261123)
    spent: dict[str, list[Decimal]] = {}
    points = {"double": 0, "noop": 0}
    for _ in range(MEMBERS):
        member = coalition.member(key)
        treated = not in_control(member.member_id, "double", Decimal("0.5"))
        for _ in range(3):
            amount = Decimal(draw.randint(4000, 6000)) / 100
            if treated:
                amount = (amount * UPLIFT).quantize(Decimal("0.01"))
            reply = coalition.purchase(key, member, str(amount))
            assert reply.status == 201, reply.json
            for line in reply.json["breakdown"]:
                if line["rule"].startswith("campaign:"):
                    points[line["rule"][9:]] += line["points"]
            spent.setdefault(member.member_id, []).append(amount)
    close(coalition, clock, "2026-11-23")

    double, noop = effect(coalition, "double"), effect(coalition, "noop")

    # The figures are the simulation's own, to the cent: per group, customers, purchases, spend, mean per customer.
    for report, campaign in ((double, "double"), (noop, "noop")):
        for group in (TREATED, CONTROL):
            ids = [m for m in spent if (group == CONTROL) == in_control(m, campaign, Decimal("0.5"))]
            totals = [sum(spent[m]) for m in ids]
            figures = report["groups"][group]
            assert figures["customers"] == len(ids) and figures["purchases"] == 3 * len(ids)
            assert Decimal(figures["spend"]) == sum(totals)
            per_customer = figures["spend_per_customer"]
            assert Decimal(per_customer["value"]) == (sum(totals) / len(ids)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            half_width = Decimal("1.959964") * (variance(totals) / len(ids)).sqrt()
            assert abs(Decimal(per_customer["high"]) - Decimal(per_customer["value"]) - half_width) <= Decimal("0.01")
            assert figures["purchases_per_customer"] == {"value": "3.000", "low": "3.000", "high": "3.000"}
        assert report["groups"][CONTROL]["points_issued"] == 0
        assert report["groups"][TREATED]["points_issued"] == points[campaign]
    assert Decimal(double["groups"][TREATED]["points_cost"]) == points["double"] * Decimal("0.01")

    uplift = double["effect"]["spend_per_customer"]
    assert Decimal(uplift["uplift_low"]) <= Decimal("0.2") <= Decimal(uplift["uplift_high"]), uplift
    assert Decimal(uplift["low"]) > 0  # a real effect is told from none
    none = noop["effect"]["spend_per_customer"]
    assert Decimal(none["low"]) <= 0 <= Decimal(none["high"]), none
    assert double["closed_through"] == "2026-11-23" and double["control_share"] == "0.5"
    assert assert_invariants()["operator"] == points["double"] + points["noop"]


def test_the_report_reads_one_item_per_closed_day_not_the_purchases(coalition, clock, meter):
    key = coalition.partner("shop")
    start(coalition, DOUBLE)
    for _ in range(6):
        member = coalition.member(key)
        coalition.purchase(key, member, "10.00")
        coalition.purchase(key, member, "12.00")
    close(coalition, clock, "2026-11-23")

    meter.reset()
    report = effect(coalition, "double", "?to=2026-11-30")

    assert report["groups"][TREATED]["purchases"] + report["groups"][CONTROL]["purchases"] == 12
    # the API key (cached after), the campaigns, the closing cursor, the days' figures (one Query), the programme
    reads = [call.operation for call in meter.calls]
    assert reads.count("Query") == 2 and "Scan" not in reads, reads
    assert len(reads) <= 5, reads


def test_an_ended_campaign_keeps_its_figures_and_a_bad_day_is_refused(coalition, clock):
    key = coalition.partner("shop")
    start(coalition, DOUBLE, NOOP)
    member = coalition.member(key)
    coalition.purchase(key, member, "10.00")
    close(coalition, clock, "2026-11-23")
    for campaign_id in ("double", "noop"):
        assert coalition.api.delete(f"/v1/admin/campaigns/{campaign_id}", token=coalition.admin).status == 204
    coalition.api.post("/v1/admin/campaigns", {**NOOP, "campaign_id": "later"}, token=coalition.admin)

    ended = effect(coalition, "double")
    before_it = effect(coalition, "double", "?to=2026-11-22")
    never = coalition.api.get("/v1/admin/campaigns/ghost/effect", token=coalition.admin)
    not_yet = effect(coalition, "later")  # running, nothing closed yet
    bad = coalition.api.get("/v1/admin/campaigns/double/effect?to=yesterday", token=coalition.admin)

    both = ended["groups"][TREATED]["customers"] + ended["groups"][CONTROL]["customers"]
    assert (both, ended["from"], ended["to"], ended["control_share"]) == (1, "2026-11-23", "2026-11-23", "0.5")
    assert before_it["from"] is None and before_it["groups"][TREATED]["customers"] == 0
    assert before_it["effect"]["spend_per_customer"] is None
    assert (never.status, never.error_code) == (404, "not_found")
    assert not_yet["groups"][TREATED]["customers"] == 0 and not_yet["control_share"] == "0.5"
    assert (bad.status, bad.error_code) == (400, "invalid_request")


def test_a_return_takes_its_money_and_points_out_of_the_measured_figures(coalition, clock):
    key = coalition.partner("shop")
    start(coalition, DOUBLE)
    members = [coalition.member(key) for _ in range(6)]
    treated = next(m for m in members if not in_control(m.member_id, "double", Decimal("0.5")))
    held_out = next(m for m in members if in_control(m.member_id, "double", Decimal("0.5")))
    coalition.purchase(key, treated, "40.00", transaction_id="t-treated")
    coalition.purchase(key, treated, "10.00", transaction_id="t-treated-2")
    coalition.purchase(key, held_out, "30.00", transaction_id="t-held-out")
    back = {"return_id": "r-1", "amount": "20.00"}
    returned = coalition.api.post("/v1/transactions/t-treated/returns", back, token=key)
    back_whole = {"return_id": "r-2", "amount": "30.00"}
    coalition.api.post("/v1/transactions/t-held-out/returns", back_whole, token=key)
    close(coalition, clock, "2026-11-23")

    report = effect(coalition, "double")

    assert returned.json["points_reversed"] == 40  # half of 40 base + 40 campaign points
    treated_figures, control_figures = report["groups"][TREATED], report["groups"][CONTROL]
    assert (treated_figures["customers"], treated_figures["purchases"], treated_figures["spend"]) == (1, 2, "30.00")
    assert treated_figures["points_issued"] == 40 + 10 - 20  # the campaign's points, net of those taken back
    assert (control_figures["customers"], control_figures["purchases"], control_figures["spend"]) == (1, 1, "0.00")
    assert treated_figures["spend_per_customer"]["value"] == "30.00"
    assert assert_invariants() == {"shop": 80 - 20 - 30, "operator": 50 - 20}


def test_a_member_measured_in_a_campaign_stays_measured_after_leaving_its_segment(coalition):
    key = coalition.partner("shop")
    segment = {"segment_id": "light", "name": "light spenders", "rules": {"spend": {"max": "15.00", "months": 1}}}
    assert coalition.api.post("/v1/admin/segments", segment, token=coalition.admin).status == 201
    start(coalition, {**DOUBLE, "segment": "light", "control_share": "0.01"})
    members = [coalition.member(key) for _ in range(4)]
    member = next(m for m in members if not in_control(m.member_id, "double", Decimal("0.01")))

    replies = [coalition.purchase(key, member, "10.00") for _ in range(3)]  # the third: spent 20 before it

    assert [r.json["points"] for r in replies] == [20, 20, 10]  # out of the segment: no reward
    measured = [e.measured for e in EntryItem.query(member.member_id) if e.measured]
    assert [row["in"] for row in measured] == [
        [["double", "t", "0", 0, 10]],
        [["double", "t", "10.00", 1, 10]],
        [["double", "t", "20.00", 2, 0]],  # still measured, not rewarded
    ]


def test_a_container_that_does_not_know_a_campaign_yet_keeps_its_members_figures(coalition, container):
    key = coalition.partner("shop")
    start(coalition, DOUBLE)
    member = coalition.member(key)
    coalition.purchase(key, member, "10.00")
    cache = container.runtime.cache
    cache._seconds = 3600
    cache._values["campaigns"] = (float("inf"), [])  # a container whose cached list predates the campaign

    coalition.purchase(key, member, "7.00")
    cache.forget("campaigns")
    third = coalition.purchase(key, member, "5.00")

    rows = [e.measured["in"][0] for e in EntryItem.query(member.member_id) if e.measured]
    # the 7.00 was not measured (this container did not know the campaign), and the 10.00 was not forgotten
    assert [row[2:4] for row in rows] == [["0", 0], ["10.00", 1]]
    assert third.status == 201


def test_a_started_campaign_keeps_its_control_share(coalition, clock):
    coalition.partner("shop")
    later = {**DOUBLE, "campaign_id": "later", "starts_at": "2026-12-01T00:00:00Z"}
    start(coalition, DOUBLE, later)

    changed = coalition.api.put("/v1/admin/campaigns/double", {**DOUBLE, "control_share": "0.2"}, token=coalition.admin)
    dropped = coalition.api.put("/v1/admin/campaigns/double", {**DOUBLE, "control_share": None}, token=coalition.admin)
    renamed = coalition.api.put("/v1/admin/campaigns/double", {**DOUBLE, "name": "x2"}, token=coalition.admin)
    not_started = coalition.api.put(
        "/v1/admin/campaigns/later", {**later, "control_share": "0.1"}, token=coalition.admin
    )

    assert (changed.status, changed.error_code, changed.json["error"]["field"]) == (
        422,
        "rule_violation",
        "control_share",
    )
    assert (dropped.status, renamed.status, not_started.status) == (422, 200, 200)
