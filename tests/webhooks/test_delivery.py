"""Webhook events end to end: booking -> the ledger's stream -> the stream consumer -> the webhooks queue -> the
delivery consumer -> a receiver on 127.0.0.1 that checks the signature. At least once, with backoff, then the DLQ."""

from __future__ import annotations

from datetime import date, datetime, timezone
from unittest import mock

import boto3
import pytest

from chalicelib.domain.webhooks import MAX_ATTEMPTS, sign, signature_matches
from chalicelib.jobs import dispatch, webhook_queue
from tests.support.webhook_receiver import serving
from tests.support.webhooks import Pipeline

SECRET = "receiver-secret-0123456789"
EVERYTHING = ["settlement.closed", "tier.changed", "points.expiring", "voucher.spent", "reversal.booked"]


@pytest.fixture
def pipeline(api, monkeypatch):
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")  # in-process DynamoDB Streams calls
    settings = api.container.settings
    sqs = boto3.client("sqs", region_name=settings.region)
    settings.webhooks_queue_url = sqs.get_queue_url(QueueName="coalition-local-webhooks")["QueueUrl"]
    settings.webhooks_dead_letter_url = sqs.get_queue_url(QueueName="coalition-local-webhooks-dlq")["QueueUrl"]
    flow = Pipeline(settings)
    original = webhook_queue.send_later

    def now_instead(rt, delivery, delay_seconds):  # moto keeps DelaySeconds: note the delay, do not wait it out
        flow.delays.append(delay_seconds)
        original(rt, delivery, 0)

    with mock.patch.object(webhook_queue, "send_later", now_instead):
        yield flow


@pytest.fixture
def receiver():
    with serving(SECRET) as running:
        yield running


def subscribe(coalition, key, url, events=EVERYTHING, webhook_id="h-1", secret=SECRET):
    body = {"webhook_id": webhook_id, "url": url, "events": events, "secret": secret}
    reply = coalition.api.post("/v1/webhooks", body, token=key)
    assert reply.status == 201, reply.json


def by_type(events):
    return {e["type"]: e for e in events}


def book_a_reversal(coalition, receiver, secret=SECRET):
    """Market subscribes the receiver to reversal.booked (signing with `secret`), then reverses (rv-1) a redemption
    (r-1) it made of a member's points: one reversal.booked event on the ledger's stream. Returns market."""
    market = coalition.partner("market")
    subscribe(coalition, market, receiver.url, ["reversal.booked"], secret=secret)
    ana = coalition.member(market)
    coalition.purchase(market, ana, "100.00")
    coalition.redeem(market, ana, 10, "r-1")
    assert coalition.api.post("/v1/redemptions/r-1/reversals", {"reversal_id": "rv-1"}, token=market).status == 201
    return market


def deliver(pipeline, **options):
    """The stream consumer queues the stream's new records' events; the delivery consumer sends what is queued."""
    pipeline.run_stream()
    pipeline.deliver_all(**options)


def test_a_reversal_reaches_the_reverser_and_the_issuer_signed_and_with_a_stable_event_id(
    coalition, pipeline, receiver
):
    market, cinema = coalition.partner("market"), coalition.partner("cinema")
    ana = coalition.member(market)
    coalition.purchase(market, ana, "100.00")
    assert coalition.redeem(cinema, ana, 40, "r-1").status == 201
    subscribe(coalition, market, receiver.url, ["reversal.booked"])
    subscribe(coalition, cinema, receiver.url, ["reversal.booked"])

    assert coalition.api.post("/v1/redemptions/r-1/reversals", {"reversal_id": "rv-1"}, token=cinema).status == 201
    deliver(pipeline)

    assert len(receiver.delivered) == 2 and all(r.signed for r in receiver.received)
    events = sorted(receiver.events(), key=lambda e: e["partner_id"])
    assert [e["partner_id"] for e in events] == ["cinema", "market"]
    assert {e["type"] for e in events} == {"reversal.booked"}
    data = events[0]["data"]
    assert (data["member_id"], data["points"], data["by_issuer"], data["reference"]) == (
        ana.member_id, 40, {"market": 40}, "rv-1",
    )  # fmt: skip
    first = receiver.delivered[0]
    assert first.headers["X-Coalition-Event"] == "reversal.booked"
    assert first.headers["X-Coalition-Delivery"] == first.event["event_id"]
    assert first.headers["X-Coalition-Signature"] == sign(SECRET, first.body)
    assert not signature_matches(SECRET, first.body.replace(b"40", b"41"), first.headers["X-Coalition-Signature"])


