"""Adversarial probes: PATCH /v1/me and the filtered history."""

from __future__ import annotations

import threading

import pytest

from chalicelib.store import ledger as ledger_store


@pytest.fixture
def world(coalition):
    market = coalition.partner("market")
    cinema = coalition.partner("cinema")
    member = coalition.member(market, email="p@example.com")
    return market, cinema, member


@pytest.mark.parametrize("name", ["\u202eevil", "a\u0085b", "a\u2028b", "\u200b", "a\u009bb"])
def test_name_must_be_printable(coalition, world, name):
    _, _, member = world
    reply = coalition.api.patch("/v1/me", {"name": name}, token=member.token)
    assert reply.status == 400, reply.json


def test_lone_surrogate_name_is_a_400_not_a_500(coalition, world):
    _, _, member = world
    raw = '{"name": "a\\ud800b"}'
    reply = coalition.api.request("PATCH", "/v1/me", raw=raw, token=member.token)
    assert reply.status == 400, reply.json


def test_consent_sent_again_keeps_its_date_and_a_change_is_dated(coalition, world, clock):
    _, _, member = world
    first = coalition.api.patch("/v1/me", {"consents": {"email": {"given": True}}}, token=member.token).json
    clock.advance(hours=3)
    again = coalition.api.patch(
        "/v1/me", {"consents": {"email": {"given": True}, "sms": {"given": False}}}, token=member.token
    ).json
    assert again["consents"]["email"]["at"] == first["consents"]["email"]["at"]
    assert again["consents"]["sms"]["at"] != first["consents"]["email"]["at"]


def test_birth_date_once(coalition, world):
    market, _, _ = world
    member = coalition.member(market, email="b@example.com", birth_date="1990-01-01")
    changed = coalition.api.patch("/v1/me", {"birth_date": "1990-02-01"}, token=member.token)
    same = coalition.api.patch("/v1/me", {"birth_date": "1990-01-01"}, token=member.token)
    assert changed.status == 422 and same.status == 200, (changed.json, same.json)


def test_birth_date_as_a_number_is_refused(coalition, world):
    _, _, member = world
    reply = coalition.api.patch("/v1/me", {"birth_date": 631152000}, token=member.token)
    assert reply.status == 400, reply.json


def test_concurrent_patches_lose_nothing(coalition, world, meter):
    _, _, member = world
    token = member.token
    meter.serialise = True  # moto applies one call at a time, as DynamoDB applies each atomically
    bodies = [
        {"name": "Ana"},
        {"interests": ["cinema"]},
        {"consents": {"push": {"given": True}}},
        {"preferred_partners": ["market"]},
    ]
    replies = []
    threads = [
        threading.Thread(target=lambda b=b: replies.append(coalition.api.patch("/v1/me", b, token=token)))
        for b in bodies
    ]
    [t.start() for t in threads]
    [t.join() for t in threads]
    me = coalition.api.get("/v1/me", token=token).json
    assert [r.status for r in replies] == [200] * 4
    assert (me["name"], me["interests"], me["preferred_partners"], me["consents"]["push"]["given"]) == (
        "Ana",
        ["cinema"],
        ["market"],
        True,
    )


def test_preferred_partner_suspended_later(coalition, world):
    _, _, member = world
    assert coalition.api.patch("/v1/me", {"preferred_partners": ["cinema"]}, token=member.token).status == 200
    assert (
        coalition.api.patch("/v1/admin/partners/cinema", {"status": "suspended"}, token=coalition.admin).status == 200
    )
    me = coalition.api.get("/v1/me", token=member.token)
    assert me.status == 200
    again = coalition.api.patch("/v1/me", {"interests": ["x1"]}, token=member.token)
    assert again.status == 200, again.json  # an unrelated change still works


# ---- history ---------------------------------------------------------------------------------------------
def walk(coalition, token, query, limit):
    seen, cursor, pages = [], None, 0
    while True:
        q = f"{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = coalition.api.get(f"/v1/me/entries?{q}", token=token)
        assert page.status == 200, page.json
        seen += [e["entry_id"] for e in page.json["entries"]]
        cursor = page.json["next_cursor"]
        pages += 1
        if cursor is None or pages > 200:
            return seen


@pytest.mark.parametrize("read", [3, 4, 7])
@pytest.mark.parametrize("limit", [1, 2, 5])
def test_filtered_paging_skips_and_repeats_nothing(coalition, world, monkeypatch, read, limit):
    market, cinema, member = world
    for i in range(9):
        key = market if i % 3 else cinema
        assert coalition.purchase(key, member, "1.00", transaction_id=f"t{i}").status == 201
    monkeypatch.setattr(ledger_store, "FILTERED_READ", read)
    everything = coalition.api.container.runtime.store.ledger.all_entries(member.member_id)
    for query, keep in (
        ("partner_id=cinema", lambda e: e.partner_id == "cinema"),
        ("partner_id=market&type=earn", lambda e: e.partner_id == "market" and e.type.value == "earn"),
    ):
        expected = [e.entry_id for e in reversed(everything) if keep(e)]
        assert walk(coalition, member.token, query, limit) == expected, query


def test_another_members_cursor_is_refused(coalition, world):
    market, _, member = world
    other = coalition.member(market, email="o@example.com")
    for i in range(3):
        coalition.purchase(market, other, "1.00", transaction_id=f"o{i}")
    cursor = coalition.api.get("/v1/me/entries?limit=1", token=other.token).json["next_cursor"]
    reply = coalition.api.get(f"/v1/me/entries?limit=1&cursor={cursor}", token=member.token)
    assert reply.status == 400
    reply = coalition.api.get(f"/v1/me/entries?limit=1&partner_id=market&cursor={cursor}", token=member.token)
    assert reply.status == 400


def test_from_after_to_and_bad_type(coalition, world):
    _, _, member = world
    assert coalition.api.get("/v1/me/entries?from=2026-11-25&to=2026-11-24", token=member.token).status == 400
    assert coalition.api.get("/v1/me/entries?type=nope", token=member.token).status == 400
    assert coalition.api.get("/v1/me/entries?from=2026-13-01", token=member.token).status == 400
    assert coalition.api.get("/v1/me/entries?partner_id=ZZ%20", token=member.token).status == 400
