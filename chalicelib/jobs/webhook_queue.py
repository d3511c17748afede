"""The webhooks queue: deliveries sent, re-sent later after a failure, or parked in the dead-letter queue."""

from __future__ import annotations

import json
from typing import Any

from ..domain.webhooks import Delivery
from ..observability import logger
from ..services.runtime import Runtime
from ..store import clients


def send(rt: Runtime, deliveries: list[Delivery]) -> int:
    """Queue the deliveries (10 a call); without a webhooks queue (a local stage that named none) nothing is sent."""
    queue_url = rt.settings.webhooks_queue_url
    if not deliveries:
        return 0
    if not queue_url:
        logger.info("no webhooks queue: deliveries not sent", extra={"deliveries": len(deliveries)})
        return 0
    sqs = _sqs(rt)
    for start in range(0, len(deliveries), 10):
        batch = deliveries[start : start + 10]
        answer = sqs.send_message_batch(
            QueueUrl=queue_url, Entries=[{"Id": str(i), "MessageBody": d.message()} for i, d in enumerate(batch)]
        )
        if answer.get("Failed"):  # raising makes the caller's invocation fail and its input come again
            raise RuntimeError(f"{len(answer['Failed'])} webhook deliveries not queued")
    return len(deliveries)


def send_later(rt: Runtime, delivery: Delivery, delay_seconds: int) -> None:
    assert rt.settings.webhooks_queue_url
    _sqs(rt).send_message(
        QueueUrl=rt.settings.webhooks_queue_url, MessageBody=delivery.message(), DelaySeconds=delay_seconds
    )


def park(rt: Runtime, delivery: Delivery, reason: str) -> None:
    """The dead-letter queue, with why: the operator replays from there (or the partner is told its endpoint failed).
    Without one, raising leaves the message to the queue's redrive policy."""
    if not rt.settings.webhooks_dead_letter_url:
        raise RuntimeError("no webhooks dead-letter queue configured")
    body = json.dumps({"delivery": json.loads(delivery.message()), "reason": reason}, separators=(",", ":"))
    _sqs(rt).send_message(QueueUrl=rt.settings.webhooks_dead_letter_url, MessageBody=body)


def _sqs(rt: Runtime) -> Any:
    return clients.client("sqs", rt.settings.region)  # built on first use: only job invocations pay it