def test_voucher_spent_goes_to_the_spender_and_the_issuers_and_tier_changed_to_every_subscriber(
    coalition, pipeline, receiver
):
    coalition.program(vouchers={"denominations": [{"points": 500, "value": "5.00"}], "validity_months": 12})
    market, cinema = coalition.partner("market"), coalition.partner("cinema")
    subscribe(coalition, market, receiver.url, ["voucher.spent", "tier.changed"])
    subscribe(coalition, cinema, receiver.url, ["voucher.spent"])
    ana = coalition.member(market)
    coalition.purchase(market, ana, "2500.00")  # 2500 qualifying points: silver
    voucher = {"request_id": "v-1", "member": {"card_number": ana.card_number}, "denomination": 500}
    code = coalition.api.post("/v1/vouchers", voucher, token=market).json["code"]

    spent = coalition.api.post(f"/v1/vouchers/{code}/redemptions", {"redemption_id": "vr-1"}, token=cinema)
    deliver(pipeline)

    assert spent.status == 201
    got = sorted((e["type"], e["partner_id"]) for e in receiver.events())
    assert got == [("tier.changed", "market"), ("voucher.spent", "cinema"), ("voucher.spent", "market")]
    tier = by_type(receiver.events())["tier.changed"]["data"]
    assert tier == {"member_id": ana.member_id, "from_tier": "member", "to_tier": "silver", "rule": "tier_upgrade"}
    spend = next(e for e in receiver.events() if e["type"] == "voucher.spent")["data"]
    assert (spend["partner_id"], spend["value"], spend["by_issuer"]) == ("cinema", {"market": "5.00"}, {"market": 500})


def test_a_failing_endpoint_gets_the_same_event_again_with_growing_delays_until_it_answers(
    coalition, pipeline, receiver
):
    book_a_reversal(coalition, receiver)
    receiver.fail_next = 2
    deliver(pipeline)

    assert [r.answered for r in receiver.received] == [503, 503, 200]
    assert len({r.headers["X-Coalition-Delivery"] for r in receiver.received}) == 1  # one event, sent 3 times
    assert len({r.body for r in receiver.received}) == 1 and all(r.signed for r in receiver.received)
    assert pipeline.delays == [30, 60]
    assert pipeline.dead_letters() == []


def test_a_poisoned_endpoint_ends_in_the_dead_letter_queue_after_the_last_attempt(coalition, pipeline, receiver):
    book_a_reversal(coalition, receiver)
    receiver.always_fail = True
    deliver(pipeline)

    assert len(receiver.received) == MAX_ATTEMPTS
    assert pipeline.delays == [30, 60, 120, 240, 480, 900, 900]
    (parked,) = pipeline.dead_letters()
    assert parked["delivery"]["attempt"] == MAX_ATTEMPTS - 1 and parked["delivery"]["webhook_id"] == "h-1"
    assert "last status 503" in parked["reason"] and SECRET not in str(parked)


def test_a_receiver_with_another_secret_refuses_the_delivery_and_it_is_retried(coalition, pipeline, receiver):
    book_a_reversal(coalition, receiver, secret="not-the-receivers-secret")
    deliver(pipeline, rounds=2, must_drain=False)

    assert [(r.signed, r.answered) for r in receiver.received] == [(False, 401), (False, 401)]


def test_a_deleted_endpoint_gets_nothing_more_even_what_was_queued(coalition, pipeline, receiver):
    market = book_a_reversal(coalition, receiver)
    pipeline.run_stream()

    assert coalition.api.delete("/v1/webhooks/h-1", token=market).status == 204
    pipeline.deliver_all()

    assert receiver.received == [] and pipeline.dead_letters() == []


