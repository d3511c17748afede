"""Grants (issue 9's launch credit): the operator credits every member, a tier's members or listed members, funded by
a partner or the operator, as a fanned-out job; each member once per grant, however often a message comes."""

from __future__ import annotations

from datetime import datetime, timezone

import boto3
from chalice.test import Client

import app as application
from chalicelib.domain.wallet import Wallet
from chalicelib.store.models import EntryItem, JobShardItem, OperationItem, WalletItem
from chalicelib.store.wallets import to_items, to_wallet
from tests.support.aws import table_snapshot
from tests.support.ledger import assert_invariants

LAUNCH = "launch of the coalition"


def grant(coalition, grant_id, to, points=500, funder="market", reason=LAUNCH):
    body = {"grant_id": grant_id, "points": points, "funder": funder, "reason": reason, "to": to}
    return coalition.api.post("/v1/admin/grants", body, token=coalition.admin)


def progress(coalition, job_id):
    reply = coalition.api.get(f"/v1/admin/jobs/{job_id}", token=coalition.admin)
    assert reply.status == 200, reply.json
    return reply.json


def grants_of(coalition, member):
    entries = coalition.api.get("/v1/me/entries?limit=100", token=member.token).json["entries"]
    return [(e["type"], e["points"], e["breakdown"]) for e in entries if e["type"] == "grant"]


def close(coalition, clock, day):
    clock.now = datetime.fromisoformat(day).replace(hour=23, minute=59, tzinfo=timezone.utc)
    clock.advance(hours=2)
    reply = coalition.api.post(f"/v1/admin/settlements/{day}/close", token=coalition.admin)
    assert reply.status == 201, reply.json
    return reply.json


def reconciled(coalition):
    report = coalition.api.get("/v1/admin/reconciliation", token=coalition.admin).json
    assert report["ok"] is True, report
    return report


def test_a_grant_to_everyone_credits_each_active_member_once_as_its_funders_issuance(coalition, clock):
    market = coalition.partner("market", fee_per_point="0.002")
    coalition.partner("cinema")
    ana, ben, cleo, dan = (coalition.member(market) for _ in range(4))
    coalition.purchase(market, ana, "100.00")  # 100 market points, fee 0.20
    coalition.api.patch(f"/v1/admin/members/{cleo.member_id}", {"status": "suspended"}, token=coalition.admin)
    coalition.api.patch(f"/v1/admin/members/{dan.member_id}", {"status": "closed"}, token=coalition.admin)

    started = grant(coalition, "launch-1", {"all": True})

    assert (started.status, started.json) == (
        202,
        {"job_id": "grant-launch-1", "grant_id": "launch-1", "status": "running"},
    )
    job = progress(coalition, "grant-launch-1")
    assert {k: job[k] for k in ("status", "total", "done", "granted", "points_granted", "skipped", "failed")} == {
        "status": "done",
        "total": 4,
        "done": 4,
        "granted": 2,
        "points_granted": 1000,
        "skipped": 2,  # suspended and closed members get nothing
        "failed": 0,
    }
    assert job["shards"] == job["shards_done"] == 16 and job["finished_at"] == "2026-11-23T10:00:00.000Z"
    assert (coalition.me(ana)["available_points"], coalition.me(ben)["available_points"]) == (600, 500)
    assert grants_of(coalition, ben) == [
        ("grant", 500, [{"rule": "grant", "points": 500, "detail": f"{LAUNCH} (by market)"}])
    ]
    assert grants_of(coalition, cleo) == []
    assert assert_invariants() == {"market": 1100}
    reconciled(coalition)
    day = close(coalition, clock, "2026-11-23")
    statement = day["partners"]["market"]
    # issued 100 + 2 × 500 = 1,100 market points, its fee 0.002 a point: 2.20
    assert (statement["issued_points"], statement["fees"], statement["outstanding_points"]) == (1100, "2.20", 1100)
    assert {"from": "market", "to": "operator", "kind": "fee", "amount": "2.20"} in day["transfers"]
    assert day["net_positions"]["market"] == "-2.20" and day["net_total"] == "0.00"


