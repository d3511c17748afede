"""Reinstatements by customer service (issue 9): the operator gives back the points of one expiry, as the liability
of the issuers that let them expire, valid as points earned today; exactly once per id and once per expiry;
settled as that expiry's breakage undone, by issuer, on the day it is booked."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.services import reinstatements
from chalicelib.services.requests import ReinstatementRequest
from tests.support.aws import table_snapshot
from tests.support.layout import settlement_shards
from tests.support.ledger import assert_invariants


@pytest.fixture(autouse=True)
def few_settlement_shards():
    with settlement_shards(2):  # a test closes a month of days: keep each close small
        yield


def reinstate(coalition, member, reinstatement_id, expiry_entry_id, reason="goodwill: away on a long trip", token=None):
    body = {"reinstatement_id": reinstatement_id, "expiry_entry_id": expiry_entry_id, "reason": reason}
    return coalition.api.post(
        f"/v1/admin/members/{member.member_id}/reinstatements", body, token=token or coalition.admin
    )


def entries(coalition, member, limit=10):
    return coalition.api.get(f"/v1/me/entries?limit={limit}", token=member.token).json["entries"]


def expire(coalition, clock):
    """The November points (valid until 2026-12-31 with expiry_months=1) expire on 2027-01-01."""
    clock.now = datetime(2027, 1, 1, 0, 45, tzinfo=timezone.utc)
    job = coalition.api.post("/v1/admin/jobs/expiry", {"as_of": "2027-01-01"}, token=coalition.admin)
    assert job.status == 202, job.json
    return job.json["processed"]


def expiry_of(coalition, member):
    return next(e for e in entries(coalition, member) if e["type"] == "expire")


def november(coalition, clock):
    clock.now = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)
    coalition.program(expiry_months=1)


def test_an_expiry_comes_back_with_its_issuers_and_settles_as_their_breakage_undone(coalition, clock):
    november(coalition, clock)
    alpha = coalition.partner("alpha", fee_per_point="0.002")
    bravo = coalition.partner("bravo")
    ana = coalition.member(alpha)
    coalition.purchase(bravo, ana, "30.00", occurred_at="2026-11-30T09:00:00Z")  # 30 of bravo's, fee 0
    coalition.purchase(alpha, ana, "20.00", occurred_at="2026-11-30T09:00:00Z")  # 20 of alpha's, fee 0.04
    assert expire(coalition, clock) == 50
    expiry = expiry_of(coalition, ana)
    assert (expiry["points"], expiry["entry_id"]) == (-50, f"{ana.member_id}-000003")

    clock.now = datetime(2027, 1, 2, 9, tzinfo=timezone.utc)
    given = reinstate(coalition, ana, "rs-1", expiry["entry_id"])
    replay = reinstate(coalition, ana, "rs-1", expiry["entry_id"])
    other_body = reinstate(coalition, ana, "rs-1", expiry["entry_id"], reason="another reason")
    twice = reinstate(coalition, ana, "rs-2", expiry["entry_id"])

    assert given.status == 201, given.json
    assert given.json == {
        "entry_id": f"{ana.member_id}-000004",
        "reinstatement_id": "rs-1",
        "member_id": ana.member_id,
        "expiry_entry_id": expiry["entry_id"],
        "points": 50,
        "by_issuer": {"alpha": 20, "bravo": 30},
        "expired_points": 50,
        "expires_on": "2027-02-28",  # the programme's policy from today: one month after January's end
        "available_points": 50,
        "owed_points": 0,
    }
    assert replay.replayed and (replay.status, replay.body) == (201, given.body)
    assert (other_body.status, other_body.error_code) == (409, "idempotency_conflict")
    assert (twice.status, twice.error_code, twice.json["error"]["field"]) == (
        409,
        "already_reinstated",
        "expiry_entry_id",
    )
    assert coalition.me(ana)["expiring"] == [{"on": "2027-02-28", "points": 50}]
    latest = entries(coalition, ana, limit=1)[0]
    assert (latest["type"], latest["points"], latest["partner_id"], latest["reference"]) == (
        "reinstatement",
        50,
        "operator",
        "rs-1",
    )
    assert latest["attribution"] == [
        {"issuer": "alpha", "expires_on": "2027-02-28", "points": 20},
        {"issuer": "bravo", "expires_on": "2027-02-28", "points": 30},
    ]
    assert sum(line["points"] for line in latest["breakdown"]) == 50
    trail = coalition.api.get("/v1/admin/audit?from=2027-01-02&to=2027-01-02", token=coalition.admin).json["records"]
    audited = [r for r in trail if r["action"].endswith("/reinstatements")]  # the replay and refusals: not recorded
    assert len(audited) == 1
    assert audited[0]["before"] == {
        "status": "active",
        "available_points": 0,
        "owed_points": 0,
        "expiry": {
            "entry_id": expiry["entry_id"],
            "type": "expire",
            "points": -50,
            "attribution": expiry["attribution"],
            "booked_at": expiry["booked_at"],
        },
    }
    assert assert_invariants() == {"alpha": 20, "bravo": 30}
    live = coalition.api.get("/v1/admin/reconciliation", token=coalition.admin).json
    assert live["ok"] is True
    assert live["invariant_2"]["by_issuer"]["bravo"] == {"from_entries": 30, "from_wallets": 30}

    clock.now = datetime(2027, 1, 3, 1, tzinfo=timezone.utc)
    for day in ["2026-11-30"] + [f"2026-12-{d:02d}" for d in range(1, 32)] + ["2027-01-01", "2027-01-02"]:
        assert coalition.api.post(f"/v1/admin/settlements/{day}/close", token=coalition.admin).status == 201
    expired_day = coalition.api.get("/v1/admin/settlements/2027-01-01", token=coalition.admin).json
    given_day = coalition.api.get("/v1/admin/settlements/2027-01-02", token=coalition.admin).json
    assert (expired_day["breakage"], expired_day["reinstated"]) == ({"alpha": 20, "bravo": 30}, {})
    assert expired_day["outstanding"] == {"alpha": 0, "bravo": 0}
    assert (given_day["breakage"], given_day["reinstated"]) == ({}, {"alpha": 20, "bravo": 30})
    assert given_day["outstanding"] == {"alpha": 20, "bravo": 30}
    assert (given_day["transfers"], given_day["net_total"]) == ([], "0.00")  # no fee again, no money at all
    alpha_day = coalition.api.get("/v1/settlements/2027-01-02", token=alpha).json
    assert (alpha_day["reinstated_points"], alpha_day["expired_points"], alpha_day["issued_points"]) == (20, 0, 0)
    assert (alpha_day["fees"], alpha_day["outstanding_points"], alpha_day["net"]) == ("0.00", 20, "0.00")
    first_day = coalition.api.get("/v1/settlements/2026-11-30", token=alpha).json
    assert (first_day["fees"], first_day["reinstated_points"]) == ("0.04", 0)  # the fee was paid once, on issue
    assert coalition.api.get("/v1/admin/reconciliation", token=coalition.admin).json["ok"] is True
    assert coalition.redeem(bravo, ana, 50).status == 201  # the points are the member's to spend again


def test_what_a_return_found_expired_does_not_come_back_and_what_came_back_a_later_return_takes(coalition, clock):
    november(coalition, clock)
    alpha = coalition.partner("alpha")
    ana, ben = coalition.member(alpha), coalition.member(alpha)
    coalition.purchase(alpha, ana, "100.00", transaction_id="t-ana", occurred_at="2026-11-30T09:00:00Z")
    coalition.purchase(alpha, ben, "100.00", transaction_id="t-ben", occurred_at="2026-11-30T09:00:00Z")
    assert expire(coalition, clock) == 200
    clock.now = datetime(2027, 1, 2, 9, tzinfo=timezone.utc)

    def give_back(member, transaction_id, return_id, amount):
        body = {"return_id": return_id, "amount": amount}
        return coalition.api.post(f"/v1/transactions/{transaction_id}/returns", body, token=alpha)

    # Ana returns half after the expiry: those 50 were found expired (not taken); only the other 50 come back.
    half = give_back(ana, "t-ana", "ret-1", "50.00")
    assert (half.status, half.json["points_reversed"]) == (201, 0)
    ana_back = reinstate(coalition, ana, "rs-ana", expiry_of(coalition, ana)["entry_id"])
    assert (ana_back.status, ana_back.json["points"], ana_back.json["by_issuer"]) == (201, 50, {"alpha": 50})
    assert ana_back.json["expired_points"] == 100
    assert "50 taken back by returns since" in entries(coalition, ana, limit=1)[0]["breakdown"][0]["detail"]
    # The rest of the purchase returned: its 50 points are no longer found expired, they are taken back.
    rest = give_back(ana, "t-ana", "ret-2", "50.00")
    assert (rest.status, rest.json["points_reversed"], rest.json["available_points"]) == (201, 50, 0)

    # Ben's points come back whole; the whole purchase returned after takes all of them back (none forgiven).
    ben_back = reinstate(coalition, ben, "rs-ben", expiry_of(coalition, ben)["entry_id"])
    assert (ben_back.status, ben_back.json["points"]) == (201, 100)
    assert coalition.redeem(alpha, ben, 30).status == 201
    whole = give_back(ben, "t-ben", "ret-3", "100.00")
    assert (whole.json["points_reversed"], whole.json["available_points"], whole.json["owed_points"]) == (100, 0, 30)

    # An expiry whose points a return found expired, all of them: nothing to give back.
    carl = coalition.member(alpha)
    clock.now = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
    coalition.purchase(alpha, carl, "40.00", transaction_id="t-carl", occurred_at="2026-12-01T08:00:00Z")
    clock.now = datetime(2027, 2, 1, 0, 45, tzinfo=timezone.utc)
    coalition.api.post("/v1/admin/jobs/expiry", {"as_of": "2027-02-01"}, token=coalition.admin)
    assert give_back(carl, "t-carl", "ret-4", "40.00").json["points_reversed"] == 0
    nothing = reinstate(coalition, carl, "rs-carl", expiry_of(coalition, carl)["entry_id"])
    assert (nothing.status, nothing.error_code) == (422, "nothing_to_reinstate")
    assert assert_invariants() == {"alpha": -30}  # Ben's debt for the 30 he spent
    assert coalition.api.get("/v1/admin/reconciliation", token=coalition.admin).json["ok"] is True


def test_an_expiry_older_than_the_wallets_memory_of_it_can_no_longer_come_back(coalition, clock):
    """The wallet keeps its expired tally 400 days after the points' date (returns come far sooner): past it, what
    a reinstatement would give back can no longer be told from what returns took."""
    november(coalition, clock)
    alpha = coalition.partner("alpha")
    ana = coalition.member(alpha)
    coalition.purchase(alpha, ana, "10.00", occurred_at="2026-11-30T09:00:00Z")  # valid until 2026-12-31
    expire(coalition, clock)
    expiry_id = expiry_of(coalition, ana)["entry_id"]

    clock.now = datetime(2028, 2, 5, 9, tzinfo=timezone.utc)  # 401 days after 2026-12-31
    late = reinstate(coalition, ana, "rs-late", expiry_id)
    clock.now = datetime(2028, 2, 3, 9, tzinfo=timezone.utc)  # 399 days: still remembered
    in_time = reinstate(coalition, ana, "rs-in-time", expiry_id)

    assert (late.status, late.error_code) == (422, "nothing_to_reinstate")
    assert "more than 400 days ago" in late.json["error"]["message"]
    assert (in_time.status, in_time.json["points"]) == (201, 10)


def test_reinstatements_refuse_what_they_cannot_do_and_write_nothing(coalition, clock):
    november(coalition, clock)
    alpha, bravo = coalition.partner("alpha"), coalition.partner("bravo")
    ana, ben, cleo = coalition.member(alpha), coalition.member(alpha), coalition.member(alpha)
    for member in (ana, ben, cleo):
        coalition.purchase(alpha, member, "10.00", occurred_at="2026-11-30T09:00:00Z")
    coalition.purchase(bravo, ben, "5.00", occurred_at="2026-11-30T09:00:00Z")
    assert expire(coalition, clock) == 35
    anas, bens, cleos = (expiry_of(coalition, m)["entry_id"] for m in (ana, ben, cleo))
    earned = next(e for e in entries(coalition, ana) if e["type"] == "earn")["entry_id"]
    coalition.api.patch("/v1/admin/partners/bravo", {"status": "suspended"}, token=coalition.admin)
    coalition.api.patch(f"/v1/admin/members/{cleo.member_id}", {"status": "closed"}, token=coalition.admin)
    clock.now = datetime(2027, 1, 2, 9, tzinfo=timezone.utc)
    before = table_snapshot(coalition.api.container.settings)

    cases = {
        "another member's expiry": reinstate(coalition, ana, "x-1", bens),
        "no such entry": reinstate(coalition, ana, "x-2", f"{ana.member_id}-000099"),
        "not an entry id": reinstate(coalition, ana, "x-3", "expiry-of-last-year"),
        "not an expiry": reinstate(coalition, ana, "x-4", earned),
        "a suspended issuer": reinstate(coalition, ben, "x-5", bens),
        "a closed member": reinstate(coalition, cleo, "x-6", cleos),
        "no reason": reinstate(coalition, ana, "x-7", anas, reason=""),
        "unknown member": coalition.api.post(
            "/v1/admin/members/m_00000000000000000000/reinstatements",
            {"reinstatement_id": "x-8", "expiry_entry_id": anas, "reason": "why not"},
            token=coalition.admin,
        ),
        "a partner": reinstate(coalition, ana, "x-9", anas, token=alpha),
    }

    assert {name: (r.status, r.error_code) for name, r in cases.items()} == {
        "another member's expiry": (404, "not_found"),
        "no such entry": (404, "not_found"),
        "not an entry id": (404, "not_found"),
        "not an expiry": (422, "not_an_expiry"),
        "a suspended issuer": (422, "rule_violation"),
        "a closed member": (422, "member_inactive"),
        "no reason": (400, "invalid_request"),
        "unknown member": (404, "not_found"),
        "a partner": (403, "forbidden"),
    }
    assert cases["a suspended issuer"].json["error"]["issuer"] == "bravo"
    assert table_snapshot(coalition.api.container.settings) == before
    # A suspended member's expiry comes back (the points wait with the account, as an adjustment's would).
    coalition.api.patch(f"/v1/admin/members/{ana.member_id}", {"status": "suspended"}, token=coalition.admin)
    assert reinstate(coalition, ana, "x-10", anas).json["points"] == 10


def test_two_concurrent_reinstatements_of_one_expiry_give_it_back_once(coalition, clock, container, meter):
    """The second request reads the wallet before the first commits: both decide to give the points back; the
    expiry's key, created in the same transaction, lets only one of them commit."""
    november(coalition, clock)
    alpha = coalition.partner("alpha")
    ana = coalition.member(alpha)
    coalition.purchase(alpha, ana, "60.00", occurred_at="2026-11-30T09:00:00Z")
    expire(coalition, clock)
    expiry_id = expiry_of(coalition, ana)["entry_id"]
    clock.now = datetime(2027, 1, 2, 9, tzinfo=timezone.utc)
    raced: list[str] = []
    inner: list[int] = []

    def race_in_before_the_commit(call, proceed):
        if call.operation == "TransactWriteItems" and not raced:
            raced.append("rs-b")  # once: the inner request's own commit goes straight through
            request = ReinstatementRequest(reinstatement_id="rs-b", expiry_entry_id=expiry_id, reason="the other desk")
            inner.append(reinstatements.reinstate_points(container.runtime, ana.member_id, request).status)
        return proceed()

    meter.faults.append(race_in_before_the_commit)
    first = reinstate(coalition, ana, "rs-a", expiry_id)
    meter.faults.clear()

    assert inner == [201]
    assert (first.status, first.error_code) == (409, "already_reinstated")
    assert coalition.me(ana)["available_points"] == 60
    assert [e["type"] for e in entries(coalition, ana, limit=2)] == ["reinstatement", "expire"]
    assert assert_invariants() == {"alpha": 60}


