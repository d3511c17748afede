"""The expiry job: lots whose validity has ended leave first-to-expire first, with their issuers, and their
points appear as breakage in the day's settlement."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.support.layout import settlement_shards
from tests.support.wallets import stored_wallet


@pytest.fixture(autouse=True)
def few_settlement_shards():
    with settlement_shards(2):  # these tests close a few days each: keep each close small
        yield


def test_expiry_takes_the_ended_lots_with_attribution_and_shows_as_breakage(coalition, clock, container):
    clock.now = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)
    coalition.program(expiry_months=1)
    alpha, bravo = coalition.partner("alpha"), coalition.partner("bravo")
    member = coalition.member(alpha)
    coalition.purchase(bravo, member, "30.00", occurred_at="2026-11-30T09:00:00Z")  # valid until 2026-12-31
    coalition.purchase(alpha, member, "20.00", occurred_at="2026-11-30T09:00:00Z")  # valid until 2026-12-31
    clock.now = datetime(2026, 12, 1, 10, tzinfo=timezone.utc)
    coalition.purchase(alpha, member, "50.00", occurred_at="2026-12-01T09:00:00Z")  # valid until 2027-01-31
    coalition.redeem(bravo, member, 10)  # FIFO: alpha's November lot first (issuer ids in order)
    assert coalition.me(member)["expiring"] == [{"on": "2026-12-31", "points": 40}, {"on": "2027-01-31", "points": 50}]

    clock.now = datetime(2027, 1, 1, 0, 45, tzinfo=timezone.utc)
    not_yet = coalition.api.post("/v1/admin/jobs/expiry", {"as_of": "2026-12-31"}, token=coalition.admin).json
    job = coalition.api.post("/v1/admin/jobs/expiry", {"as_of": "2027-01-01"}, token=coalition.admin).json
    again = coalition.api.post("/v1/admin/jobs/expiry", {"as_of": "2027-01-01"}, token=coalition.admin).json

    assert (not_yet["processed"], job["processed"], again["processed"]) == (0, 40, 0)
    entry = coalition.api.get("/v1/me/entries?limit=1", token=member.token).json["entries"][0]
    assert (entry["type"], entry["points"], entry["partner_id"]) == ("expire", -40, "operator")
    assert entry["attribution"] == [
        {"issuer": "alpha", "expires_on": "2026-12-31", "points": 10},
        {"issuer": "bravo", "expires_on": "2026-12-31", "points": 30},
    ]
    assert coalition.me(member)["expiring"] == [{"on": "2027-01-31", "points": 50}]

    clock.now = datetime(2027, 1, 2, 1, tzinfo=timezone.utc)
    for day in ["2026-11-30"] + [f"2026-12-{d:02d}" for d in range(1, 32)] + ["2027-01-01"]:
        assert coalition.api.post(f"/v1/admin/settlements/{day}/close", token=coalition.admin).status == 201
    settled = coalition.api.get("/v1/admin/settlements/2027-01-01", token=coalition.admin).json
    assert settled["breakage"] == {"alpha": 10, "bravo": 30}
    assert settled["partners"]["bravo"]["expired_points"] == 30
    assert settled["outstanding"] == {"alpha": 50, "bravo": 0}


def test_a_future_as_of_is_refused(coalition):
    reply = coalition.api.post("/v1/admin/jobs/expiry", {"as_of": "2030-01-01"}, token=coalition.admin)
    assert (reply.status, reply.error_code, reply.json["error"]["field"]) == (400, "invalid_request", "as_of")


def test_points_of_a_hold_past_its_ttl_come_back_before_the_job_expires_the_lots(coalition, clock):
    """Review: the job expired the lots, then released the expired hold into a lot already past its date, where
    its points stayed. Released first (as on every write), they expire with the rest."""
    clock.now = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)
    coalition.program(expiry_months=1)
    alpha = coalition.partner("alpha")
    member = coalition.member(alpha)
    coalition.purchase(alpha, member, "30.00", occurred_at="2026-11-30T09:00:00Z")  # valid until 2026-12-31
    hold = {"hold_id": "h-1", "member": {"card_number": member.card_number}, "points": 10, "ttl_seconds": 3600}
    assert coalition.api.post("/v1/holds", hold, token=alpha).status == 201

    clock.now = datetime(2027, 1, 1, 0, 45, tzinfo=timezone.utc)
    job = coalition.api.post("/v1/admin/jobs/expiry", {"as_of": "2027-01-01"}, token=coalition.admin).json

    assert job["processed"] == 30
    assert (coalition.me(member)["available_points"], coalition.me(member)["held_points"]) == (0, 0)
    assert stored_wallet(member.member_id).lots == {}
