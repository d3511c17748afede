"""Cost is a feature: DynamoDB calls per request, counted, at 5 and at 500 entries of history."""

from __future__ import annotations

import pytest

from chalicelib.services import earning
from chalicelib.services.auth import partner_profile
from chalicelib.services.requests import PurchaseRequest
from chalicelib.store.models import EntryItem


def grow_history(container, member_id: str, partner_id: str, entries: int) -> None:
    """Book purchases through the use case (not HTTP: faster) until the member has `entries` entries."""
    rt = container.runtime
    partner = partner_profile(rt, partner_id)
    for n in range(len(list(EntryItem.query(member_id))), entries):
        request = PurchaseRequest.model_validate(
            {
                "transaction_id": f"history-{n}",
                "member": {"member_id": member_id},
                "amount": "1.00",
                "currency": "EUR",
                "occurred_at": "2026-11-23T09:00:00Z",
                "channel": "store",
            }
        )
        earning.earn_points(rt, partner, request)


def measure(coalition, meter, key, member, tag: str) -> dict[str, list[str]]:
    calls = {}
    for name, send in {
        "GET /v1/me": lambda: coalition.api.get("/v1/me", token=member.token),
        "POST /v1/transactions": lambda: coalition.purchase(key, member, "10.00", transaction_id=f"cost-{tag}"),
        "POST /v1/redemptions": lambda: coalition.redeem(key, member, 3, redemption_id=f"cost-{tag}"),
        "GET /v1/me/entries": lambda: coalition.api.get("/v1/me/entries?limit=25", token=member.token),
    }.items():
        meter.reset()
        reply = send()
        assert reply.status in (200, 201), reply.json
        calls[name] = [call.operation for call in meter.calls]
    return calls


WARM = {  # a warm container: the API key, the partner, the programme and the partners' names come from memory
    "GET /v1/me": ["GetItem"],
    "POST /v1/transactions": ["GetItem", "TransactWriteItems"],
    "POST /v1/redemptions": ["GetItem", "GetItem", "TransactWriteItems"],  # the card's alias, then the wallet
    "GET /v1/me/entries": ["Query"],
}
COLD = {  # every read made: + the API key; + partner, programme, campaigns and challenges for an earn; + the user's
    # link to the member and the programme for /v1/me; + programme for a redemption (the entry records the point value)
    "GET /v1/me": ["GetItem", "GetItem", "GetItem"],
    "POST /v1/transactions": ["GetItem", "GetItem", "GetItem", "Query", "Query", "GetItem", "TransactWriteItems"],
    # the API key, the card's alias, the programme, the wallet
    "POST /v1/redemptions": ["GetItem", "GetItem", "GetItem", "GetItem", "TransactWriteItems"],
    "GET /v1/me/entries": ["GetItem", "Query", "Query"],  # the user's link, the entries, the partners' names
}


@pytest.mark.slow
def test_calls_per_request_do_not_grow_with_history(coalition, container, meter):
    key = coalition.partner("shop")
    member = coalition.member(key)
    assert member.token  # (the member's user signs up and is linked on first use: not measured)
    cache = container.runtime.cache
    container.settings.key_cache_seconds = 300  # warm means warm, however slow the machine (credentials: 5 s)

    def both_modes(tag: str) -> tuple[dict, dict]:
        cache._seconds = 0
        cold = measure(coalition, meter, key, member, f"{tag}-cold")
        cache._seconds = 3600  # warm: nothing expires during the measurement, however loaded the machine
        coalition.purchase(key, member, "1.00")  # fills the cache
        coalition.api.get("/v1/me/entries?limit=1", token=member.token)  # and the partners' names
        warm = measure(coalition, meter, key, member, f"{tag}-warm")
        return cold, warm

    grow_history(container, member.member_id, "shop", 5)
    at_5 = both_modes("small")
    grow_history(container, member.member_id, "shop", 500)
    at_500 = both_modes("large")

    assert at_5 == at_500 == (COLD, WARM)


def test_a_card_number_costs_one_alias_read_more(coalition, container, meter):
    container.runtime.cache._seconds = 3600  # warm: nothing expires during the measurement
    container.settings.key_cache_seconds = 300
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "1.00")
    meter.reset()

    body = {"redemption_id": "by-card", "member": {"card_number": member.card_number}, "points": 1}
    assert coalition.api.post("/v1/redemptions", body, token=key).status == 201

    assert [c.operation for c in meter.calls] == ["GetItem", "GetItem", "TransactWriteItems"]
    assert [c.items for c in meter.calls][-1] == 3  # operation record + wallet + one ledger entry


