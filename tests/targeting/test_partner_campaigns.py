"""A partner's own campaigns (funded by it, on its own purchases, within the operator's limits) and segments of its
own customers: ids apart from the operator's and other partners', and nobody else's to see or change."""

from __future__ import annotations

from tests.support.ledger import assert_invariants

WINDOW = {"starts_at": "2026-11-01T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"}
LIMITS = {"max_multiplier": "3", "max_points": 200, "max_running": 2, "max_measured": 1}


def double(campaign_id="double", **more):
    return {"campaign_id": campaign_id, "name": "Double points", "multiplier": "2", **WINDOW, **more}


def open_programme(coalition, **limits):
    coalition.program(partner_campaigns={**LIMITS, **limits})


def test_a_partner_campaign_applies_at_its_own_purchases_and_is_funded_by_it(coalition):
    open_programme(coalition)
    cafe, deli = coalition.partner("cafe"), coalition.partner("deli")
    created = coalition.api.post("/v1/campaigns", double(), token=cafe)
    same_id_elsewhere = coalition.api.post("/v1/campaigns", double(multiplier="3"), token=deli)
    operator_same_id = coalition.api.post(
        "/v1/admin/campaigns",
        {**double(), "funder": "operator", "points": None, "multiplier": "1.5"},
        token=coalition.admin,
    )
    member = coalition.member(cafe)
    at_cafe = coalition.purchase(cafe, member, "10.00")
    at_deli = coalition.purchase(deli, member, "10.00")

    assert created.status == 201, created.json
    assert created.json["campaign_id"] == "double" and created.json["funder"] == "cafe"
    assert created.json["partners"] == ["cafe"]
    assert same_id_elsewhere.status == 201 and operator_same_id.status == 201
    # Multipliers compound in campaign id order ("cafe~double" before "double"): cafe 10, × 2 its own (+10),
    # × 1.5 the operator's (+10); deli 10, × 3 its own (+20), × 1.5 (+15)
    assert [(line["rule"], line["points"]) for line in at_cafe.json["breakdown"]] == [
        ("base_rate", 10),
        ("campaign:cafe~double", 10),
        ("campaign:double", 10),
    ]
    assert at_deli.json["points"] == 10 + 20 + 15
    assert assert_invariants() == {"cafe": 20, "deli": 30, "operator": 25}
    listed = coalition.api.get("/v1/campaigns", token=cafe).json["campaigns"]
    assert [(c["campaign_id"], c["multiplier"]) for c in listed] == [("double", "2")]


def test_the_operators_limits_hold(coalition):
    coalition.program()
    cafe = coalition.partner("cafe")
    closed = coalition.api.post("/v1/campaigns", double(), token=cafe)
    open_programme(coalition)
    too_rich = coalition.api.post("/v1/campaigns", double(multiplier="3.5"), token=cafe)
    too_many_points = coalition.api.post("/v1/campaigns", {**double(), "multiplier": None, "points": 201}, token=cafe)
    first = coalition.api.post("/v1/campaigns", double("a"), token=cafe)
    second = coalition.api.post("/v1/campaigns", {**double("b"), "multiplier": None, "points": 100}, token=cafe)
    third = coalition.api.post("/v1/campaigns", double("c"), token=cafe)
    later = coalition.api.post(
        "/v1/campaigns", double("d", starts_at="2026-12-01T00:00:00Z", ends_at="2026-12-31T00:00:00Z"), token=cafe
    )
    measured = coalition.api.post("/v1/campaigns", double("e", control_share="0.2", **_later()), token=cafe)
    measured_too = coalition.api.post("/v1/campaigns", double("f", control_share="0.2", **_later(1)), token=cafe)

    assert (closed.status, closed.error_code) == (422, "rule_violation")
    assert (too_rich.status, too_rich.json["error"]["field"]) == (422, "multiplier")
    assert (too_many_points.status, too_many_points.json["error"]["field"]) == (422, "points")
    assert (first.status, second.status, later.status) == (201, 201, 201)
    assert (third.status, third.json["error"]["field"]) == (422, "starts_at")
    assert measured.status == 201 and (measured_too.status, measured_too.json["error"]["field"]) == (
        422,
        "control_share",
    )


def _later(months=0):
    return {"starts_at": f"2027-0{2 + months}-01T00:00:00Z", "ends_at": f"2027-0{2 + months}-10T00:00:00Z"}


