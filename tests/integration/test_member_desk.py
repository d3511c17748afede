"""The operator's customer-service desk (issue 9): a member's whole file, by id or by card, email or phone."""

from __future__ import annotations

VOUCHERS = {"denominations": [{"points": 100, "value": "1.00"}], "validity_months": 12}


def test_the_desk_shows_a_members_whole_file_as_the_wallet_and_the_history_hold_it(coalition, clock, meter):
    coalition.program(vouchers=VOUCHERS)
    market, fuel = coalition.partner("market"), coalition.partner("fuel")
    ana = coalition.member(market, email="ana@example.com", phone="+33612345678")
    coalition.purchase(market, ana, "300.00")
    clock.advance(days=40)  # the fuel points expire a month later than the market's
    for n in range(11):
        coalition.purchase(fuel, ana, "10.00", transaction_id=f"f-{n}", occurred_at="2027-01-02T09:00:00Z")
    hold = {"hold_id": "h-1", "member": {"card_number": ana.card_number}, "points": 50}
    assert coalition.api.post("/v1/holds", hold, token=fuel).status == 201
    assert (
        coalition.api.post("/v1/me/vouchers", {"request_id": "v-1", "denomination": 100}, token=ana.token).status == 201
    )
    meter.reset()

    file = coalition.api.get(f"/v1/admin/members/{ana.member_id}", token=coalition.admin)
    reads = [c.operation for c in meter.calls]

    assert file.status == 200, file.json
    body = file.json
    me = coalition.me(ana)
    assert (body["available_points"], body["held_points"], body["tier"]) == (
        me["available_points"],
        me["held_points"],
        me["tier"],
    )
    assert body["lots"] == [
        {"issuer": "market", "expires_on": "2028-11-30", "points": 150},  # 300 − 100 voucher − 50 held
        {"issuer": "fuel", "expires_on": "2029-01-31", "points": 110},
    ]
    assert body["holds"][0]["hold_id"] == "h-1" and body["holds"][0]["points"] == 50
    assert body["voucher_points"] == {"market": 100} and body["debts"] == {}
    assert [e["type"] for e in body["recent_entries"]][:3] == ["voucher", "hold", "earn"]
    assert len(body["recent_entries"]) == 10 and body["more_entries"] is True
    assert reads.count("GetItem") <= 3 and reads.count("Query") == 1  # wallet, programme, key; the recent entries
    assert "Scan" not in reads


def test_the_desk_finds_a_member_by_one_identifier_and_refuses_anything_else(coalition):
    market = coalition.partner("market")
    ana = coalition.member(market, email="ana@example.com", phone="+33612345678")

    found = {
        how: coalition.api.get(f"/v1/admin/members?{how}={value}", token=coalition.admin)
        for how, value in (("card_number", ana.card_number), ("email", "ANA@example.com"), ("phone", "%2B33612345678"))
    }
    refused = {
        "none": coalition.api.get("/v1/admin/members", token=coalition.admin),
        "two": coalition.api.get(
            f"/v1/admin/members?email=ana@example.com&card_number={ana.card_number}", token=coalition.admin
        ),
        "unknown": coalition.api.get("/v1/admin/members?email=nobody@example.com", token=coalition.admin),
        "no such id": coalition.api.get("/v1/admin/members/m_00000000000000000000", token=coalition.admin),
        "bad id": coalition.api.get("/v1/admin/members/" + "x" * 500, token=coalition.admin),
        "a partner": coalition.api.get(f"/v1/admin/members/{ana.member_id}", token=market),
        "the member": coalition.api.get(f"/v1/admin/members/{ana.member_id}", token=ana.token),
    }

    assert {how: (r.status, r.json["member_id"]) for how, r in found.items()} == {
        how: (200, ana.member_id) for how in found
    }
    assert {name: (r.status, r.error_code) for name, r in refused.items()} == {
        "none": (400, "invalid_request"),
        "two": (400, "invalid_request"),
        "unknown": (404, "not_found"),
        "no such id": (404, "not_found"),
        "bad id": (404, "not_found"),
        "a partner": (403, "forbidden"),
        "the member": (403, "forbidden"),
    }
