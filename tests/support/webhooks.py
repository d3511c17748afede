"""Driving the webhook pipeline under moto as AWS would: the ledger's stream records handed to the stream consumer,
the webhooks queue's messages to the delivery consumer (a delayed message is received once its delay is over:
moto keeps DelaySeconds, so the test reads it with the delay ignored and notes it)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import boto3

import app as application

# What Lambda passes as the context (the powertools logger middleware reads it).
CONTEXT = SimpleNamespace(
    function_name="coalition-webhooks",
    memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:coalition-webhooks",
    aws_request_id="req-webhooks",
)


@dataclass
class Pipeline:
    """The stream (read from where it was last read), the webhooks queue and its dead-letter queue. In-process
    DynamoDB Streams calls need AWS_ACCOUNT_ID_ENDPOINT_MODE=disabled (DESIGN.md): the fixture sets it."""

    settings: Any
    _iterators: dict[str, str] = field(default_factory=dict)
    delays: list[int] = field(default_factory=list)  # DelaySeconds of every re-queued delivery, in order

    def __post_init__(self) -> None:
        self.sqs = boto3.client("sqs", region_name=self.settings.region)
        self.streams = boto3.client("dynamodbstreams", region_name=self.settings.region)
        table = boto3.client("dynamodb", region_name=self.settings.region).describe_table(
            TableName=self.settings.ledger_table
        )
        self.stream_arn = table["Table"]["LatestStreamArn"]

    def stream_records(self) -> list[dict[str, Any]]:
        """New stream records since the last call, shaped as Lambda hands them to the consumer."""
        records: list[dict[str, Any]] = []
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            shard_id = shard["ShardId"]
            iterator = (
                self._iterators.get(shard_id)
                or self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            )
            answer = self.streams.get_records(ShardIterator=iterator)
            self._iterators[shard_id] = answer["NextShardIterator"]
            for record in answer["Records"]:
                dynamodb = dict(record["dynamodb"])
                created = dynamodb.get("ApproximateCreationDateTime")
                dynamodb["ApproximateCreationDateTime"] = created.timestamp() if created else 0
                dynamodb.setdefault("SizeBytes", 0)
                records.append({**record, "dynamodb": dynamodb, "eventSourceARN": self.stream_arn})
        return records

    def run_stream(self, records: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Hand the stream's new records (or the given ones) to the stream consumer, as one Lambda batch."""
        batch = self.stream_records() if records is None else records
        if batch:
            application.ledger_to_webhooks({"Records": batch}, CONTEXT)
        return batch

    def queued(self, url: str | None = None) -> list[dict[str, Any]]:
        """Every message waiting (taken off the queue), delayed ones included."""
        url = url or self.settings.webhooks_queue_url
        taken: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            taken += batch
        return taken

    def deliver_all(self, rounds: int = 20, *, must_drain: bool = True) -> int:
        """Run the delivery consumer on every queued message, round after round, until the queue is empty; the
        re-queued ones' delays are recorded (the test does not wait them out)."""
        handled = 0
        for _ in range(rounds):
            messages = self.queued()
            if not messages:
                return handled
            for message in messages:
                event = {"Records": [{"body": message["Body"], "messageId": message["MessageId"],
                                      "receiptHandle": "r", "attributes": {}, "eventSourceARN": "arn:q"}]}  # fmt: skip
                application.deliver_webhook(event, CONTEXT)
                handled += 1
        if must_drain:
            raise AssertionError("the webhooks queue never drained")
        return handled

    def dead_letters(self) -> list[dict[str, Any]]:
        return [json.loads(m["Body"]) for m in self.queued(self.settings.webhooks_dead_letter_url)]