def test_the_same_stream_records_twice_queue_the_same_deliveries_keyed_by_event_id(coalition, pipeline, receiver):
    book_a_reversal(coalition, receiver)
    records = pipeline.stream_records()

    pipeline.run_stream(records)
    first = pipeline.queued()
    pipeline.run_stream(records)  # Lambda retries a batch whose invocation failed
    second = pipeline.queued()

    assert len(first) == 1 and [m["Body"] for m in first] == [m["Body"] for m in second]


def test_the_request_path_makes_no_more_dynamodb_calls_and_no_sqs_call_with_webhooks(coalition, pipeline, meter):
    market = coalition.partner("market")
    ana = coalition.member(market)
    coalition.purchase(market, ana, "100.00")

    def redemption_cost(redemption_id):
        meter.reset()
        with mock.patch.object(webhook_queue, "send", side_effect=AssertionError("SQS on the request path")):
            assert coalition.redeem(market, ana, 1, redemption_id).status == 201
        return meter.counts()

    without = redemption_cost("r-1")
    subscribe(coalition, market, "https://hooks.example.com/x")
    assert redemption_cost("r-2") == without


def test_settlement_closed_is_sent_once_per_partner_with_a_statement_after_the_close(
    coalition, pipeline, receiver, clock
):
    market, cinema = coalition.partner("market"), coalition.partner("cinema")
    subscribe(coalition, market, receiver.url, ["settlement.closed"])
    subscribe(coalition, cinema, receiver.url, ["settlement.closed"])
    ana = coalition.member(market)
    coalition.purchase(market, ana, "100.00")
    coalition.redeem(cinema, ana, 50)
    clock.advance(days=1)
    assert coalition.api.post("/v1/admin/settlements/2026-11-23/close", token=coalition.admin).status == 201

    dispatch.close_due_settlements(coalition.api.container.runtime)  # the hourly schedule
    dispatch.close_due_settlements(coalition.api.container.runtime)  # again: nothing new
    pipeline.deliver_all()

    events = sorted(receiver.events(), key=lambda e: e["partner_id"])
    assert [(e["type"], e["partner_id"]) for e in events] == [
        ("settlement.closed", "cinema"),
        ("settlement.closed", "market"),
    ]
    assert events[0]["data"] == {
        "period": "2026-11-23", "net": "0.50", "currency": "EUR", "statement": "/v1/settlements/2026-11-23",
    }  # fmt: skip
    assert events[1]["data"]["net"] == "-0.50" and events[1]["event_id"] == "settlement.closed:2026-11-23:market"


def test_points_expiring_within_30_days_are_announced_once_to_their_issuer_for_consenting_members_only(
    coalition, pipeline, receiver, clock
):
    market = coalition.partner("market")
    subscribe(coalition, market, receiver.url, ["points.expiring"])
    ana, ben = coalition.member(market), coalition.member(market)
    for member in (ana, ben):
        coalition.purchase(market, member, "100.00")  # valid until 2028-11-30 (24 months after November)
    consents = {"consents": {"email": {"given": True}}}
    assert coalition.api.patch("/v1/me", consents, token=ana.token).status == 200
    rt = coalition.api.container.runtime

    clock.now = datetime(2028, 10, 30, 2, tzinfo=timezone.utc)  # 31 days before: not yet
    dispatch.fan_out(rt, "webhook-expiring")
    assert pipeline.queued() == []
    clock.now = datetime(2028, 11, 1, 1, tzinfo=timezone.utc)
    dispatch.fan_out(rt, "webhook-expiring")
    clock.now = datetime(2028, 11, 2, 1, tzinfo=timezone.utc)
    dispatch.fan_out(rt, "webhook-expiring")  # the next day: already told
    pipeline.deliver_all()

    (event,) = receiver.events()
    assert (event["type"], event["partner_id"], event["event_id"]) == (
        "points.expiring", "market", f"points.expiring:{ana.member_id}:2028-11-30:market",
    )  # fmt: skip
    assert event["data"] == {"member_id": ana.member_id, "expires_on": "2028-11-30", "points": 100}
    assert date.fromisoformat(event["occurred_at"][:10]) == date(2028, 11, 1)
