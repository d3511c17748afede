"""A campaign's measured effect: a control group held out by a hash, its purchases recorded as "would have
qualified", per-day figures stored by the settlement close, and a report that recovers a known effect.

The simulation: every member makes three purchases; in campaign `double`, treated members spend 20 % more than
they would have (the known uplift), control members do not. Campaign `noop`, measured on the same purchases with
its own independent split, changes nothing: its interval must cover zero."""

from __future__ import annotations

import json
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
    report = effect(coalition, "double", "?from=2026-11-01&to=2026-11-30")

    assert report["groups"][TREATED]["purchases"] + report["groups"][CONTROL]["purchases"] == 12
    # the API key (cached after), the campaigns, the closing cursor, the days' figures (one Query), the programme
    reads = [call.operation for call in meter.calls]
    assert reads.count("Query") == 2 and "Scan" not in reads, reads
    assert len(reads) <= 5, reads


def test_an_ended_campaign_reports_over_the_days_given_and_bad_ranges_are_refused(coalition, clock):
    coalition.partner("shop")
    start(coalition, DOUBLE)
    assert coalition.api.delete("/v1/admin/campaigns/double", token=coalition.admin).status == 204

    unknown = coalition.api.get("/v1/admin/campaigns/double/effect", token=coalition.admin)
    given = effect(coalition, "double", "?from=2026-11-01&to=2026-11-30")
    path = "/v1/admin/campaigns/double/effect"
    backwards = coalition.api.get(f"{path}?from=2026-11-30&to=2026-11-01", token=coalition.admin)
    too_long = coalition.api.get(f"{path}?from=2025-01-01&to=2026-11-30", token=coalition.admin)

    assert unknown.status == 404
    assert given["groups"][TREATED]["customers"] == 0 and given["effect"]["spend_per_customer"] is None
    assert (backwards.status, too_long.status) == (400, 400)
    assert json.loads(backwards.body)["error"]["field"] == "to"