def test_a_grant_to_a_tier_reads_the_members_above_the_base_tier_only(coalition, meter):
    airline = coalition.partner("airline", earn_rate="10")
    gold = coalition.member(airline)
    silver = coalition.member(airline)
    base = [coalition.member(airline) for _ in range(3)]
    assert coalition.purchase(airline, gold, "600.00").json["tier"] == "gold"  # 6,000 points
    assert coalition.purchase(airline, silver, "250.00").json["tier"] == "silver"
    meter.reset()

    started = grant(coalition, "gold-thanks", {"tier": "gold"}, points=1000, funder="operator")

    assert started.status == 202, started.json
    scanned = [c for c in meter.calls if c.operation == "Scan"]
    wallets_read = sum(
        c.returned
        for c in meter.calls
        if c.operation in ("GetItem", "BatchGetItem", "Query") and "members" in str(c.params)
    )
    job = progress(coalition, started.json["job_id"])
    assert (job["total"], job["done"], job["granted"], job["points_granted"]) == (1, 1, 1, 1000)
    assert coalition.me(gold)["available_points"] == 6000 + 1000
    assert [coalition.me(m)["available_points"] for m in base] == [0, 0, 0]
    assert coalition.me(silver)["available_points"] == 2500
    assert scanned == []  # the base tier's members were never read
    assert wallets_read <= 4  # the index keys of gold and silver, their wallets, gold's again to book
    assert assert_invariants() == {"airline": 8500, "operator": 1000}

    to_base = grant(coalition, "welcome", {"tier": "member"}, points=10, funder="operator")
    assert progress(coalition, to_base.json["job_id"])["granted"] == 3  # the base tier: a Scan, others ignored
    assert [coalition.me(m)["available_points"] for m in base] == [10, 10, 10]


def test_a_grant_to_listed_members_skips_unknown_ids_and_counts_each_member_once(coalition):
    market = coalition.partner("market")
    ana, ben = coalition.member(market), coalition.member(market)
    unknown = "m_00000000000000000000"

    started = grant(coalition, "vip", {"member_ids": [ana.member_id, unknown, ben.member_id, ana.member_id]}, 50)

    job = progress(coalition, started.json["job_id"])
    assert {k: job[k] for k in ("status", "total", "done", "granted", "points_granted", "skipped", "shards")} == {
        "status": "done",
        "total": 3,  # ana listed twice is one member
        "done": 3,
        "granted": 2,
        "points_granted": 100,
        "skipped": 1,
        "shards": 1,
    }
    assert [coalition.me(m)["available_points"] for m in (ana, ben)] == [50, 50]
    reconciled(coalition)


def test_a_replayed_post_answers_the_same_and_starts_no_second_job_another_body_conflicts(coalition):
    market = coalition.partner("market")
    ana = coalition.member(market)

    first = grant(coalition, "launch-1", {"all": True})
    replay = grant(coalition, "launch-1", {"all": True})
    other = grant(coalition, "launch-1", {"all": True}, points=501)
    other_target = grant(coalition, "launch-1", {"tier": "gold"})

    assert first.status == replay.status == 202
    assert replay.replayed and replay.body == first.body and not first.replayed
    assert [(r.status, r.error_code) for r in (other, other_target)] == [(409, "idempotency_conflict")] * 2
    assert coalition.me(ana)["available_points"] == 500
    assert progress(coalition, "grant-launch-1")["granted"] == 1
    audit = coalition.api.get("/v1/admin/audit?from=2026-11-23&to=2026-11-23&limit=100", token=coalition.admin).json
    recorded = [r for r in audit["records"] if r["action"] == "POST /v1/admin/grants"]
    assert len(recorded) == 1  # the replay changed nothing: not recorded again
    assert recorded[0]["request"]["to"] == {"all": True} and recorded[0]["after"] == first.json
    assert recorded[0]["status"] == 202