def test_a_partner_segment_is_its_own_customers_and_names_no_other_partner(coalition):
    open_programme(coalition)
    cafe, deli = coalition.partner("cafe"), coalition.partner("deli")
    regulars = {"segment_id": "regulars", "name": "Regulars", "rules": {"purchases": {"min": 2, "months": 3}}}
    created = coalition.api.post("/v1/segments", regulars, token=cafe)
    prying = coalition.api.post(
        "/v1/segments",
        {**regulars, "segment_id": "pry", "rules": {"purchases": {"min": 1, "months": 3, "partners": ["deli"]}}},
        token=cafe,
    )
    deli_names_cafes = coalition.api.post("/v1/campaigns", double(segment="regulars"), token=deli)
    targeted = coalition.api.post("/v1/campaigns", double(segment="regulars"), token=cafe)
    loyal, elsewhere = coalition.member(cafe), coalition.member(cafe)
    for _ in range(2):
        coalition.purchase(cafe, loyal, "10.00")
        coalition.purchase(deli, elsewhere, "10.00")  # two purchases, but not at cafe: not cafe's customer
    third_loyal = coalition.purchase(cafe, loyal, "10.00")
    first_elsewhere = coalition.purchase(cafe, elsewhere, "10.00")

    assert created.status == 201 and created.json["segment_id"] == "regulars"
    assert (prying.status, prying.json["error"]["field"]) == (400, "rules")
    assert (deli_names_cafes.status, deli_names_cafes.json["error"]["field"]) == (400, "segment")
    assert targeted.status == 201 and targeted.json["segment"] == "regulars"
    assert (third_loyal.json["points"], first_elsewhere.json["points"]) == (20, 10)
    assert [s["segment_id"] for s in coalition.api.get("/v1/segments", token=cafe).json["segments"]] == ["regulars"]
    assert coalition.api.get("/v1/segments", token=deli).json["segments"] == []
    assert coalition.api.get("/v1/segments/regulars", token=deli).status == 404


def test_nobody_else_sees_changes_or_ends_a_partners_campaign_and_keys_keep_their_scope(coalition):
    open_programme(coalition)
    cafe, deli = coalition.partner("cafe"), coalition.partner("deli")
    assert coalition.api.post("/v1/campaigns", double(), token=cafe).status == 201
    till, finance = coalition.key("cafe", "till"), coalition.key("cafe", "finance")

    ended_by_other = coalition.api.delete("/v1/campaigns/double", token=deli)
    replaced_by_other = coalition.api.put("/v1/campaigns/double", double(), token=deli)
    by_till = coalition.api.post("/v1/campaigns", double("x"), token=till)
    by_finance = coalition.api.post("/v1/campaigns", double("y"), token=finance)
    effect_by_other = coalition.api.get("/v1/campaigns/double/effect", token=deli)
    ended = coalition.api.delete("/v1/campaigns/double", token=cafe)

    assert (ended_by_other.status, replaced_by_other.status) == (404, 404)
    assert (by_till.status, by_finance.status) == (403, 403)
    assert effect_by_other.status == 404
    assert ended.status == 204 and coalition.api.get("/v1/campaigns", token=cafe).json["campaigns"] == []


def test_a_partners_measured_campaign_reports_its_effect_to_it(coalition, clock):
    open_programme(coalition)
    cafe = coalition.partner("cafe")
    assert coalition.api.post("/v1/campaigns", double(control_share="0.5"), token=cafe).status == 201
    members = [coalition.member(cafe) for _ in range(6)]
    for member in members:
        coalition.purchase(cafe, member, "10.00")
    clock.advance(days=1)
    assert coalition.api.post("/v1/admin/settlements/2026-11-23/close", token=coalition.admin).status == 201
    finance = coalition.key("cafe", "finance")

    report = coalition.api.get("/v1/campaigns/double/effect", token=finance)
    operators = coalition.api.get("/v1/admin/campaigns/cafe~double/effect", token=coalition.admin)

    assert report.status == 200 and report.json["campaign_id"] == "double"
    groups = report.json["groups"]
    assert groups["treated"]["customers"] + groups["control"]["customers"] == 6
    assert groups["treated"]["points_issued"] == 10 * groups["treated"]["customers"]
    assert operators.json["groups"] == groups and operators.json["campaign_id"] == "cafe~double"


def test_the_limits_hold_over_the_partners_campaigns_together(coalition):
    open_programme(coalition, max_multiplier="4", max_running=3, max_points=300)
    cafe = coalition.partner("cafe")
    assert coalition.api.post("/v1/campaigns", double("a"), token=cafe).status == 201
    assert coalition.api.post("/v1/campaigns", double("b"), token=cafe).status == 201  # × 2 × 2 = 4: the most
    compounding = coalition.api.post("/v1/campaigns", double("c"), token=cafe)
    fixed = {**double(), "multiplier": None}
    points = [
        coalition.api.post("/v1/campaigns", {**fixed, "campaign_id": f"p{n}", "points": 150, **_later()}, token=cafe)
        for n in range(3)
    ]
    missing = coalition.api.put("/v1/campaigns/nothing", double("nothing"), token=cafe)
    member = coalition.member(cafe)

    assert (compounding.status, compounding.json["error"]["field"]) == (422, "multiplier")
    assert [p.status for p in points[:2]] == [201, 201]
    assert (points[2].status, points[2].json["error"]["field"]) == (422, "points")  # 450 together
    assert (missing.status, missing.error_code) == (404, "not_found")
    assert coalition.purchase(cafe, member, "10.00").json["points"] == 40


