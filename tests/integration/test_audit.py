"""The operator's audit trail (issue 9): every operator action that changes something is a record — who, when,
what, the state before and the answer after — and secrets shown once are never kept."""

from __future__ import annotations

from tests.support.api import PROGRAM

DAY = "from=2026-11-23&to=2026-11-23"


def test_operator_actions_are_recorded_with_who_when_what_before_and_after(coalition):
    coalition.program()
    market = coalition.partner("market")  # POST partner, POST key
    ana = coalition.member(market)
    coalition.api.patch("/v1/admin/partners/market", {"name": "Market Hall"}, token=coalition.admin)
    coalition.api.put("/v1/admin/program", {**PROGRAM, "point_value": "0.02"}, token=coalition.admin)
    body = {"adjustment_id": "adj-1", "points": 30, "reason": "a lost receipt", "funder": "market"}
    coalition.api.post(f"/v1/admin/members/{ana.member_id}/adjustments", body, token=coalition.admin)
    replayed = coalition.api.post(f"/v1/admin/members/{ana.member_id}/adjustments", body, token=coalition.admin)
    refused = coalition.api.patch("/v1/admin/partners/market", {"status": "gone"}, token=coalition.admin)

    trail = coalition.api.get(f"/v1/admin/audit?{DAY}&limit=100", token=coalition.admin)

    assert refused.status == 400 and replayed.replayed
    assert trail.status == 200, trail.json
    records = trail.json["records"]
    actions = [r["action"] for r in records]
    assert actions[-3:] == [
        "PATCH /v1/admin/partners/market",
        "PUT /v1/admin/program",
        f"POST /v1/admin/members/{ana.member_id}/adjustments",
    ]  # the refused PATCH is not an action, nor the replayed adjustment
    renamed, reprogrammed, adjusted = records[-3:]
    assert {r["actor"] for r in records} == {"local-admin"}
    assert (renamed["target"], renamed["before"]["name"], renamed["after"]["name"]) == (
        "market",
        "Market",
        "Market Hall",
    )
    assert renamed["request"] == {"name": "Market Hall"}
    assert (reprogrammed["before"]["point_value"], reprogrammed["after"]["point_value"]) == ("0.01", "0.02")
    assert adjusted["target"] == ana.member_id and adjusted["before"]["available_points"] == 0
    assert adjusted["after"]["available_points"] == 30 and adjusted["request"]["reason"] == "a lost receipt"
    issued = next(r for r in records if r["action"] == "POST /v1/admin/partners/market/keys")
    assert issued["after"]["api_key"] == "(not kept)"  # shown once to the operator, never stored
    assert trail.json["next_cursor"] is None


def test_the_trail_pages_in_order_and_only_the_operator_reads_it(coalition):
    coalition.program()
    for n in range(3):
        coalition.api.post(
            "/v1/admin/partners",
            {"partner_id": f"p-{n}", "name": f"P{n}", "currency": "EUR", "earn_rate": "1"},
            token=coalition.admin,
        )
    market = coalition.partner("market")

    first = coalition.api.get(f"/v1/admin/audit?{DAY}&limit=2", token=coalition.admin).json
    rest = coalition.api.get(f"/v1/admin/audit?{DAY}&limit=100&cursor={first['next_cursor']}", token=coalition.admin)
    refused = {
        "a partner": coalition.api.get(f"/v1/admin/audit?{DAY}", token=market),
        "backwards": coalition.api.get("/v1/admin/audit?from=2026-11-23&to=2026-11-01", token=coalition.admin),
        "a year": coalition.api.get("/v1/admin/audit?from=2026-01-01&to=2026-12-31", token=coalition.admin),
        "no range": coalition.api.get("/v1/admin/audit", token=coalition.admin),
        "bad cursor": coalition.api.get(f"/v1/admin/audit?{DAY}&cursor=abc", token=coalition.admin),
    }

    every = first["records"] + rest.json["records"]
    assert [r["target"] for r in every if r["action"] == "POST /v1/admin/partners"] == [None] * 4
    assert [r["request"]["partner_id"] for r in every if r["action"] == "POST /v1/admin/partners"] == [
        "p-0",
        "p-1",
        "p-2",
        "market",
    ]
    assert every == sorted(every, key=lambda r: r["at"]) and rest.json["next_cursor"] is None
    assert {name: (r.status, r.error_code) for name, r in refused.items()} == {
        "a partner": (403, "forbidden"),
        "backwards": (400, "invalid_request"),
        "a year": (400, "invalid_request"),
        "no range": (400, "invalid_request"),
        "bad cursor": (400, "invalid_request"),
    }


def test_a_throttled_audit_write_is_retried_and_a_large_programme_is_kept_by_its_digest(coalition, meter):
    from botocore.exceptions import ClientError

    coalition.program()
    throttled_once = []

    def throttle_the_first_audit_write(call, proceed):
        if call.operation == "PutItem" and "audit" in call.params["TableName"] and not throttled_once:
            throttled_once.append(call)
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutItem")
        return proceed()

    meter.faults.append(throttle_the_first_audit_write)
    activities = {f"quiz-{n:04d}": {"points": 5, "max_total": 1} for n in range(600)}
    big = coalition.api.put("/v1/admin/program", {**PROGRAM, "activities": activities}, token=coalition.admin)
    meter.faults.clear()
    last_day = coalition.api.get("/v1/admin/audit?from=9999-12-31&to=9999-12-31", token=coalition.admin)

    assert big.status == 200 and len(throttled_once) == 1
    record = coalition.api.get(f"/v1/admin/audit?{DAY}&limit=100", token=coalition.admin).json["records"][-1]
    assert record["action"] == "PUT /v1/admin/program"
    assert set(record["request"]) == {"bytes", "sha256"} and record["request"]["bytes"] > 16_000
    assert (last_day.status, last_day.json["records"]) == (200, [])


def test_a_campaign_replaced_then_ended_is_recorded_with_what_it_was_before(coalition):
    coalition.program()
    campaign = {
        "campaign_id": "double",
        "name": "Double points",
        "starts_at": "2026-11-01T00:00:00Z",
        "ends_at": "2026-12-31T00:00:00Z",
        "funder": "operator",
        "multiplier": "2",
    }
    assert coalition.api.post("/v1/admin/campaigns", campaign, token=coalition.admin).status == 201
    triple = {**campaign, "multiplier": "3"}
    assert coalition.api.put("/v1/admin/campaigns/double", triple, token=coalition.admin).status == 200
    assert coalition.api.delete("/v1/admin/campaigns/double", token=coalition.admin).status == 204

    records = coalition.api.get(f"/v1/admin/audit?{DAY}&limit=100", token=coalition.admin).json["records"]

    created, replaced, ended = [r for r in records if "/campaigns" in r["action"]]
    assert created["before"] is None
    assert (replaced["before"]["multiplier"], replaced["request"]["multiplier"]) == ("2", "3")
    assert (ended["action"], ended["before"]["multiplier"]) == ("DELETE /v1/admin/campaigns/double", "3")
