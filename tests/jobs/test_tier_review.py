"""The yearly tier review: keep, soft landing, one level a year, with the reason in the member's history."""

from __future__ import annotations

from datetime import datetime, timezone


def run_review(coalition, as_of):
    reply = coalition.api.post("/v1/admin/jobs/tier-review", {"as_of": as_of}, token=coalition.admin)
    assert reply.status == 202, reply.json
    return reply.json


def tier_entries(coalition, member):
    entries = coalition.api.get("/v1/me/entries?limit=100", token=member.token).json["entries"]
    return [e["breakdown"][0] for e in entries if e["type"] == "tier"]


def reach_gold(coalition, clock):
    key = coalition.partner("airline", earn_rate="10")
    member = coalition.member(key)
    assert coalition.purchase(key, member, "600.00").json["tier"] == "gold"  # 6,000 points
    return key, member


def test_an_upgrade_is_recorded_with_its_reason(coalition, clock):
    _, member = reach_gold(coalition, clock)

    assert tier_entries(coalition, member) == [
        {"rule": "tier_upgrade", "points": 0, "tier": "gold", "detail": "6000 qualifying points reaches gold (5000)"}
    ]
    assert coalition.me(member)["tier_progress"]["review_on"] == "2027-11-23"


def test_a_member_still_qualifying_keeps_the_tier_for_another_year(coalition, clock):
    key, member = reach_gold(coalition, clock)
    clock.now = datetime(2027, 11, 1, 10, tzinfo=timezone.utc)
    coalition.purchase(key, member, "520.00", occurred_at="2027-11-01T09:00:00Z")  # 5,200 in the window
    clock.now = datetime(2027, 11, 24, 1, tzinfo=timezone.utc)

    job = run_review(coalition, "2027-11-23")

    me = coalition.me(member)
    assert job["processed"] == 1
    assert (me["tier"], me["tier_progress"]["review_on"]) == ("gold", "2028-11-23")
    assert tier_entries(coalition, member)[0]["rule"] == "tier_kept"


def test_soft_landing_drops_one_level_per_review(coalition, clock):
    _, member = reach_gold(coalition, clock)
    clock.now = datetime(2027, 11, 24, 1, tzinfo=timezone.utc)

    early = run_review(coalition, "2027-11-22")  # not due yet: nothing happens
    first = run_review(coalition, "2027-11-23")
    after_first = coalition.me(member)
    again = run_review(coalition, "2027-11-23")  # the same run again: nobody is due any more
    clock.now = datetime(2028, 11, 24, 1, tzinfo=timezone.utc)
    second = run_review(coalition, "2028-11-23")

    assert (early["processed"], first["processed"], again["processed"], second["processed"]) == (0, 1, 0, 1)
    assert (after_first["tier"], after_first["tier_progress"]["review_on"]) == ("silver", "2028-11-23")
    me = coalition.me(member)
    assert (me["tier"], me["tier_progress"]["review_on"]) == ("member", None)  # the base tier has no review
    lowered = [line for line in tier_entries(coalition, member) if line["rule"] == "tier_lowered"]
    assert [line["tier"] for line in lowered] == ["member", "silver"]
    assert lowered[1]["detail"] == (
        "0 qualifying points in the 12 months to 2027-11-23 are below gold (5000): one level down at most"
    )


def test_missed_review_days_are_caught_up(coalition, clock):
    _, member = reach_gold(coalition, clock)
    clock.now = datetime(2027, 12, 5, 1, tzinfo=timezone.utc)

    run_review(coalition, "2027-12-04")  # the job did not run for ten days

    assert coalition.me(member)["tier"] == "silver"


def test_distinct_partners_as_the_tier_metric(coalition, clock):
    coalition.program(
        tier_metric="distinct_partners",
        tiers=[
            {"name": "member", "threshold": 0, "earn_multiplier": "1"},
            {"name": "explorer", "threshold": 3, "earn_multiplier": "1.2"},
        ],
    )
    keys = [coalition.partner(name) for name in ("shop-a", "shop-b", "shop-c")]
    member = coalition.member(keys[0])

    tiers = [coalition.purchase(key, member, "10.00").json["tier"] for key in keys + keys[:1]]

    assert tiers == ["member", "member", "explorer", "explorer"]
    assert coalition.me(member)["tier_progress"]["current"] == 3


def test_a_full_re_evaluation_upgrades_members_after_a_rule_change(coalition, clock):
    key = coalition.partner("shop", earn_rate="1")
    members = [coalition.member(key) for _ in range(3)]
    for member, amount in zip(members, ("1500.00", "900.00", "100.00"), strict=True):
        coalition.purchase(key, member, amount)
    coalition.program(
        tiers=[
            {"name": "member", "threshold": 0, "earn_multiplier": "1"},
            {"name": "silver", "threshold": 800, "earn_multiplier": "1.25"},  # was 2,000
            {"name": "gold", "threshold": 1200, "earn_multiplier": "1.5"},
        ]
    )

    job = coalition.api.post("/v1/admin/jobs/tier-reevaluation", token=coalition.admin).json

    assert job["processed"] == 2
    assert [coalition.me(m)["tier"] for m in members] == ["gold", "silver", "member"]


def test_a_purchase_before_the_review_job_runs_keeps_the_months_the_review_counts(coalition, clock):
    """The job runs after midnight for the day before: a purchase in the new month must not drop the oldest month
    of the 12 that review counts."""
    key, member = reach_gold(coalition, clock)  # review on 2027-11-23
    clock.now = datetime(2026, 12, 5, 10, tzinfo=timezone.utc)
    assert coalition.purchase(key, member, "350.00", occurred_at="2026-12-05T09:00:00Z").json["points"] == 5250
    clock.now = datetime(2027, 12, 1, 0, 30, tzinfo=timezone.utc)  # the job for 2027-11-30 has not run yet
    assert coalition.purchase(key, member, "10.00", occurred_at="2027-12-01T00:20:00Z").json["points"] == 150
    clock.now = datetime(2027, 12, 1, 1, tzinfo=timezone.utc)

    assert run_review(coalition, "2027-11-30")["processed"] == 1

    me = coalition.me(member)
    assert (me["tier"], me["tier_progress"]["review_on"]) == ("gold", "2028-11-23")
    assert tier_entries(coalition, member)[0] == {
        "rule": "tier_kept",
        "points": 0,
        "tier": "gold",
        "detail": "5250 qualifying points in the 12 months to 2027-11-30 keep gold (5000)",
    }
