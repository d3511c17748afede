"""Late credits by customer service (issue 9): a purchase older than the partner's posting window, credited on its
receipt as that partner's purchase (its points, its fee), once per late_credit_id and once per purchase: the
partner's own post of the transaction and the late credit exclude each other."""

from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.services import earning
from chalicelib.services.requests import PurchaseRequest
from tests.support.aws import table_snapshot
from tests.support.ledger import assert_invariants

OLD = "2026-07-01T12:00:00Z"  # 145 days before the clock's 2026-11-23: past the 90-day posting window


def late_credit(coalition, member, late_credit_id, transaction_id, amount="120.00", token=None, **changes):
    body = {
        "late_credit_id": late_credit_id,
        "partner_id": "market",
        "transaction_id": transaction_id,
        "amount": amount,
        "currency": "EUR",
        "occurred_at": OLD,
        "receipt": "R-0042 till 3",
        "reason": "the till was offline; receipt shown at the desk",
        **changes,
    }
    return coalition.api.post(
        f"/v1/admin/members/{member.member_id}/late-credits", body, token=token or coalition.admin
    )


def close(coalition, clock, day):
    clock.now = datetime.fromisoformat(day).replace(hour=23, minute=59, tzinfo=timezone.utc)
    clock.advance(hours=2)
    return coalition.api.post(f"/v1/admin/settlements/{day}/close", token=coalition.admin).json


def test_a_late_credit_earns_as_the_partners_purchase_once_whoever_posts_it(coalition, clock):
    market = coalition.partner("market", fee_per_point="0.002")
    ana = coalition.member(market)
    posted = coalition.purchase(market, ana, "30.00", transaction_id="t-posted")  # inside the window: 30 points

    credit = late_credit(coalition, ana, "lc-1", "t-old")
    replay = late_credit(coalition, ana, "lc-1", "t-old")
    other_body = late_credit(coalition, ana, "lc-1", "t-old", amount="99.00")
    second_for_it = late_credit(coalition, ana, "lc-2", "t-old")
    already_posted = late_credit(coalition, ana, "lc-3", "t-posted")
    by_the_partner = coalition.purchase(market, ana, "120.00", transaction_id="t-old")  # dated today
    as_it_was = coalition.purchase(market, ana, "120.00", transaction_id="t-old", occurred_at=OLD)

    assert posted.status == 201 and credit.status == 201, credit.json
    assert credit.json == {
        "entry_id": f"{ana.member_id}-000002",
        "transaction_id": "t-old",
        "member_id": ana.member_id,
        "points": 120,
        "breakdown": credit.json["breakdown"],
        "available_points": 150,
        "tier": "member",
        "late_credit_id": "lc-1",
        "partner_id": "market",
        "receipt": "R-0042 till 3",
    }
    assert [line["rule"] for line in credit.json["breakdown"]] == ["base_rate"]
    assert sum(line["points"] for line in credit.json["breakdown"]) == 120
    assert replay.replayed and (replay.status, replay.body) == (201, credit.body)
    assert (other_body.status, other_body.error_code) == (409, "idempotency_conflict")
    assert (second_for_it.status, second_for_it.error_code, second_for_it.json["error"]["field"]) == (
        409,
        "already_posted",
        "transaction_id",
    )
    assert (already_posted.status, already_posted.error_code) == (409, "already_posted")
    assert [(r.status, r.error_code) for r in (by_the_partner, as_it_was)] == [(409, "idempotency_conflict")] * 2
    assert coalition.me(ana)["available_points"] == 150
    entry = coalition.api.get("/v1/me/entries?limit=1", token=ana.token).json["entries"][0]
    assert (entry["type"], entry["partner_id"], entry["reference"], entry["points"]) == ("earn", "market", "t-old", 120)

    # The partner returns part of it as it would any purchase of its own: the facts are in its purchase record.
    returned = coalition.api.post(
        "/v1/transactions/t-old/returns", {"return_id": "ret-1", "amount": "20.00"}, token=market
    )
    assert (returned.status, returned.json["points_reversed"], returned.json["available_points"]) == (201, 20, 130)
    assert assert_invariants() == {"market": 130}
    assert coalition.api.get("/v1/admin/reconciliation", token=coalition.admin).json["ok"] is True

    day = close(coalition, clock, "2026-11-23")
    statement = day["partners"]["market"]
    # issued 30 + 120, returned 20: the fee on 130 at 0.002 = 0.26, the late credit's as any issuance
    assert (statement["issued_points"], statement["returned_points"], statement["fees"]) == (150, 20, "0.26")
    assert day["transfers"] == [{"from": "market", "to": "operator", "kind": "fee", "amount": "0.26"}]
    assert day["net_total"] == "0.00"


