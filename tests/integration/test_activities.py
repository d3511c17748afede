"""Engagement activities: points per type, daily and lifetime caps, the funder as issuer."""

from __future__ import annotations

from tests.support.aws import table_snapshot
from tests.support.ledger import assert_invariants

ACTIVITIES = {
    "review": {"points": 50, "max_per_day": 1},
    "newsletter_signup": {"points": 100, "max_total": 1, "funder": "operator"},
}


def post(coalition, key, member, activity_id, type_, occurred_at="2026-11-23T09:00:00Z"):
    body = {
        "activity_id": activity_id,
        "member": {"member_id": member.member_id},
        "type": type_,
        "occurred_at": occurred_at,
    }
    return coalition.api.post("/v1/activities", body, token=key)


def test_activities_earn_within_their_caps(coalition, clock, settings):
    coalition.program(activities=ACTIVITIES)
    key = coalition.partner("shop")
    member = coalition.member(key)

    review = post(coalition, key, member, "a1", "review")
    second_review = post(coalition, key, member, "a2", "review")
    newsletter = post(coalition, key, member, "a3", "newsletter_signup")
    before = table_snapshot(settings)
    again = post(coalition, key, member, "a4", "newsletter_signup")
    assert table_snapshot(settings) == before
    clock.advance(days=1)
    next_day = post(coalition, key, member, "a5", "review", occurred_at="2026-11-24T09:00:00Z")

    assert (review.status, review.json["points"]) == (201, 50)
    assert review.json["breakdown"] == [
        {"rule": "activity:review", "points": 50, "detail": "review earns 50 points (at most 1 a day), funded by shop"}
    ]
    assert (second_review.status, second_review.error_code) == (422, "rule_violation")
    assert (newsletter.status, newsletter.json["points"]) == (201, 100)
    assert (again.status, again.error_code) == (422, "rule_violation")
    assert next_day.status == 201
    assert coalition.me(member)["available_points"] == 200
    assert coalition.me(member)["tier_progress"]["current"] == 0  # activities do not qualify for tiers
    assert assert_invariants() == {"shop": 100, "operator": 100}


def test_an_activity_replayed_answers_the_same_and_counts_once(coalition):
    coalition.program(activities=ACTIVITIES)
    key = coalition.partner("shop")
    member = coalition.member(key)

    first = post(coalition, key, member, "a1", "review")
    replay = post(coalition, key, member, "a1", "review")

    assert replay.replayed and replay.body == first.body
    assert coalition.me(member)["available_points"] == 50


def test_unknown_or_stale_activities_are_refused(coalition):
    coalition.program(activities=ACTIVITIES)
    key = coalition.partner("shop")
    member = coalition.member(key)

    unknown = post(coalition, key, member, "a1", "selfie")
    stale = post(coalition, key, member, "a2", "review", occurred_at="2026-11-01T09:00:00Z")
    future = post(coalition, key, member, "a3", "review", occurred_at="2026-12-01T09:00:00Z")

    assert (unknown.status, unknown.error_code, unknown.json["error"]["field"]) == (422, "rule_violation", "type")
    assert (stale.status, stale.error_code) == (422, "rule_violation")
    assert (future.status, future.error_code) == (400, "invalid_request")


def test_a_programme_with_a_malformed_activity_rule_is_refused(coalition):
    reply = coalition.api.put(
        "/v1/admin/program",
        {
            "currency": "EUR",
            "point_value": "0.01",
            "expiry_months": 24,
            "tiers": [{"name": "member", "threshold": 0, "earn_multiplier": "1"}],
            "activities": {"review": {"points": "fifty"}},
        },
        token=coalition.admin,
    )
    assert (reply.status, reply.error_code) == (400, "invalid_request")
    assert reply.json["error"]["field"] == "activities.review.points"
