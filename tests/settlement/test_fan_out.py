"""The scheduled close fans out one message per shard; consumers are idempotent."""

from __future__ import annotations

from datetime import datetime, timezone

import boto3
import pytest
from chalice.test import Client

import app as application
from chalicelib.store import settlements
from chalicelib.store.layout import JOB_SHARDS, SETTLEMENT_SHARDS


@pytest.fixture
def lambdas(api):
    with Client(application.app) as client:
        yield client


def scheduled(lambdas, name):
    event = lambdas.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    return lambdas.lambda_.invoke(name, event).payload


def consume(lambdas, bodies):
    """The SQS consumer Lambda, one message per invocation (batch_size=1)."""
    for body in bodies:
        lambdas.lambda_.invoke("run_job_shard", lambdas.events.generate_sqs_event([body], queue_name="coalition-jobs"))


def drain(queue_url: str, region: str) -> list[str]:
    sqs = boto3.client("sqs", region_name=region)
    bodies = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return bodies
        for message in batch:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_the_schedule_fans_out_and_the_last_shard_closes_the_day_once(coalition, container, clock, settings, lambdas):
    queue_url = boto3.client("sqs", region_name=settings.region).get_queue_url(QueueName="coalition-local-jobs")[
        "QueueUrl"
    ]
    shop = coalition.partner("shop")
    member = coalition.member(shop)
    for n in range(6):
        coalition.purchase(shop, member, "10.00", transaction_id=f"t{n}")
    container.settings.jobs_queue_url = queue_url
    clock.now = datetime(2026, 11, 24, 0, 30, tzinfo=timezone.utc)

    result = scheduled(lambdas, "close_settlement_days")
    messages = drain(queue_url, settings.region)

    assert result == {"due": "2026-11-23", "fanned_out": SETTLEMENT_SHARDS, "published": []}
    assert len(messages) == SETTLEMENT_SHARDS
    consume(lambdas, messages[:-1])
    assert settlements.get_document("2026-11-23") is None  # nothing closes before every shard has run
    consume(lambdas, messages[-1:])
    document = settlements.get_document("2026-11-23")
    assert document is not None and '"issued_points":60' in document
    assert settlements.get_stored("2026-11-23").published_at == "2026-11-24T00:30:00.000Z"  # by the last shard

    consume(lambdas, messages[:2])  # redeliveries change nothing
    assert settlements.get_document("2026-11-23") == document
    assert drain(queue_url, settings.region) == []  # the next day is not due yet: nothing more sent


def test_the_hold_sweep_fans_out_by_shard_through_the_queue(coalition, container, clock, settings, lambdas):
    queue_url = boto3.client("sqs", region_name=settings.region).get_queue_url(QueueName="coalition-local-jobs")[
        "QueueUrl"
    ]
    shop = coalition.partner("shop")
    member = coalition.member(shop)
    coalition.purchase(shop, member, "10.00")
    coalition.api.post(
        "/v1/holds",
        {"hold_id": "h", "member": {"card_number": member.card_number}, "points": 10, "ttl_seconds": 60},
        token=shop,
    )
    container.settings.jobs_queue_url = queue_url
    clock.advance(minutes=5)

    scheduled(lambdas, "sweep_holds")
    messages = drain(queue_url, settings.region)
    consume(lambdas, messages + messages[:1])

    assert len(messages) == JOB_SHARDS
    entries = coalition.api.get("/v1/me/entries", token=member.token).json["entries"]
    assert [e["type"] for e in entries].count("void") == 1
    assert coalition.me(member)["held_points"] == 0 and coalition.me(member)["available_points"] == 10