def test_a_reinstatement_costs_two_reads_and_one_transaction_whatever_the_history(coalition, clock, meter):
    november(coalition, clock)
    alpha = coalition.partner("alpha")
    ana, ben = coalition.member(alpha), coalition.member(alpha)
    coalition.purchase(alpha, ben, "5.00", occurred_at="2026-11-30T09:00:00Z")
    for n in range(30):  # a history longer than a page of entries
        coalition.purchase(alpha, ana, "5.00", occurred_at="2026-11-30T09:00:00Z", transaction_id=f"ana-{n}")
    expire(coalition, clock)
    clock.now = datetime(2027, 1, 2, 9, tzinfo=timezone.utc)
    figures = {}
    for member, points in ((ben, 5), (ana, 150)):
        expiry_id = expiry_of(coalition, member)["entry_id"]
        meter.reset()
        given = reinstate(coalition, member, f"rs-{member.member_id}", expiry_id)
        assert given.status == 201 and given.json["points"] == points
        transaction = next(c for c in meter.calls if c.operation == "TransactWriteItems")
        reads = sorted(c.params["TableName"].rsplit("-", 1)[1] for c in meter.calls if c.operation == "GetItem")
        figures[points] = (meter.counts(), transaction.items, reads)

    # The use case: the expiry entry and the wallet (GetItem), one TransactWriteItems of 4 items (the record, the
    # expiry's key, the wallet, the entry); the programme and the issuer's profile (tests run with the container's
    # cache off: a warm container reads neither); the audit trail: its "before" (the wallet and the expiry again)
    # and its record (PutItem). No Query, however long the history.
    assert figures[150] == figures[5]
    assert figures[150] == (
        {"GetItem": 6, "TransactWriteItems": 1, "PutItem": 1},
        4,
        ["directory", "directory", "ledger", "ledger", "members", "members"],
    )
