"""Jobs read only what is due: 2,000 members of which 20 are due, counted with the DynamoDB meter."""

from __future__ import annotations

from datetime import datetime, timezone

import boto3
import pytest
from chalice.test import Client

import app as application
from chalicelib.domain.wallet import Wallet
from chalicelib.store.layout import JOB_SHARDS
from chalicelib.store.models import WalletItem
from chalicelib.store.wallets import to_items, to_wallet


def scanned_wallets() -> list[Wallet]:
    return [to_wallet(item) for item in WalletItem.scan(consistent_read=True)]


AS_OF = "2027-11-23"


def seed_members(settings, total: int, due: int) -> list[str]:
    """Wallets written directly (the population, not the feature under test): `due` members are silver with a
    review on AS_OF and a lot that ended the day before; the others are either base tier or reviewed later,
    with points valid for years."""
    due_ids = []
    with WalletItem.batch_write() as batch:
        for n in range(total):
            is_due = n < due
            wallet = Wallet(
                f"m_{n:020x}",
                f"9{n:015d}",
                "silver" if is_due or n % 2 else "member",
                "2026-11-23",
                AS_OF if is_due else ("2028-01-15" if n % 2 else None),
            )
            wallet.lots = {("2027-11-22" if is_due else "2029-06-30", "shop"): 100}
            batch.save(to_items(wallet)[0])
            if is_due:
                due_ids.append(wallet.member_id)
    return due_ids


def items_read(meter) -> int:
    return sum(c.returned for c in meter.calls if c.operation in ("Query", "GetItem", "Scan", "BatchGetItem"))


@pytest.mark.slow
@pytest.mark.parametrize("job", ["tier-review", "expiry"])
def test_a_job_reads_the_due_members_only(coalition, settings, clock, meter, job):
    coalition.partner("shop")
    due = seed_members(settings, 2000, 20)
    clock.now = datetime(2027, 11, 23, 1, tzinfo=timezone.utc)
    meter.reset()

    reply = coalition.api.post(f"/v1/admin/jobs/{job}", {"as_of": AS_OF}, token=coalition.admin)

    counts = meter.counts()
    member_reads = (
        items_read(meter)
        - counts["GetItem"]
        + sum(1 for c in meter.calls if c.operation == "GetItem" and c.params["TableName"] == settings.members_table)
    )
    print(f"\n{job}: {dict(counts)}; member items read {member_reads} for {len(due)} due of 2,000")
    assert reply.status == 202
    assert reply.json["processed"] == (20 if job == "tier-review" else 20 * 100)
    assert "Scan" not in counts
    assert counts["Query"] == JOB_SHARDS  # one per shard of the sparse index
    assert member_reads <= 40
    assert counts["TransactWriteItems"] == 20


def test_the_schedule_only_enqueues_and_a_redelivered_message_changes_nothing(
    coalition, settings, container, clock, meter
):
    coalition.partner("shop")
    seed_members(settings, 50, 3)
    queue_url = boto3.client("sqs", region_name=settings.region).get_queue_url(QueueName="coalition-local-jobs")[
        "QueueUrl"
    ]
    container.settings.jobs_queue_url = queue_url
    clock.now = datetime(2027, 11, 23, 0, 30, tzinfo=timezone.utc)
    sqs = boto3.client("sqs", region_name=settings.region)

    with Client(application.app) as lambdas:
        meter.reset()
        event = lambdas.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        lambdas.lambda_.invoke("review_tiers", event)
        assert meter.calls == []  # the scheduled function touched no table: it only sent messages
        bodies = []
        while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                bodies.append(message["Body"])
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        assert len(bodies) == JOB_SHARDS

        def consume(body):
            lambdas.lambda_.invoke("run_job_shard", lambdas.events.generate_sqs_event([body], queue_name="q"))

        for body in bodies:
            consume(body)
        lowered = [w for w in scanned_wallets() if w.tier == "member" and w.member_id < "m_00000000000000000003"]
        snapshot = sorted((w.member_id, w.version, w.tier) for w in scanned_wallets())
        for body in bodies:  # every message delivered a second time
            consume(body)

    assert len(lowered) == 3
    assert sorted((w.member_id, w.version, w.tier) for w in scanned_wallets()) == snapshot