def test_late_credits_refuse_what_they_cannot_do_and_write_nothing(coalition):
    market = coalition.partner("market")
    coalition.partner("gone")
    coalition.api.patch("/v1/admin/partners/gone", {"status": "suspended"}, token=coalition.admin)
    ana, ben = coalition.member(market), coalition.member(market)
    coalition.api.patch(f"/v1/admin/members/{ben.member_id}", {"status": "suspended"}, token=coalition.admin)
    before = table_snapshot(coalition.api.container.settings)

    cases = {
        "inside the window": late_credit(coalition, ana, "l-1", "t-1", occurred_at="2026-09-01T12:00:00Z"),
        "in the future": late_credit(coalition, ana, "l-2", "t-2", occurred_at="2026-11-24T12:00:00Z"),
        "another currency": late_credit(coalition, ana, "l-3", "t-3", currency="USD"),
        "a suspended partner": late_credit(coalition, ana, "l-4", "t-4", partner_id="gone"),
        "no such partner": late_credit(coalition, ana, "l-5", "t-5", partner_id="nobody"),
        "a suspended member": late_credit(coalition, ben, "l-6", "t-6"),
        "no receipt": late_credit(coalition, ana, "l-7", "t-7", receipt=""),
        "a bad amount": late_credit(coalition, ana, "l-8", "t-8", amount="12.345"),
        "unknown member": coalition.api.post(
            "/v1/admin/members/m_00000000000000000000/late-credits",
            {
                "late_credit_id": "l-9",
                "partner_id": "market",
                "transaction_id": "t-9",
                "amount": "10.00",
                "currency": "EUR",
                "occurred_at": OLD,
                "receipt": "R-1",
                "reason": "lost",
            },
            token=coalition.admin,
        ),
        "a partner": late_credit(coalition, ana, "l-10", "t-10", token=market),
    }

    assert {name: (r.status, r.error_code) for name, r in cases.items()} == {
        "inside the window": (422, "within_posting_window"),
        "in the future": (400, "invalid_request"),
        "another currency": (422, "currency_mismatch"),
        "a suspended partner": (422, "rule_violation"),
        "no such partner": (404, "not_found"),
        "a suspended member": (422, "member_inactive"),
        "no receipt": (400, "invalid_request"),
        "a bad amount": (400, "invalid_request"),
        "unknown member": (404, "not_found"),
        "a partner": (403, "forbidden"),
    }
    assert table_snapshot(coalition.api.container.settings) == before


def test_a_partner_posting_the_transaction_while_the_credit_commits_wins_alone(coalition, container, meter):
    """The partner's post commits between the late credit's reads and its transaction: the purchase record, created
    only if absent in that transaction, refuses the late credit; the purchase earned once."""
    market = coalition.partner("market")
    ana = coalition.member(market)
    raced: list[int] = []
    partner = container.runtime.store.directory.get_partner("market")

    def partner_posts_first(call, proceed):
        if call.operation == "TransactWriteItems" and not raced:
            raced.append(0)
            request = PurchaseRequest(
                transaction_id="t-race",
                member={"member_id": ana.member_id},
                amount="120.00",
                currency="EUR",
                occurred_at="2026-11-23T09:00:00Z",
                channel="store",
            )
            raced.append(earning.earn_points(container.runtime, partner, request).status)
        return proceed()

    meter.faults.append(partner_posts_first)
    credit = late_credit(coalition, ana, "lc-race", "t-race")
    meter.faults.clear()

    assert raced == [0, 201]
    assert (credit.status, credit.error_code) == (409, "already_posted")
    assert coalition.me(ana)["available_points"] == 120
    assert assert_invariants() == {"market": 120}


def test_a_late_credit_costs_two_reads_and_one_transaction(coalition, meter):
    market = coalition.partner("market")
    ana = coalition.member(market)
    for n in range(30):
        coalition.purchase(market, ana, "1.00", transaction_id=f"ana-{n}")
    meter.reset()

    credit = late_credit(coalition, ana, "lc-1", "t-old")

    assert credit.status == 201 and credit.json["points"] == 120
    transaction = next(c for c in meter.calls if c.operation == "TransactWriteItems")
    reads = sorted(c.params["TableName"].rsplit("-", 1)[1] for c in meter.calls if c.operation == "GetItem")
    # The partner's profile and the wallet, 1 TransactWriteItems of 4 items (the late credit's record, the partner's
    # purchase record, the wallet, the entry); the programme (the container's cache is off in tests); the audit's
    # "before" (the wallet) and record. No Query: the purchase key is checked by the transaction's condition.
    assert (meter.counts(), transaction.items, reads) == (
        {"GetItem": 4, "TransactWriteItems": 1, "PutItem": 1},
        4,
        ["directory", "directory", "members", "members"],
    )
