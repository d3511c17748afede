"""Challenges: a goal reached with purchases within a period, rewarded exactly once per period with its funder's
points; a return that undoes the completion takes the reward back (a debt where it was spent)."""

from __future__ import annotations

import pytest

from tests.support.ledger import assert_invariants

NOVEMBER = {"starts_at": "2026-11-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z"}


def challenge(challenge_id="five", **rules):
    return {
        "challenge_id": challenge_id,
        "name": "Five visits",
        "kind": "purchases",
        "period": "month",
        "target": 5,
        "reward": {"points": 500, "funder": "operator"},
        **NOVEMBER,
        **rules,
    }


def create(coalition, body):
    reply = coalition.api.post("/v1/admin/challenges", body, token=coalition.admin)
    assert reply.status == 201, reply.json
    return reply.json


def mine(coalition, member):
    reply = coalition.api.get("/v1/me/challenges", token=member.token)
    assert reply.status == 200, reply.json
    return {c["challenge_id"]: c for c in reply.json["challenges"]}


def give_back(coalition, key, transaction_id, amount, return_id):
    body = {"return_id": return_id, "amount": amount}
    reply = coalition.api.post(f"/v1/transactions/{transaction_id}/returns", body, token=key)
    assert reply.status == 201, reply.json
    return reply.json


def rules(reply):
    return [line["rule"] for line in reply.json["breakdown"]]


def test_the_fifth_purchase_of_the_month_books_the_reward_once_and_the_member_sees_it(coalition):
    key = coalition.partner("cafe")
    create(coalition, challenge())
    member = coalition.member(key)

    earns = [coalition.purchase(key, member, "10.00", transaction_id=f"t-{n}") for n in range(1, 7)]
    seen = mine(coalition, member)["five"]

    assert [reply.json["points"] for reply in earns] == [10, 10, 10, 10, 510, 10]
    assert rules(earns[4]) == ["base_rate", "challenge:five"]
    line = earns[4].json["breakdown"][1]
    assert line["points"] == 500 and "5 purchases in 2026-11" in line["detail"] and "operator" in line["detail"]
    assert seen["period"] == {"period": "2026-11", "from": "2026-11-01", "to": "2026-11-30"}
    assert (seen["target"], seen["progress"], seen["completed"]) == (5, 6, True)
    assert seen["rewarded"] == [{"period": "2026-11", "points": 500, "completed_on": "2026-11-23"}]
    assert coalition.me(member)["available_points"] == 560
    assert assert_invariants() == {"cafe": 60, "operator": 500}


def test_a_new_month_is_a_new_period_with_its_own_reward(coalition, clock):
    key = coalition.partner("cafe")
    create(coalition, challenge(target=2))
    member = coalition.member(key)
    november = [coalition.purchase(key, member, "10.00").json["points"] for _ in range(3)]
    clock.advance(days=10)  # 3 December
    december = [
        coalition.purchase(key, member, "10.00", occurred_at="2026-12-03T09:00:00Z").json["points"] for _ in range(2)
    ]

    assert (november, december) == ([10, 510, 10], [10, 510])
    assert mine(coalition, member)["five"]["period"]["period"] == "2026-12"


def test_a_return_that_undoes_the_completion_takes_the_reward_back_as_a_debt_once_it_was_spent(coalition):
    key = coalition.partner("cafe")
    create(coalition, challenge(target=3, min_amount="5.00"))
    member = coalition.member(key)
    for n in range(1, 4):
        coalition.purchase(key, member, "10.00", transaction_id=f"t-{n}")
    assert coalition.redeem(key, member, 520).status == 201  # the reward spent: 10 points left

    partial = give_back(coalition, key, "t-1", "4.00", "r-1")  # 6.00 kept: still counts (at least 5.00)
    undone = give_back(coalition, key, "t-1", "2.00", "r-2")  # 4.00 kept: no longer counts

    assert [line["rule"] for line in partial["breakdown"]] == ["return:base_rate"]
    assert undone["points_reversed"] == 502
    assert [line["rule"] for line in undone["breakdown"]] == ["return:base_rate", "return:challenge:five"]
    assert "no longer complete for 2026-11" in undone["breakdown"][1]["detail"]
    assert (undone["available_points"], undone["owed_points"]) == (0, 496)
    seen = mine(coalition, member)["five"]
    assert (seen["progress"], seen["completed"], seen["rewarded"]) == (2, False, [])
    # Owed back: the 6 points of cafe returned and 490 of the reward (10 of it was left unspent, taken from the lots).
    assert assert_invariants() == {"cafe": -6, "operator": -490}


def test_completed_again_after_a_return_the_period_pays_again_and_only_once(coalition):
    key = coalition.partner("cafe")
    create(coalition, challenge(target=2))
    member = coalition.member(key)
    coalition.purchase(key, member, "10.00", transaction_id="t-1")
    coalition.purchase(key, member, "10.00", transaction_id="t-2")
    give_back(coalition, key, "t-1", "10.00", "r-1")
    again = coalition.purchase(key, member, "10.00", transaction_id="t-3")
    more = coalition.purchase(key, member, "10.00", transaction_id="t-4")

    assert (again.json["points"], more.json["points"]) == (510, 10)
    assert coalition.me(member)["available_points"] == 10 + 10 + 10 + 500
    assert assert_invariants() == {"cafe": 30, "operator": 500}