def test_a_replay_costs_a_read_of_the_stored_answer_and_writes_nothing(coalition, meter):
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "10.00", transaction_id="t1")
    meter.reset()

    replay = coalition.purchase(key, member, "10.00", transaction_id="t1")

    assert replay.replayed
    writes = [c for c in meter.calls if c.operation in ("TransactWriteItems", "PutItem", "UpdateItem")]
    assert len(writes) == 1  # the attempt, cancelled by the operation record's condition


def test_the_member_routes_cost_a_few_calls_whatever_the_history(coalition, container, meter, settings):
    """Issue 9's routes, warm: the link of the user to the member, the programme and the partners' names cached."""
    from tests.support.cognito import sign_up

    container.runtime.cache._seconds = 3600  # warm: nothing expires during the measurement
    container.settings.key_cache_seconds = 300  # the user's link stays cached, however slow the machine
    key = coalition.partner("shop")
    member = coalition.member(key)
    grow_history(container, member.member_id, "shop", 150)
    coalition.api.get("/v1/me/entries?limit=1", token=member.token)  # fills the cache
    till_enrolled = coalition.api.post("/v1/members", {"email": "till@example.com"}, token=key).json
    claimant, newcomer = sign_up(settings, "till@example.com"), sign_up(settings, "new@example.com")

    def cost(method: str, path: str, token: str, body=None) -> list[tuple[str, int]]:
        meter.reset()
        reply = coalition.api.request(method, path, token=token, body=body)
        assert reply.status in (200, 201, 204), reply.json
        return [(c.operation, c.items) for c in meter.calls]

    assert cost("PATCH", "/v1/me", member.token, {"name": "Ana"}) == [("GetItem", 1), ("TransactWriteItems", 1)]
    assert cost("GET", "/v1/me/entries?type=earn&limit=10", member.token) == [("Query", 1)]
    assert cost("GET", "/v1/me/export", member.token) == [("GetItem", 1), ("Query", 1), ("Query", 1)]
    # Not linked yet: the user's link is looked up (a miss is not cached), then the member written with its aliases
    enrolment = cost("POST", "/v1/me/enrolment", newcomer, {})
    assert enrolment == [("GetItem", 1), ("TransactWriteItems", 5)]  # the member + link, card, referral, email
    assert cost("POST", "/v1/me/claims", claimant, {}) == [
        ("GetItem", 1),  # the user's link: none
        ("GetItem", 1),  # the verified email's alias
        ("GetItem", 1),  # the member
        ("TransactWriteItems", 2),  # the member, the link
    ]
    assert till_enrolled["member_id"] == coalition.api.get("/v1/me", token=claimant).json["member_id"]
    erase = cost("DELETE", "/v1/me", member.token)
    # the member, its forfeit and status entries, 4 aliases deleted (card, referral, email, link); + AdminDeleteUser
    assert erase == [("GetItem", 1), ("GetItem", 1), ("TransactWriteItems", 7)]


def test_the_api_function_reads_the_programme_in_its_init_so_a_first_purchase_reads_only_its_callers(
    coalition, container, meter
):
    """app.prepare("app.app") in Lambda's init: the programme, the campaigns and the challenges are read then;
    the container's first purchase reads only what belongs to its caller (key, partner) and the wallet."""
    key = coalition.partner("shop")
    member = coalition.member(key)
    cache = container.runtime.cache
    cache._seconds = 3600  # nothing expires during the measurement, however loaded the machine
    cache._values.clear()  # a new container

    meter.reset()
    container.prepare(configuration=True)
    # the programme, the campaigns, the challenges
    assert sorted(call.operation for call in meter.calls) == ["GetItem", "Query", "Query"]

    meter.reset()
    reply = coalition.purchase(key, member, "10.00", transaction_id="first-of-a-container")
    assert reply.status == 201, reply.json
    # the API key, the partner, the wallet; then the booking
    assert [call.operation for call in meter.calls] == ["GetItem", "GetItem", "GetItem", "TransactWriteItems"]