def test_grants_refuse_what_they_cannot_do_and_write_nothing(coalition):
    market = coalition.partner("market")
    ana = coalition.member(market)
    coalition.partner("gone")
    coalition.api.patch("/v1/admin/partners/gone", {"status": "suspended"}, token=coalition.admin)
    before = table_snapshot(coalition.api.container.settings)
    too_many = [f"m_{n:020x}" for n in range(1001)]

    cases = {
        "a suspended funder": grant(coalition, "g-1", {"all": True}, funder="gone"),
        "an unknown funder": grant(coalition, "g-2", {"all": True}, funder="nobody"),
        "an unknown tier": grant(coalition, "g-3", {"tier": "platinum"}),
        "an unknown segment": grant(coalition, "g-4", {"segment": "frequent-flyers"}),
        "two targets": grant(coalition, "g-5", {"all": True, "tier": "gold"}),
        "all false": grant(coalition, "g-6", {"all": False}),
        "no points": grant(coalition, "g-7", {"all": True}, points=0),
        "too many points": grant(coalition, "g-8", {"all": True}, points=1_000_001),
        "too many members": grant(coalition, "g-9", {"member_ids": too_many}),
        "no members": grant(coalition, "g-10", {"member_ids": []}),
        "no reason": grant(coalition, "g-11", {"all": True}, reason=""),
        "a partner": coalition.api.post(
            "/v1/admin/grants",
            {"grant_id": "g-12", "points": 5, "funder": "market", "reason": "why not", "to": {"all": True}},
            token=market,
        ),
    }

    assert {name: (r.status, r.error_code) for name, r in cases.items()} == {
        "a suspended funder": (422, "rule_violation"),
        "an unknown funder": (422, "rule_violation"),
        "an unknown tier": (422, "rule_violation"),
        "an unknown segment": (400, "invalid_request"),
        "two targets": (400, "invalid_request"),
        "all false": (400, "invalid_request"),
        "no points": (400, "invalid_request"),
        "too many points": (400, "invalid_request"),
        "too many members": (400, "invalid_request"),
        "no members": (400, "invalid_request"),
        "no reason": (400, "invalid_request"),
        "a partner": (403, "forbidden"),
    }
    assert cases["an unknown segment"].json["error"]["field"] == "to.segment"
    assert cases["two targets"].json["error"]["field"] == "to"
    assert cases["an unknown tier"].json["error"]["field"] == "to.tier"
    assert table_snapshot(coalition.api.container.settings) == before
    assert coalition.me(ana)["available_points"] == 0
    missing = coalition.api.get("/v1/admin/jobs/grant-nothing", token=coalition.admin)
    assert (missing.status, missing.error_code) == (404, "not_found")


def _figures():
    shards = sorted(
        (i.pk, i.granted, i.points, i.seen, i.skipped, i.finished)
        for i in JobShardItem.scan(JobShardItem.pk.startswith("JOBSHARD#"))
    )
    wallets = sorted((w.member_id, w.version, sorted(w.lots.items())) for w in map(to_wallet, WalletItem.scan()))
    return shards, wallets, EntryItem.count(), OperationItem.count()