@pytest.mark.parametrize(
    ("rules_given", "purchases", "rewarded_at"),
    [
        # spend 30.00 this month: the third purchase of 12.00 reaches it
        ({"kind": "spend", "target": "30.00"}, [("cafe", "12.00")] * 3, 3),
        # three different partners: the second visit at cafe does not count again
        ({"kind": "partners", "target": 3}, [("cafe", "5.00"), ("cafe", "5.00"), ("deli", "5.00"), ("bar", "5.00")], 4),
    ],
)
def test_spend_and_cross_brand_challenges(coalition, rules_given, purchases, rewarded_at):
    keys = {p: coalition.partner(p) for p in ("cafe", "deli", "bar")}
    create(coalition, challenge(**rules_given))
    member = coalition.member(keys["cafe"])

    rewards = [
        "challenge:five" in rules(coalition.purchase(keys[partner], member, amount)) for partner, amount in purchases
    ]

    assert rewards.index(True) + 1 == rewarded_at and rewards.count(True) == 1


def test_purchases_posted_past_the_grace_count_in_no_challenge(coalition, clock):
    key = coalition.partner("cafe")
    create(coalition, challenge(kind="streak", period="challenge", target=3))
    member = coalition.member(key)
    clock.now = clock.now.replace(month=12, day=31)
    weeks = ["2026-11-02", "2026-11-09", "2026-11-23", "2026-11-30", "2026-12-07"]  # a gap in the week of the 16th
    earned = [coalition.purchase(key, member, "10.00", occurred_at=f"{day}T09:00:00Z").json["points"] for day in weeks]

    # posted late (the 31st of December): beyond the campaigns' grace, nothing counts
    assert earned == [10] * 5
    assert mine(coalition, member)["five"]["progress"] == 0


def test_a_streak_counts_weeks_in_a_row_as_they_happen(coalition, clock):
    key = coalition.partner("cafe")
    create(coalition, challenge(kind="streak", period="challenge", target=3))
    member = coalition.member(key)
    earned = []
    for day in ["2026-11-02", "2026-11-09", "2026-11-23", "2026-11-30", "2026-12-07"]:  # no purchase the week of 16th
        clock.now = clock.now.replace(month=int(day[5:7]), day=int(day[8:10]), hour=12)
        earned.append(coalition.purchase(key, member, "10.00", occurred_at=f"{day}T09:00:00Z").json["points"])

    assert earned == [10, 10, 10, 10, 510]


def test_targets_set_per_member_and_derived_from_previous_months(coalition, clock):
    key = coalition.partner("cafe")
    create(coalition, challenge("agent", targets="set", target=None))
    create(
        coalition,
        challenge("habit", targets="derived", target=None, derived={"months": 2, "factor": "1.5", "minimum": 2}),
    )
    agent, other = coalition.member(key), coalition.member(key)
    clock.now = clock.now.replace(month=10, day=10)  # October: three purchases
    for _ in range(3):
        coalition.purchase(key, agent, "10.00", occurred_at="2026-10-10T09:00:00Z")
    clock.now = clock.now.replace(month=11, day=23)
    set_reply = coalition.api.put(
        "/v1/admin/challenges/agent/targets/" + agent.member_id, {"target": 2}, token=coalition.admin
    )
    wrong_kind = coalition.api.put(
        "/v1/admin/challenges/agent/targets/" + agent.member_id, {"target": "2.00"}, token=coalition.admin
    )
    not_set = coalition.api.put(
        "/v1/admin/challenges/habit/targets/" + agent.member_id, {"target": 2}, token=coalition.admin
    )
    seen = mine(coalition, agent)
    first, second, third = (coalition.purchase(key, agent, "10.00") for _ in range(3))

    assert set_reply.status == 200 and set_reply.json == {
        "challenge_id": "agent",
        "member_id": agent.member_id,
        "target": 2,
    }
    assert (wrong_kind.status, wrong_kind.json["error"]["field"]) == (400, "target")
    assert (not_set.status, not_set.error_code) == (422, "rule_violation")
    # derived: 3 purchases over Sep-Oct = 1.5 a month, × 1.5 = 2.25, rounded up: 3
    assert (seen["agent"]["target"], seen["habit"]["target"]) == (2, 3)
    assert "agent" not in mine(coalition, other) and mine(coalition, other)["habit"]["target"] == 2
    assert rules(second) == ["base_rate", "challenge:agent"] and rules(first) == ["base_rate"]
    assert rules(third) == ["base_rate", "challenge:habit"]


