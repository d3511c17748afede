"""A member's own account (issue 9): the profile they keep, a history they can filter, what their points are worth,
what keeps their tier, and what expires soon."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.aws import table_snapshot


@pytest.fixture
def shops(coalition):
    return coalition.partner("fresh-market"), coalition.partner("fuel-co", earn_rate="2")


def at(clock) -> str:
    return clock.now.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- the profile -----------------------------------------------------------------------------------
def test_a_member_keeps_a_profile_and_consents_are_dated_when_given_or_withdrawn(coalition, shops, clock):
    ana = coalition.member(shops[0])
    api = coalition.api
    blank = coalition.me(ana)
    assert (blank["name"], blank["preferred_partners"], blank["interests"], blank["consents"]) == (None, [], [], {})

    first = api.patch(
        "/v1/me",
        {
            "name": "  Ana Lima ",
            "preferred_partners": ["fuel-co", "fresh-market", "fuel-co"],
            "interests": ["cinema", "running"],
            "consents": {"email": {"given": True}, "sms": {"given": False}},
        },
        token=ana.token,
    )
    given_at = clock.now
    clock.advance(days=3)
    again = api.patch("/v1/me", {"consents": {"email": {"given": True}, "push": {"given": True}}}, token=ana.token)
    clock.advance(days=2)
    withdrawn = api.patch("/v1/me", {"consents": {"email": {"given": False}}, "name": None}, token=ana.token)

    assert first.status == 200, first.json
    assert (first.json["name"], first.json["preferred_partners"]) == ("Ana Lima", ["fuel-co", "fresh-market"])
    assert first.json["interests"] == ["cinema", "running"]
    assert first.json["available_points"] == 0  # the answer is GET /v1/me's view
    stamp = lambda moment: moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")  # noqa: E731
    assert again.json["consents"]["email"] == {"given": True, "at": stamp(given_at)}  # unchanged: its date kept
    assert again.json["consents"]["push"] == {"given": True, "at": stamp(given_at + timedelta(days=3))}
    me = coalition.me(ana)
    assert me["consents"] == {
        "email": {"given": False, "at": stamp(given_at + timedelta(days=5))},
        "push": {"given": True, "at": stamp(given_at + timedelta(days=3))},
        "sms": {"given": False, "at": stamp(given_at)},
    }
    assert me["name"] is None and me["interests"] == ["cinema", "running"]  # null forgot the name only
    assert withdrawn.json == me


@pytest.mark.parametrize(
    "patch",
    [
        {},
        {"name": ""},
        {"name": "Ana\u0000"},
        {"name": "x" * 81},
        {"preferred_partners": None},
        {"preferred_partners": [f"p{n}x" for n in range(11)]},
        {"interests": ["Cinema"]},
        {"interests": "cinema"},
        {"consents": {"fax": {"given": True}}},
        {"consents": {"email": {"given": True, "at": "2020-01-01T00:00:00Z"}}},
        {"consents": {"email": {"given": "yes"}}},
        {"birth_date": "1880-01-01"},
        {"birth_date": "2099-01-01"},
        {"tier": "gold"},
        {"member_id": "m_00000000000000000000"},
    ],
)
def test_a_bad_profile_change_is_refused_and_writes_nothing(coalition, shops, settings, patch):
    ana = coalition.member(shops[0])
    token = ana.token
    before = table_snapshot(settings)

    reply = coalition.api.patch("/v1/me", patch, token=token)

    assert (reply.status, reply.error_code) == (400, "invalid_request"), reply.json
    assert table_snapshot(settings) == before


def test_preferred_partners_must_be_partners_of_the_programme(coalition, shops, settings):
    ana = coalition.member(shops[0])
    token = ana.token
    coalition.api.patch("/v1/admin/partners/fuel-co", {"status": "suspended"}, token=coalition.admin)
    before = table_snapshot(settings)

    for wanted in (["nobody"], ["fresh-market", "operator"], ["fuel-co"]):
        reply = coalition.api.patch("/v1/me", {"preferred_partners": wanted}, token=token)
        assert (reply.status, reply.error_code) == (422, "rule_violation"), (wanted, reply.json)
    assert table_snapshot(settings) == before


def test_a_birth_date_is_given_once_and_then_counts_for_the_birthday_months_after(coalition, shops, clock):
    ana = coalition.member(shops[0])

    given = coalition.api.patch("/v1/me", {"birth_date": "1990-02-14"}, token=ana.token)
    same = coalition.api.patch("/v1/me", {"birth_date": "1990-02-14"}, token=ana.token)
    moved = coalition.api.patch("/v1/me", {"birth_date": "1990-12-14"}, token=ana.token)

    assert (given.status, given.json["birth_date"]) == (200, "1990-02-14")
    assert same.status == 200
    assert (moved.status, moved.error_code) == (422, "rule_violation")
    wallet = coalition.api.container.runtime.store.wallets.load(ana.member_id)
    assert (wallet.birth_date, wallet.birth_date_recorded_on) == ("1990-02-14", clock.now.date().isoformat())


def test_a_profile_change_keeps_what_a_purchase_wrote_meanwhile(coalition, shops, container, monkeypatch):
    """The profile is written over the wallet's version: a purchase landing between the read and the write is
    kept, and the change is applied again over it."""
    from chalicelib.services import profile
    from chalicelib.services.requests import ProfilePatch

    shop = shops[0]
    ana = coalition.member(shop)
    rt = container.runtime
    load = rt.store.wallets.load
    raced = []

    def load_then_purchase(member_id, **read):
        wallet = load(member_id, **read)
        if not raced:
            raced.append("purchase")  # (the purchase reads the wallet through here too)
            raced.append(coalition.purchase(shop, ana, "30.00").status)
        return wallet

    monkeypatch.setattr(rt.store.wallets, "load", load_then_purchase)
    written = profile.update_profile(rt, ana.member_id, ProfilePatch(name="Ana"))

    assert raced == ["purchase", 201]
    assert (written.profile.name, written.available) == ("Ana", 30)
    assert (coalition.me(ana)["name"], coalition.me(ana)["available_points"]) == ("Ana", 30)


# ---- the history ------------------------------------------------------------------------------------
def test_the_history_filters_by_partner_type_and_booking_days(coalition, shops, clock):
    market, fuel = shops
    ana = coalition.member(market)
    coalition.purchase(market, ana, "10.00", occurred_at=at(clock))  # day 1: earn 10 at market
    clock.advance(days=1)
    coalition.purchase(fuel, ana, "5.00", occurred_at=at(clock))  # day 2: earn 10 at fuel
    coalition.redeem(fuel, ana, 4)  # day 2: redeem 4 at fuel
    clock.advance(days=1)
    coalition.purchase(market, ana, "3.00", occurred_at=at(clock))  # day 3: earn 3 at market
    day = lambda n: (clock.now - timedelta(days=3 - n)).date().isoformat()  # noqa: E731

    def page(query):
        reply = coalition.api.get(f"/v1/me/entries?{query}", token=ana.token)
        assert reply.status == 200, reply.json
        return [(e["type"], e["partner_name"], e["points"]) for e in reply.json["entries"]]

    assert page("partner_id=fuel-co") == [("redeem", "Fuel-Co", -4), ("earn", "Fuel-Co", 10)]
    assert page("type=earn") == [("earn", "Fresh-Market", 3), ("earn", "Fuel-Co", 10), ("earn", "Fresh-Market", 10)]
    assert page(f"from={day(2)}&to={day(2)}") == [("redeem", "Fuel-Co", -4), ("earn", "Fuel-Co", 10)]
    assert page(f"from={day(2)}&type=earn&partner_id=fresh-market") == [("earn", "Fresh-Market", 3)]
    assert page(f"to={day(1)}") == [("earn", "Fresh-Market", 10)]
    assert page("partner_id=nobody") == []
    for bad in ("type=gift", "from=2026-13-01", f"from={day(3)}&to={day(1)}", "partner_id=Not%20an%20id"):
        reply = coalition.api.get(f"/v1/me/entries?{bad}", token=ana.token)
        assert (reply.status, reply.error_code) == (400, "invalid_request"), bad


def test_a_filter_that_matches_little_reads_a_bounded_page_and_its_cursor_reads_on(coalition, shops, meter):
    from tests.integration.test_request_costs import grow_history

    market, fuel = shops
    ana = coalition.member(market)
    coalition.purchase(fuel, ana, "1.00")  # the one fuel entry, under 250 market entries
    grow_history(coalition.api.container, ana.member_id, "fresh-market", 250)

    pages, cursor, reads = [], None, []
    while True:
        meter.reset()
        query = "partner_id=fuel-co&limit=10" + (f"&cursor={cursor}" if cursor else "")
        reply = coalition.api.get(f"/v1/me/entries?{query}", token=ana.token).json
        reads.append(
            [(c.operation, c.returned) for c in meter.calls if c.params.get("TableName", "").endswith("ledger")]
        )
        pages.append([e["type"] for e in reply["entries"]])
        cursor = reply["next_cursor"]
        if cursor is None:
            break

    assert pages == [[], [], ["earn"]]  # 250 market entries read 101 at a time, then the fuel one
    assert all(len(calls) == 1 and calls[0][1] <= 101 for calls in reads), reads


# ---- value, tier, expiry ----------------------------------------------------------------------------
def test_the_overview_says_what_keeps_the_tier_and_what_expires_within_sixty_days(coalition, shops, clock):
    market = shops[0]
    ana = coalition.member(market)
    coalition.purchase(market, ana, "2000.00", occurred_at=at(clock))  # 2000 qualifying points: silver
    me = coalition.me(ana)
    review_on = me["tier_progress"]["review_on"]
    # The review weighs the 12 months to its date: this month's points are out of that window by then.
    assert me["tier"] == "silver"
    assert me["tier_progress"]["keep"] == {
        "tier": "silver",
        "threshold": 2000,
        "counted": 0,
        "needed": 2000,
        "by": review_on,
    }
    assert me["available_value"] == "20.00" and me["expiring_soon"]["points"] == 0

    clock.advance(days=31)
    coalition.purchase(market, ana, "400.00", occurred_at=at(clock))  # 400 × 1.25 (silver) = 500, next month
    keep = coalition.me(ana)["tier_progress"]["keep"]
    assert (keep["counted"], keep["needed"]) == (500, 1500)

    first_expiry = coalition.me(ana)["expiring"][0]["on"]
    clock.now = clock.now.replace(year=int(first_expiry[:4]), month=int(first_expiry[5:7]), day=int(first_expiry[8:]))
    clock.advance(days=-61)
    assert coalition.me(ana)["expiring_soon"]["points"] == 0
    clock.advance(days=1)
    soon = coalition.me(ana)["expiring_soon"]
    assert soon == {"within_days": 60, "points": 2000, "value": "20.00", "first_on": first_expiry}