def test_redelivered_messages_and_pages_run_again_change_nothing(coalition, settings, container, monkeypatch):
    """Through the queue: the POST only sends messages. First every consumer dies after crediting its members and
    before recording its page; then every message comes again (the pages run again), then a third time (the pages
    are complete): each member is credited once, and each figure counts once."""
    from chalicelib.store.repositories import DynamoJobs

    market = coalition.partner("market")
    members = [coalition.member(market) for _ in range(5)]
    sqs = boto3.client("sqs", region_name=settings.region)
    queue_url = sqs.get_queue_url(QueueName="coalition-local-jobs")["QueueUrl"]
    container.settings.jobs_queue_url = queue_url

    started = grant(coalition, "launch-1", {"all": True})
    bodies = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    running = progress(coalition, started.json["job_id"])

    def died(*args, **kwargs):
        raise RuntimeError("the consumer died before recording its page")

    with Client(application.app) as lambdas:

        def consume(body):
            lambdas.lambda_.invoke("run_job_shard", lambdas.events.generate_sqs_event([body], queue_name="q"))

        with monkeypatch.context() as dying:
            dying.setattr(DynamoJobs, "complete_page", died)
            for body in bodies:
                try:
                    consume(body)
                except RuntimeError:
                    pass
        credited = [coalition.me(m)["available_points"] for m in members]
        interrupted = progress(coalition, started.json["job_id"])
        for body in bodies:  # redelivered: the pages run again
            consume(body)
        done = progress(coalition, started.json["job_id"])
        snapshot = _figures()
        for body in bodies:  # and once more: the pages are complete
            consume(body)

    assert len(bodies) == 16 and (running["status"], running["done"], running["granted"]) == ("running", 0, 0)
    assert credited == [500] * 5
    assert (interrupted["status"], interrupted["done"], interrupted["granted"]) == ("running", 0, 5)
    figures = ("status", "total", "done", "granted", "points_granted", "skipped")
    assert [done[k] for k in figures] == ["done", 5, 5, 5, 2500, 0]
    assert _figures() == snapshot
    assert [progress(coalition, started.json["job_id"])[k] for k in figures] == ["done", 5, 5, 5, 2500, 0]
    assert [coalition.me(m)["available_points"] for m in members] == [500] * 5
    assert EntryItem.count() == 5 and assert_invariants() == {"market": 2500}
    reconciled(coalition)


def test_a_shard_runs_page_by_page_through_continuation_messages(coalition, settings, container, monkeypatch):
    from chalicelib.services import grants

    monkeypatch.setattr(grants, "PAGE", 2)
    container.settings.scan_segments = 1
    market = coalition.partner("market")
    members = [coalition.member(market) for _ in range(5)]
    sqs = boto3.client("sqs", region_name=settings.region)
    queue_url = sqs.get_queue_url(QueueName="coalition-local-jobs")["QueueUrl"]
    container.settings.jobs_queue_url = queue_url

    started = grant(coalition, "launch-1", {"all": True}, points=7)
    consumed = 0
    with Client(application.app) as lambdas:
        while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                event = lambdas.events.generate_sqs_event([message["Body"]], queue_name="q")
                lambdas.lambda_.invoke("run_job_shard", event)
                consumed += 1

    job = progress(coalition, started.json["job_id"])
    assert consumed == 3  # pages of 2, 2 and 1 member(s)
    assert (job["status"], job["total"], job["granted"], job["points_granted"]) == ("done", 5, 5, 35)
    assert [coalition.me(m)["available_points"] for m in members] == [7] * 5


def seed_wallets(count: int, first: int) -> None:
    """Base-tier wallets written directly (the population, not the feature under test)."""
    with WalletItem.batch_write() as batch:
        for n in range(first, first + count):
            batch.save(to_items(Wallet(f"m_{n:020x}", f"9{n:015d}", "member", "2026-11-23", None))[0])


def test_the_calls_per_member_granted_are_constant(coalition, meter):
    """Per member credited: 1 GetItem (its wallet) + 1 TransactWriteItems; the rest is per shard, whatever the
    population (20 members, then 40: one page per segment either way)."""
    coalition.partner("shop")
    overhead = {}
    for population in (20, 40):
        seed_wallets(20, first=population * 1000)  # 20 more members each time
        meter.reset()

        started = grant(coalition, f"launch-{population}", {"all": True}, funder="shop")

        counts = meter.counts()
        wallet_reads = [
            c for c in meter.calls if c.operation == "GetItem" and c.params["TableName"].endswith("members")
        ]
        assert progress(coalition, started.json["job_id"])["granted"] == population
        assert len(wallet_reads) == population
        assert counts["TransactWriteItems"] == population + 16  # the credits, and each shard's one page completed
        assert counts["Scan"] == 16  # one page per segment: the members table read once
        overhead[population] = sum(counts.values()) - 2 * population
    assert overhead[20] == overhead[40]