def test_a_control_group_never_sees_the_challenge_and_earns_nothing_from_it(coalition):
    from chalicelib.domain.effect import in_control

    key = coalition.partner("cafe")
    create(coalition, challenge(target=1, control_share="0.5"))
    members = [coalition.member(key) for _ in range(12)]
    held_out = [m for m in members if in_control(m.member_id, "challenge:five", __import__("decimal").Decimal("0.5"))]
    taking_part = [m for m in members if m not in held_out]
    assert held_out and taking_part

    points = {m.member_id: coalition.purchase(key, m, "10.00").json["points"] for m in members}

    assert all(points[m.member_id] == 10 for m in held_out)
    assert all(points[m.member_id] == 510 for m in taking_part)
    assert all("five" not in mine(coalition, m) for m in held_out)


def test_opt_in_challenges_count_only_after_enrolment(coalition):
    key = coalition.partner("cafe")
    create(coalition, challenge(target=1, opt_in=True))
    member = coalition.member(key)
    before = coalition.purchase(key, member, "10.00")
    listed = mine(coalition, member)["five"]
    enrolled = coalition.api.post("/v1/me/challenges/five/enrolment", token=member.token)
    again = coalition.api.post("/v1/me/challenges/five/enrolment", token=member.token)
    after = coalition.purchase(key, member, "10.00")

    assert (before.json["points"], after.json["points"]) == (10, 510)
    assert listed["enrolled"] is False and enrolled.status == 201 and enrolled.json["enrolled"] is True
    assert again.status == 201 and again.replayed and again.json == enrolled.json


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target": "5"}, "target"),  # a count is a number
        ({"kind": "spend", "target": 30}, "target"),  # money is text
        ({"target": None}, None),  # neither target nor targets
        ({"targets": "set"}, None),  # both
        ({"challenge_id": "a:b"}, "challenge_id"),
        ({"reward": {"points": 10, "funder": "nobody"}}, "reward.funder"),
        ({"partners": ["nobody"]}, "partners"),
        ({"control_share": "0.9"}, "control_share"),
        ({"opt_in": True, "control_share": "0.1"}, "control_share"),
        ({"kind": "streak", "target": 7}, "target"),  # a month touches at most 6 weeks
        (
            {
                "kind": "partners",
                "targets": "derived",
                "target": None,
                "derived": {"months": 1, "factor": "1", "minimum": 1},
            },
            "targets",
        ),
        ({"ends_at": "2026-10-01T00:00:00Z"}, None),
    ],
)
def test_bad_challenges_are_refused_and_write_nothing(coalition, change, field):
    coalition.partner("cafe")
    reply = coalition.api.post("/v1/admin/challenges", {**challenge(), **change}, token=coalition.admin)

    assert reply.status == 400, reply.json
    if field:
        assert reply.json["error"]["field"] == field
    assert coalition.api.get("/v1/admin/challenges", token=coalition.admin).json == {"challenges": []}


def test_a_started_challenge_keeps_its_rules_and_deleting_it_ends_it(coalition):
    key = coalition.partner("cafe")
    create(coalition, challenge(target=1))
    member = coalition.member(key)
    coalition.purchase(key, member, "10.00")
    moved = coalition.api.put("/v1/admin/challenges/five", challenge(target=3), token=coalition.admin)
    renamed = coalition.api.put("/v1/admin/challenges/five", challenge(target=1, name="Visit"), token=coalition.admin)
    ended = coalition.api.delete("/v1/admin/challenges/five", token=coalition.admin)
    after = coalition.purchase(key, member, "10.00")
    kept = coalition.api.get("/v1/admin/challenges/five", token=coalition.admin)

    assert (moved.status, moved.json["error"]["field"]) == (422, "target")
    assert renamed.status == 200 and renamed.json["name"] == "Visit"
    assert ended.status == 204 and after.json["points"] == 10
    assert kept.status == 200 and kept.json["ends_at"] == "2026-11-23T10:00:00.000Z"


def test_at_most_twenty_challenges_run_at_once_and_a_campaign_cannot_take_a_challenge_name(coalition):
    coalition.partner("cafe")
    for n in range(20):
        create(coalition, challenge(f"c{n}"))
    # The twenty end on 1 January and count until 1 April (their completed periods are kept 90 days for returns).
    later = create(coalition, challenge("later", starts_at="2027-04-01T00:00:00Z", ends_at="2027-05-01T00:00:00Z"))
    too_soon = coalition.api.post(
        "/v1/admin/challenges",
        challenge("soon", starts_at="2027-03-01T00:00:00Z", ends_at="2027-04-01T00:00:00Z"),
        token=coalition.admin,
    )
    one_more = coalition.api.post("/v1/admin/challenges", challenge("c20"), token=coalition.admin)
    named = {
        "campaign_id": "challenge:c1",
        "name": "Sneaky",
        "points": 5,
        "funder": "operator",
        **NOVEMBER,
    }
    campaign = coalition.api.post("/v1/admin/campaigns", named, token=coalition.admin)

    assert later["challenge_id"] == "later" and (too_soon.status, too_soon.error_code) == (422, "rule_violation")
    assert (one_more.status, one_more.error_code) == (422, "rule_violation")
    assert (campaign.status, campaign.json["error"]["field"]) == (400, "campaign_id")
