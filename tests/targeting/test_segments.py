"""Segments: defined by the operator over what the wallet holds, checked when defined, evaluated by the purchase
that needs one (a campaign targeting it) on the wallet it has read."""

from __future__ import annotations

from datetime import date

from chalicelib.domain.segments import Segment, SegmentRules, age_on, last_months
from chalicelib.domain.wallet import MonthActivity, Wallet
from tests.support.ledger import assert_invariants

YOUNG = {"segment_id": "young", "name": "18 to 30", "rules": {"age": {"min": 18, "max": 30}}}


def create(coalition, body, status=201):
    reply = coalition.api.post("/v1/admin/segments", body, token=coalition.admin)
    assert reply.status == status, reply.json
    return reply


def test_a_segment_is_stored_as_defined_listed_read_and_replaced(coalition):
    coalition.partner("shop")
    rules = {
        "tiers": ["member"],
        "age": {"min": 18},
        "interests": ["coffee"],
        "purchases": {"min": 2, "months": 3, "partners": ["shop"]},
        "spend": {"min": "100.00", "months": 6},
        "distinct_partners": {"min": 1, "months": 12},
    }
    created = create(coalition, {"segment_id": "regulars", "name": "Regulars", "rules": rules})
    replaced = coalition.api.put(
        "/v1/admin/segments/regulars",
        {"segment_id": "regulars", "name": "Lapsed", "rules": {"inactive_months": 3}},
        token=coalition.admin,
    )
    listed = coalition.api.get("/v1/admin/segments", token=coalition.admin)
    one = coalition.api.get("/v1/admin/segments/regulars", token=coalition.admin)

    body = dict(created.json)
    count = body.pop("count")
    assert body == {"segment_id": "regulars", "name": "Regulars", "owner": "operator", "rules": rules}
    assert (count["status"], count["members"], count["gone_through"]) == ("done", 0, 0)  # nobody enrolled yet
    assert replaced.status == 200
    lapsed = {"segment_id": "regulars", "name": "Lapsed", "owner": "operator", "rules": {"inactive_months": 3}}
    assert listed.json == {"segments": [lapsed]}
    assert one.json == {**lapsed, "count": replaced.json["count"]}
    assert one.json["count"]["job_id"] != count["job_id"]  # replaced: counted again


def test_a_segment_naming_what_does_not_exist_or_saying_nothing_is_refused_and_nothing_is_written(coalition):
    coalition.partner("shop")
    refusals = {
        "unknown tier": {"tiers": ["platinum"]},
        "unknown partner": {"preferred_partners": ["nobody"]},
        "amount with too many decimals": {"spend": {"min": "1.001", "months": 1}},
        "min above max": {"purchases": {"min": 5, "max": 2, "months": 1}},
        "no bound": {"spend": {"months": 3}},
        "13 months": {"inactive_months": 13},
        "no rule": {},
    }
    codes = {}
    for why, rules in refusals.items():
        reply = coalition.api.post(
            "/v1/admin/segments", {"segment_id": "s-1", "name": why, "rules": rules}, token=coalition.admin
        )
        codes[why] = (reply.status, reply.error_code)
    create(coalition, YOUNG)
    again = create(coalition, YOUNG, status=409)
    missing = coalition.api.get("/v1/admin/segments/nope", token=coalition.admin)

    assert set(codes.values()) == {(400, "invalid_request")}, codes
    assert again.error_code == "already_exists" and missing.status == 404
    listed = coalition.api.get("/v1/admin/segments", token=coalition.admin).json["segments"]
    assert [s["segment_id"] for s in listed] == ["young"]


def test_a_campaign_for_a_segment_rewards_its_members_only(coalition):
    key = coalition.partner("shop")
    create(coalition, YOUNG)
    campaign = {
        "campaign_id": "young-x2",
        "name": "Double for the young",
        "starts_at": "2026-11-01T00:00:00Z",
        "ends_at": "2026-12-01T00:00:00Z",
        "multiplier": "2",
        "funder": "operator",
        "segment": "young",
    }
    assert coalition.api.post("/v1/admin/campaigns", campaign, token=coalition.admin).status == 201
    young = coalition.member(key, email="young@example.com", birth_date="2000-06-01")  # 26
    older = coalition.member(key, email="older@example.com", birth_date="1970-06-01")  # 56
    unknown = coalition.member(key, email="unknown@example.com")  # no birth date: no age band matches

    points = [coalition.purchase(key, m, "10.00").json["points"] for m in (young, older, unknown)]
    program = coalition.api.get("/v1/program").json

    assert points == [20, 10, 10]
    assert assert_invariants() == {"shop": 30, "operator": 10}
    assert "young-x2" not in [c["campaign_id"] for c in program.get("campaigns", [])]  # targeted: not published


def test_a_campaign_naming_an_unknown_segment_is_refused(coalition):
    coalition.partner("shop")
    campaign = {
        "campaign_id": "c-1",
        "name": "x",
        "starts_at": "2026-11-01T00:00:00Z",
        "ends_at": "2026-12-01T00:00:00Z",
        "points": 5,
        "funder": "operator",
        "segment": "ghost",
    }
    reply = coalition.api.post("/v1/admin/campaigns", campaign, token=coalition.admin)
    bad_share = coalition.api.post(
        "/v1/admin/campaigns", {**campaign, "segment": None, "control_share": "0.9"}, token=coalition.admin
    )

    assert (reply.status, reply.json["error"]["field"]) == (400, "segment")
    assert (bad_share.status, bad_share.json["error"]["field"]) == (400, "control_share")