def test_partners_measured_campaigns_count_until_forgotten_and_keep_half_the_places_for_the_operator(coalition):
    open_programme(coalition, max_measured=5, max_running=20)
    keys = {p: coalition.partner(p) for p in ("cafe", "deli", "bar")}
    later = coalition.api.post("/v1/campaigns", double("later", control_share="0.2", **_later(1)), token=keys["cafe"])
    earlier = coalition.api.post(
        "/v1/campaigns", double("earlier", control_share="0.2", **_later()), token=keys["cafe"]
    )
    placed = [
        coalition.api.post("/v1/campaigns", double(f"m{n}", control_share="0.2", **_far(n)), token=keys[p]).status
        for p in ("deli", "bar")
        for n in range(5)
    ]
    operators = coalition.api.post(
        "/v1/admin/campaigns",
        {**double("ours"), "funder": "operator", "control_share": "0.2"},
        token=coalition.admin,
    )

    assert later.status == 201 and earlier.status == 201  # max_measured 5: both, whatever the order
    assert placed.count(201) == 8 and placed.count(422) == 2  # 2 + 8 = 10: half of the 20 places
    assert operators.status == 201


def _far(n):
    return {"starts_at": f"2027-{n + 3:02d}-01T00:00:00Z", "ends_at": f"2027-{n + 3:02d}-02T00:00:00Z"}


def test_a_partner_segment_sees_purchases_at_the_partner_only(coalition):
    open_programme(coalition)
    cafe, deli = coalition.partner("cafe"), coalition.partner("deli")
    refused = {
        name: coalition.api.post(
            "/v1/segments", {"segment_id": name.replace("_", "-"), "name": "x", "rules": rule}, token=cafe
        )
        for name, rule in (
            ("spend", {"spend": {"min": "100.00", "months": 3}}),
            ("inactive_months", {"inactive_months": 2}),
            ("distinct_partners", {"distinct_partners": {"min": 2, "months": 3}}),
        )
    }
    three = {"segment_id": "three", "name": "Three visits", "rules": {"purchases": {"min": 3, "months": 3}}}
    assert coalition.api.post("/v1/segments", three, token=cafe).status == 201
    assert coalition.api.post("/v1/campaigns", double(segment="three"), token=cafe).status == 201
    member = coalition.member(cafe)
    coalition.purchase(cafe, member, "10.00")
    coalition.purchase(deli, member, "10.00")
    coalition.purchase(deli, member, "10.00")
    fourth = coalition.purchase(cafe, member, "10.00")  # three purchases in all, but one at cafe

    assert {name: (r.status, r.json["error"]["field"]) for name, r in refused.items()} == {
        name: (400, f"rules.{name}") for name in refused
    }
    assert fourth.json["points"] == 10
    shown = coalition.api.get("/v1/segments/three", token=cafe).json["rules"]["purchases"]
    assert shown["partners"] == ["cafe"]


def test_a_scoped_id_sent_percent_encoded_names_the_same_campaign(coalition):
    open_programme(coalition)
    cafe = coalition.partner("cafe")
    offer = {**double("coffee"), "opt_in": True}
    assert coalition.api.post("/v1/campaigns", offer, token=cafe).status == 201
    member = coalition.member(cafe)

    enrolled = coalition.api.post("/v1/me/offers/cafe%7Ecoffee/enrolment", token=member.token)
    earned = coalition.purchase(cafe, member, "10.00")

    assert enrolled.status == 201 and enrolled.json["offer_id"] == "cafe~coffee"
    assert earned.json["points"] == 20


def test_a_partners_list_of_campaigns_is_one_query(coalition, meter):
    open_programme(coalition, max_running=5, max_multiplier="20")
    cafe = coalition.partner("cafe")
    for n in range(4):
        assert coalition.api.post("/v1/campaigns", double(f"c{n}"), token=cafe).status == 201
    coalition.api.get("/v1/campaigns", token=cafe)  # the key is cached now

    meter.reset()
    listed = coalition.api.get("/v1/campaigns", token=cafe).json["campaigns"]

    assert [c["campaign_id"] for c in listed] == ["c0", "c1", "c2", "c3"]
    assert meter.counts() == {"GetItem": 1, "Query": 1}  # the caller's key, the listing: no read per campaign
