"""moto helpers: settings for a test stage, a DynamoDB call meter and fault injector, an S3 outage, dumps."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3
import botocore.client
import botocore.exceptions

from chalicelib.settings import Settings

ADMIN_KEY = "test-admin-key"


def make_settings(**overrides: Any) -> Settings:
    """The test stage; `overrides` usually carry the member pool's ids (the `identity` fixture)."""
    values: dict[str, Any] = {
        "stage": "local",
        "region": "eu-west-1",
        "admin_key": ADMIN_KEY,
        "pii_hmac_key": "test-pii-key",
        "config_cache_seconds": 0,  # every request reads: revocations and suspensions act at once
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Call:
    operation: str
    params: dict[str, Any]
    returned: int = 0  # items a Query/Scan/GetItem answered with

    @property
    def items(self) -> int:
        if self.operation == "TransactWriteItems":
            return len(self.params["TransactItems"])
        if self.operation == "BatchGetItem":
            return sum(len(t["Keys"]) for t in self.params["RequestItems"].values())
        return 1


@dataclass
class DynamoMeter:
    """Counts DynamoDB calls (moto reports no consumed capacity for transactions, so we count ourselves),
    and can inject faults before or after a call reaches moto."""

    calls: list[Call] = field(default_factory=list)
    faults: list[Callable[[Call, Callable[[], Any]], Any]] = field(default_factory=list)
    serialise: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> DynamoMeter:
        original = botocore.client.BaseClient._make_api_call
        meter = self

        def metered(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name != "dynamodb":
                return original(client, operation, params)
            call = Call(operation, params)
            meter.calls.append(call)

            def proceed() -> Any:
                if meter.serialise:  # DynamoDB applies each call atomically; moto does not
                    with meter._lock:
                        return original(client, operation, params)
                return original(client, operation, params)

            result = meter.faults[0](call, proceed) if meter.faults else proceed()
            if isinstance(result, dict):
                call.returned = result.get("Count", 1 if "Item" in result else 0)
            return result

        self._patch = mock.patch.object(botocore.client.BaseClient, "_make_api_call", metered)
        self._patch.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._patch.stop()

    def reset(self) -> None:
        self.calls.clear()

    def counts(self) -> Counter[str]:
        return Counter(call.operation for call in self.calls)


@contextmanager
def s3_refusing(operation: str = "PutObject", code: str = "ServiceUnavailable") -> Iterator[list[str]]:
    """S3 failing every `operation` as it answers once botocore's own retries are spent; yields the keys refused."""
    original = botocore.client.BaseClient._make_api_call
    refused: list[str] = []

    def refusing(client: Any, name: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name == "s3" and name == operation:
            refused.append(params.get("Key", ""))
            raise botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "injected outage"}}, name)
        return original(client, name, params)

    with mock.patch.object(botocore.client.BaseClient, "_make_api_call", refusing):
        yield refused


def bucket_keys(settings: Settings, prefix: str = "") -> set[str]:
    s3 = boto3.client("s3", region_name=settings.region)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=settings.statements_bucket, Prefix=prefix)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def table_snapshot(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    """Every item of every table, to prove that a refused request wrote nothing."""
    client = boto3.client("dynamodb", region_name=settings.region)
    snapshot = {}
    tables = (
        settings.members_table,
        settings.wallet_vaults_table,
        settings.ledger_table,
        settings.operations_table,
        settings.directory_table,
        settings.settlements_table,
        settings.vouchers_table,
        settings.rewards_table,
        settings.audit_table,
    )
    for name in tables:
        items = client.scan(TableName=name, ConsistentRead=True)["Items"]
        snapshot[name] = sorted(items, key=repr)
    return snapshot