# ---- the rules, on wallets ---------------------------------------------------------------------------------------
def wallet(**figures) -> Wallet:
    w = Wallet(member_id="m_00000000000000000001", card_number="1", tier="member", tier_reached_on="", review_on=None)
    for name, value in figures.items():
        setattr(w, name, value)
    return w


def test_each_rule_reads_the_wallet_over_the_months_it_names():
    on = date(2026, 11, 23)
    activity = {
        "2026-11": MonthActivity(spend="30.00", purchases=1, partners=["shop"], partner_purchases={"shop": 1}),
        "2026-09": MonthActivity(
            spend="70.00", purchases=2, partners=["shop", "fuel"], partner_purchases={"shop": 1, "fuel": 1}
        ),
        "2025-12": MonthActivity(spend="500.00", purchases=9, partners=["air"], partner_purchases={"air": 9}),
    }
    w = wallet(activity=activity, birth_date="2008-11-24")

    def holds(rules: dict) -> bool:
        return Segment("s", "s", SegmentRules.from_dict(rules)).matches(w, on)

    assert last_months(on, 3) == ["2026-11", "2026-10", "2026-09"]
    assert age_on("2008-11-24", on) == 17 and age_on("2008-11-23", on) == 18
    assert holds({"age": {"max": 17}}) and not holds({"age": {"min": 18}})
    assert holds({"purchases": {"min": 3, "months": 3}}) and not holds({"purchases": {"min": 4, "months": 3}})
    assert holds({"purchases": {"min": 2, "months": 3, "partners": ["shop"]}})
    assert not holds({"purchases": {"min": 1, "months": 11, "partners": ["air"]}})  # December 2025 is the 12th
    assert holds({"purchases": {"min": 1, "months": 12, "partners": ["air"]}})
    assert holds({"spend": {"min": "100.00", "months": 3}}) and not holds({"spend": {"min": "100.01", "months": 3}})
    assert holds({"spend": {"max": "30.00", "months": 1}})
    assert not holds({"inactive_months": 1}) and holds({"distinct_partners": {"min": 2, "months": 3}})
    assert not holds({"distinct_partners": {"min": 3, "months": 3}})
    assert holds({"distinct_partners": {"min": 3, "months": 12}})
    assert not holds({"interests": ["coffee"]}) and not holds({"tiers": ["gold"]}) and holds({"tiers": ["member"]})
    w.activity = {}
    assert holds({"inactive_months": 3})
    w.status = "suspended"
    assert not holds({"inactive_months": 3})  # a segment holds active members only


def test_a_grant_to_a_segment_credits_its_active_members_only(coalition):
    key = coalition.partner("shop")
    create(coalition, YOUNG)
    young = coalition.member(key, email="young@example.com", birth_date="2000-06-01")
    coalition.member(key, email="older@example.com", birth_date="1970-06-01")
    gone = coalition.member(key, email="gone@example.com", birth_date="2001-06-01")
    assert coalition.api.patch(f"/v1/admin/members/{gone.member_id}", {"status": "suspended"}, token=coalition.admin)
    body = {"grant_id": "g-young", "points": 50, "funder": "shop", "reason": "a welcome", "to": {"segment": "young"}}

    started = coalition.api.post("/v1/admin/grants", body, token=coalition.admin)
    job = coalition.api.get(f"/v1/admin/jobs/{started.json['job_id']}", token=coalition.admin).json

    assert started.status == 202
    assert (job["status"], job["granted"], job["points_granted"]) == ("done", 1, 50)
    assert coalition.me(young)["available_points"] == 50
    assert assert_invariants() == {"shop": 50}


def test_a_segment_is_counted_by_a_job_and_counted_again_on_demand(coalition, clock):
    key = coalition.partner("shop")
    for year in (1999, 2001, 2003, 1960, 1950):
        coalition.member(key, email=f"m{year}@example.com", birth_date=f"{year}-01-01")
    coalition.member(key, email="nobirth@example.com")

    created = create(coalition, YOUNG)  # 18 to 30 on 2026-11-23: 1999, 2001, 2003
    coalition.member(key, email="m2004@example.com", birth_date="2004-01-01")
    before = coalition.api.get("/v1/admin/segments/young", token=coalition.admin).json["count"]
    again = coalition.api.post("/v1/admin/segments/young/counts", token=coalition.admin)
    after = coalition.api.get("/v1/admin/segments/young", token=coalition.admin).json["count"]
    missing = coalition.api.post("/v1/admin/segments/nobody/counts", token=coalition.admin)

    assert (created.json["count"]["members"], created.json["count"]["gone_through"]) == (3, 6)
    assert before == created.json["count"]
    assert again.status == 202 and again.json["status"] == "done"
    assert (after["job_id"], after["members"], after["gone_through"]) == (again.json["job_id"], 4, 7)
    assert missing.status == 404


def test_a_count_run_again_page_by_page_counts_each_member_once(coalition, container):
    from chalicelib.jobs import segment_counts as count_job

    key = coalition.partner("shop")
    for year in (1999, 2001):
        coalition.member(key, email=f"m{year}@example.com", birth_date=f"{year}-01-01")
    job_id = create(coalition, YOUNG).json["count"]["job_id"]
    count = container.runtime.store.jobs.get_count(job_id)

    for shard in count.shards:  # a redelivered message for every shard
        count_job.run_shard(container.runtime, job_id, shard, None)
    view = coalition.api.get("/v1/admin/segments/young", token=coalition.admin).json["count"]

    assert (view["members"], view["gone_through"]) == (2, 2)
