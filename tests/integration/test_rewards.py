"""The rewards catalogue (issue 8): partners and the operator publish rewards; a member claims one with points,
spent at the offerer like a redemption; the offerer fulfils or cancels (the points come back); stock and
per-member limits hold under races."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from decimal import Decimal

from chalicelib.domain.errors import OutOfStock
from chalicelib.services import rewards
from chalicelib.services.requests import RewardClaimRequest
from chalicelib.store.models import RewardItem
from tests.support.aws import table_snapshot
from tests.support.ledger import assert_invariants
from tests.support.wallets import stored_wallet

CINEMA_TICKET = {
    "reward_id": "cinema-ticket",
    "name": "A cinema ticket",
    "description": "Any film, any day",
    "points": 400,
    "stock": 20,
    "valid_from": "2026-11-01T00:00:00Z",
    "valid_until": "2027-01-01T00:00:00Z",
    "channels": ["store"],
}


def publish(coalition, key, **changes):
    return coalition.api.post("/v1/rewards", {**CINEMA_TICKET, **changes}, token=key)


def claim(coalition, member, claim_id="c-1", reward_id="cinema-ticket"):
    return coalition.api.post(f"/v1/me/rewards/{reward_id}/claims", {"claim_id": claim_id}, token=member.token)


def close(coalition, clock, day):
    clock.now = datetime.fromisoformat(day).replace(hour=23, minute=59, tzinfo=timezone.utc)
    clock.advance(hours=2)
    return coalition.api.post(f"/v1/admin/settlements/{day}/close", token=coalition.admin).json


def test_a_member_claims_a_reward_with_points_spent_at_the_offerer_and_settled_like_a_redemption(coalition, clock):
    market, cinema = coalition.partner("market"), coalition.partner("cinema")
    ana = coalition.member(market)
    coalition.purchase(market, ana, "1000.00")
    published = publish(coalition, cinema)

    listed = coalition.api.get("/v1/rewards", token=ana.token).json
    made = claim(coalition, ana)
    replay = claim(coalition, ana)
    same_id_other_reward = claim(coalition, ana, reward_id="popcorn")
    unknown = claim(coalition, ana, "c-2", reward_id="popcorn")

    assert published.status == 201, published.json
    assert (published.json["offered_by"], published.json["remaining"], published.json["claimed"]) == ("cinema", 20, 0)
    assert [r["reward_id"] for r in listed["rewards"]] == ["cinema-ticket"] and listed["next_cursor"] is None
    assert made.status == 201, made.json
    assert (made.json["points"], made.json["available_points"], made.json["status"]) == (400, 600, "claimed")
    assert made.json["offered_by"] == "cinema" and len(made.json["code"]) == 19
    assert replay.replayed and replay.body == made.body
    assert (same_id_other_reward.status, same_id_other_reward.error_code) == (409, "idempotency_conflict")
    assert (unknown.status, unknown.error_code) == (404, "not_found")
    entry = coalition.api.get("/v1/me/entries?limit=1", token=ana.token).json["entries"][0]
    assert (entry["type"], entry["partner_id"], entry["points"], entry["reference"]) == (
        "reward",
        "cinema",
        -400,
        made.json["code"],
    )
    assert sum(line["points"] for line in entry["breakdown"]) == -400
    assert RewardItem.get("REWARD#cinema-ticket").claimed == 1
    assert assert_invariants() == {"market": 600}
    day = close(coalition, clock, "2026-11-23")
    assert day["transfers"] == [{"from": "market", "to": "cinema", "kind": "redemption", "amount": "4.00"}]
    assert day["partners"]["cinema"]["redeemed_here"] == {"market": 400}


def test_the_offerer_fulfils_or_cancels_a_claim_and_a_cancel_gives_the_points_and_the_stock_back(coalition, clock):
    market, cinema, books = coalition.partner("market"), coalition.partner("cinema"), coalition.partner("books")
    ana = coalition.member(market)
    coalition.purchase(market, ana, "1000.00")
    publish(coalition, cinema)
    first = claim(coalition, ana, "c-1").json["code"]
    second = claim(coalition, ana, "c-2").json["code"]

    seen_by_till = coalition.api.get(f"/v1/reward-claims/{first}", token=cinema)
    not_theirs = coalition.api.post(f"/v1/reward-claims/{first}/fulfil", token=books)
    fulfilled = coalition.api.post(f"/v1/reward-claims/{first}/fulfil", token=cinema)
    fulfilled_again = coalition.api.post(f"/v1/reward-claims/{first}/fulfil", token=cinema)
    too_late = coalition.api.post(f"/v1/reward-claims/{first}/cancel", token=cinema)
    day_one = close(coalition, clock, "2026-11-23")
    cancelled = coalition.api.post(f"/v1/reward-claims/{second}/cancel", token=cinema)
    cancelled_again = coalition.api.post(f"/v1/reward-claims/{second}/cancel", token=cinema)
    not_after_cancel = coalition.api.post(f"/v1/reward-claims/{second}/fulfil", token=cinema)
    unknown = coalition.api.post("/v1/reward-claims/ABCD-EFGH-JKMN-P234/fulfil", token=cinema)

    assert (seen_by_till.status, seen_by_till.json["status"], seen_by_till.json["reward_name"]) == (
        200,
        "claimed",
        "A cinema ticket",
    )
    assert (not_theirs.status, not_theirs.error_code) == (404, "not_found")
    assert (fulfilled.status, fulfilled.json["status"]) == (200, "fulfilled")
    assert fulfilled_again.json == fulfilled.json
    assert (too_late.status, too_late.error_code) == (422, "claim_not_open")
    assert (cancelled.status, cancelled.json["status"], cancelled.json["points_given_back"]) == (200, "cancelled", 400)
    assert cancelled_again.replayed and cancelled_again.body == cancelled.body
    assert (not_after_cancel.status, not_after_cancel.error_code) == (422, "claim_not_open")
    assert unknown.status == 404
    assert coalition.me(ana)["available_points"] == 600  # 1000 − 400 fulfilled; the cancelled 400 came back
    listed = coalition.api.get("/v1/rewards", token=cinema).json["rewards"][0]
    assert (listed["claimed"], listed["remaining"]) == (1, 19)
    assert assert_invariants() == {"market": 600}
    assert day_one["transfers"] == [{"from": "market", "to": "cinema", "kind": "redemption", "amount": "8.00"}]
    day_two = close(coalition, clock, "2026-11-24")  # the cancel gives 4.00 back, at the claim's point value
    assert day_two["transfers"] == [{"from": "cinema", "to": "market", "kind": "reversal", "amount": "4.00"}]
    assert day_two["net_total"] == "0.00"


def test_forty_members_claiming_a_stock_of_twenty_at_once_get_exactly_twenty(coalition, container, meter):
    market, cinema = coalition.partner("market"), coalition.partner("cinema")
    members = [coalition.member(market) for _ in range(40)]
    for member in members:
        coalition.purchase(market, member, "500.00")
    publish(coalition, cinema)
    meter.serialise = True  # each DynamoDB call atomic, as on AWS
    rt = container.runtime

    def take(n: int) -> str:
        try:
            rewards.claim_reward(rt, members[n].member_id, "cinema-ticket", RewardClaimRequest(claim_id=f"c-{n}"))
            return "claimed"
        except OutOfStock:
            return "out_of_stock"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(take, range(40), timeout=300))

    assert sorted(outcomes) == ["claimed"] * 20 + ["out_of_stock"] * 20
    assert RewardItem.get("REWARD#cinema-ticket").claimed == 20
    balances = sorted(stored_wallet(m.member_id).lot_points for m in members)
    assert balances == [100] * 20 + [500] * 20
    assert assert_invariants() == {"market": 20 * 100 + 20 * 500}


def test_a_member_holds_no_more_claims_than_the_limit_and_a_cancel_frees_one(coalition):
    market, cinema = coalition.partner("market"), coalition.partner("cinema")
    ana = coalition.member(market)
    coalition.purchase(market, ana, "2000.00")
    publish(coalition, cinema, per_member_limit=1)

    first = claim(coalition, ana, "c-1")
    second = claim(coalition, ana, "c-2")
    coalition.api.post(f"/v1/reward-claims/{first.json['code']}/cancel", token=cinema)
    after_cancel = claim(coalition, ana, "c-3")

    assert first.status == 201
    assert (second.status, second.error_code, second.json["error"]["field"]) == (422, "rule_violation", "reward_id")
    assert after_cancel.status == 201
    assert coalition.me(ana)["available_points"] == 2000 - 400


def test_the_window_the_tiers_the_status_and_the_stock_decide_what_a_member_sees_and_can_claim(coalition, clock):
    market, cinema = coalition.partner("market"), coalition.partner("cinema")
    ana = coalition.member(market)
    coalition.purchase(market, ana, "1000.00")
    publish(coalition, cinema, reward_id="later", valid_from="2026-12-01T00:00:00Z")
    publish(coalition, cinema, reward_id="gold-only", tiers=["gold"])
    publish(coalition, cinema, reward_id="gone", status="withdrawn")
    publish(coalition, cinema, reward_id="sold-out", stock=0)
    publish(coalition, cinema, reward_id="open")

    listed = coalition.api.get("/v1/rewards", token=ana.token).json["rewards"]
    refused = {r: claim(coalition, ana, f"c-{r}", r) for r in ("later", "gold-only", "gone", "sold-out")}
    own = coalition.api.get("/v1/rewards", token=cinema).json["rewards"]
    clock.now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    listed_in_december = coalition.api.get("/v1/rewards", token=ana.token).json["rewards"]

    assert [r["reward_id"] for r in listed] == ["open"]
    assert {r: (reply.status, reply.error_code) for r, reply in refused.items()} == {
        "later": (422, "rule_violation"),
        "gold-only": (422, "rule_violation"),
        "gone": (422, "rule_violation"),
        "sold-out": (422, "out_of_stock"),
    }
    assert [r["reward_id"] for r in own] == ["gold-only", "gone", "later", "open", "sold-out"]
    assert [r["reward_id"] for r in listed_in_december] == ["later", "open"]
    assert coalition.me(ana)["available_points"] == 1000


def test_a_put_changes_the_terms_but_never_the_claims_taken(coalition):
    market, cinema, books = coalition.partner("market"), coalition.partner("cinema"), coalition.partner("books")
    ana, ben = coalition.member(market), coalition.member(market)
    for member in (ana, ben):
        coalition.purchase(market, member, "1000.00")
    publish(coalition, cinema)
    claim(coalition, ana, "c-1")
    claim(coalition, ben, "c-1")
    terms = {k: v for k, v in CINEMA_TICKET.items() if k != "reward_id"}

    lowered = coalition.api.put("/v1/rewards/cinema-ticket", {**terms, "stock": 2, "points": 300}, token=cinema)
    by_another = coalition.api.put("/v1/rewards/cinema-ticket", {**terms, "stock": 99}, token=books)
    third = claim(coalition, ana, "c-2")

    assert (lowered.status, lowered.json["claimed"], lowered.json["remaining"], lowered.json["points"]) == (
        200,
        2,
        0,
        300,
    )
    assert (by_another.status, by_another.error_code) == (404, "not_found")
    assert (third.status, third.error_code) == (422, "out_of_stock")


def test_publishing_refuses_bad_terms_and_a_taken_id_and_writes_nothing(coalition):
    cinema, books = coalition.partner("cinema"), coalition.partner("books")
    first = publish(coalition, cinema)
    retried = publish(coalition, cinema)
    before = table_snapshot(coalition.api.container.settings)

    cases = {
        "taken by another": publish(coalition, books),
        "same id, other terms": publish(coalition, cinema, points=500),
        "points as text": publish(coalition, cinema, reward_id="x1", points="400"),
        "ends before it starts": publish(coalition, cinema, reward_id="x2", valid_until="2026-10-01T00:00:00Z"),
        "unknown tier": publish(coalition, cinema, reward_id="x3", tiers=["platinum"]),
        "bad id": publish(coalition, cinema, reward_id="Cinema Ticket"),
        "unknown field": publish(coalition, cinema, reward_id="x4", colour="red"),
        "no such channel": publish(coalition, cinema, reward_id="x5", channels=["phone"]),
    }

    assert first.status == 201 and retried.status == 201 and retried.json == first.json
    assert {name: (reply.status, reply.error_code) for name, reply in cases.items()} == {
        "taken by another": (409, "idempotency_conflict"),
        "same id, other terms": (409, "idempotency_conflict"),
        "points as text": (400, "invalid_request"),
        "ends before it starts": (400, "invalid_request"),
        "unknown tier": (422, "rule_violation"),
        "bad id": (400, "invalid_request"),
        "unknown field": (400, "invalid_request"),
        "no such channel": (400, "invalid_request"),
    }
    assert table_snapshot(coalition.api.container.settings) == before


def test_the_operator_offers_rewards_too_paid_by_the_issuers_of_the_points(coalition, clock):
    market = coalition.partner("market")
    ana = coalition.member(market)
    coalition.purchase(market, ana, "1000.00")
    published = publish(coalition, coalition.admin, reward_id="lounge", points=250, stock=None)
    made = claim(coalition, ana, "c-1", "lounge")
    everything = coalition.api.get("/v1/rewards", token=coalition.admin).json["rewards"]
    fulfilled = coalition.api.post(f"/v1/reward-claims/{made.json['code']}/fulfil", token=coalition.admin)

    assert (published.status, published.json["offered_by"], published.json["remaining"]) == (201, "operator", None)
    assert (made.status, fulfilled.json["status"]) == (201, "fulfilled")
    assert [r["reward_id"] for r in everything] == ["lounge"]
    day = close(coalition, clock, "2026-11-23")
    assert day["transfers"] == [{"from": "market", "to": "operator", "kind": "redemption", "amount": "2.50"}]
    assert {p: n for p, n in day["net_positions"].items() if Decimal(n)} == {"market": "-2.50", "operator": "2.50"}


def test_claiming_costs_two_reads_and_one_transaction_whatever_the_history(coalition, container, meter):
    market, cinema = coalition.partner("market"), coalition.partner("cinema")
    ana = coalition.member(market)
    for n in range(30):  # a long history: many entries, lots by month
        coalition.purchase(market, ana, "100.00", transaction_id=f"t-{n}")
    publish(coalition, cinema)
    container.runtime.cache._seconds = 3600  # warm: nothing expires during the measurement
    container.settings.key_cache_seconds = 300
    claim(coalition, ana, "warm-up")  # the programme and the partner's key are now cached
    meter.reset()

    made = claim(coalition, ana, "c-1")
    claim_calls = [c.operation for c in meter.calls]
    claim_items = meter.calls[-1].items
    meter.reset()
    coalition.api.post(f"/v1/reward-claims/{made.json['code']}/cancel", token=cinema)
    cancel_calls = [c.operation for c in meter.calls]

    assert made.status == 201
    assert claim_calls == ["GetItem", "GetItem", "TransactWriteItems"]  # the reward, the wallet; then the booking
    # the record, wallet, entry, claim, the reward's counter, the member's uses (the same six for a cancel)
    assert claim_items == 6 and meter.calls[-1].items == 6
    assert cancel_calls[-3:] == ["GetItem", "GetItem", "TransactWriteItems"]  # the claim, the wallet; the booking
    assert len(cancel_calls) <= 4  # (+ the partner's key, when not cached)


def test_a_suspended_offerers_rewards_are_hidden_and_refused_and_the_operator_cancels_its_claims(coalition):
    market, cinema = coalition.partner("market"), coalition.partner("cinema")
    ana = coalition.member(market)
    coalition.purchase(market, ana, "1000.00")
    publish(coalition, cinema)
    code = claim(coalition, ana, "c-1").json["code"]
    coalition.api.patch("/v1/admin/partners/cinema", {"status": "suspended"}, token=coalition.admin)

    listed = coalition.api.get("/v1/rewards", token=ana.token).json["rewards"]
    refused = claim(coalition, ana, "c-2")
    seen = coalition.api.get(f"/v1/reward-claims/{code}", token=coalition.admin)
    cancelled = coalition.api.post(f"/v1/reward-claims/{code}/cancel", token=coalition.admin)

    assert listed == []
    assert (refused.status, refused.error_code) == (422, "rule_violation")
    assert seen.status == 200 and (cancelled.status, cancelled.json["status"]) == (200, "cancelled")
    assert coalition.me(ana)["available_points"] == 1000
    entry = coalition.api.get("/v1/me/entries?limit=1", token=ana.token).json["entries"][0]
    assert (entry["type"], entry["partner_id"], entry["points"]) == ("reward_cancel", "cinema", 400)  # cinema repays
    assert assert_invariants() == {"market": 1000}


def test_dates_keep_their_milliseconds_and_stay_in_calendar_years_a_catalogue_means(coalition):
    cinema = coalition.partner("cinema")
    precise = {"reward_id": "precise", "valid_from": "2026-11-01T00:00:00.5+01:00"}

    first = publish(coalition, cinema, **precise)
    retried = publish(coalition, cinema, **precise)
    listed = coalition.api.get("/v1/rewards", token=cinema).json["rewards"]
    refused = [
        publish(coalition, cinema, reward_id="old", valid_from="0999-01-01T00:00:00Z"),
        publish(coalition, cinema, reward_id="edge", valid_from="0001-01-01T00:00:00+01:00"),
        publish(coalition, cinema, reward_id="far", valid_until="9999-12-31T23:00:00-14:00"),
    ]

    assert first.status == 201 and first.json["valid_from"] == "2026-10-31T23:00:00.500Z"
    assert (retried.status, retried.replayed, retried.json) == (201, True, first.json)
    assert listed[0]["valid_from"] == "2026-10-31T23:00:00.500Z"
    assert [(r.status, r.error_code) for r in refused] == [(400, "invalid_request")] * 3


def test_pages_of_claims_and_of_an_offerers_own_rewards(coalition):
    market, cinema, books = coalition.partner("market"), coalition.partner("cinema"), coalition.partner("books")
    ana = coalition.member(market)
    coalition.purchase(market, ana, "5000.00")
    for n in range(3):
        publish(coalition, cinema, reward_id=f"a-cinema-{n}", points=100)
    publish(coalition, books, reward_id="z-books")
    for n in range(3):
        claim(coalition, ana, f"c-{n}", f"a-cinema-{n}")

    first = coalition.api.get("/v1/me/reward-claims?limit=2", token=ana.token).json
    second = coalition.api.get(f"/v1/me/reward-claims?limit=2&cursor={first['next_cursor']}", token=ana.token).json
    foreign = coalition.api.get(
        f"/v1/me/reward-claims?cursor={first['next_cursor']}", token=coalition.member(market).token
    )
    books_page = coalition.api.get("/v1/rewards?limit=1", token=books).json
    long_id = coalition.api.put(
        "/v1/rewards/" + "a" * 3000, {k: v for k, v in CINEMA_TICKET.items() if k != "reward_id"}, token=cinema
    )

    codes = [c["claim_id"] for c in first["claims"] + second["claims"]]
    assert sorted(codes) == ["c-0", "c-1", "c-2"] and second["next_cursor"] is None
    assert (foreign.status, foreign.error_code) == (400, "invalid_request")
    assert [r["reward_id"] for r in books_page["rewards"]] == ["z-books"] and books_page["next_cursor"] is None
    assert (long_id.status, long_id.error_code) == (404, "not_found")


def test_a_claim_writes_nothing_to_the_catalogue_indexes():
    """Every claim moves its reward's counter: the indexes hold keys only, so no claim writes to their partitions."""
    from localdev.infra import declared_resources

    indexes = declared_resources()["RewardsTable"]["Properties"]["GlobalSecondaryIndexes"]
    projections = {index["IndexName"]: index["Projection"]["ProjectionType"] for index in indexes}
    assert projections["catalogue"] == projections["by_offerer"] == "KEYS_ONLY"
