"""What DynamoDB would bill for the calls a request makes: read and write capacity units, from the items' sizes.

moto reports no consumed capacity for transactions, so the meter computes it with DynamoDB's published rules:
- an item's size is the sum of its attribute names and values (strings and binaries by their bytes, numbers by
  their digits, maps and lists 3 bytes plus 1 per element plus their elements);
- a read costs 1 RCU per 4 KB (strongly consistent) or 0.5 (eventually consistent); GetItem and BatchGetItem round
  up per item, Query per call on the sum of the items it returns; transactional reads cost twice;
- a write costs 1 WCU per 1 KB of the larger of the item before and after, twice in a transaction; a condition
  check costs as a write of the item it checks.
The item before a write is read around the call through the unmetered client, so the meter changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import botocore.client

AttributeValue = dict[str, Any]


def value_bytes(value: AttributeValue) -> int:
    [(kind, raw)] = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "B":
        return len(raw)
    if kind == "N":
        digits = raw.lstrip("-").replace(".", "").strip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(name.encode()) + value_bytes(v) + 1 for name, v in raw.items())
    if kind == "L":
        return 3 + sum(value_bytes(v) + 1 for v in raw)
    if kind in ("SS", "BS"):
        return sum(len(v.encode()) if isinstance(v, str) else len(v) for v in raw)
    if kind == "NS":
        return sum(value_bytes({"N": v}) for v in raw)
    raise ValueError(f"unknown attribute type {kind}")


def item_bytes(item: dict[str, AttributeValue] | None) -> int:
    return 0 if not item else sum(len(name.encode()) + value_bytes(value) for name, value in item.items())


def read_units(size: int, consistent: bool) -> float:
    return max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


@dataclass
class Billed:
    operation: str
    rcu: float = 0.0
    wcu: float = 0.0
    written_bytes: list[int] = field(default_factory=list)  # each item written, the larger of before and after


@dataclass
class CapacityMeter:
    billed: list[Billed] = field(default_factory=list)

    def reset(self) -> None:
        self.billed.clear()

    @property
    def rcu(self) -> float:
        return sum(b.rcu for b in self.billed)

    @property
    def wcu(self) -> float:
        return sum(b.wcu for b in self.billed)

    def largest_write(self) -> int:
        return max((n for b in self.billed for n in b.written_bytes), default=0)


@contextmanager
def capacity_meter() -> Iterator[CapacityMeter]:
    original = botocore.client.BaseClient._make_api_call
    meter = CapacityMeter()

    def current(client: Any, table: str, key: dict[str, AttributeValue]) -> dict[str, AttributeValue] | None:
        got = original(client, "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
        return got.get("Item")  # type: ignore[no-any-return]

    def key_of(client: Any, table: str, item: dict[str, AttributeValue]) -> dict[str, AttributeValue]:
        schema = original(client, "DescribeTable", {"TableName": table})["Table"]["KeySchema"]
        return {k["AttributeName"]: item[k["AttributeName"]] for k in schema}

    def metered(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name != "dynamodb" or operation == "DescribeTable":
            return original(client, operation, params)
        billed = Billed(operation)
        if operation == "TransactWriteItems":
            writes = []
            for action in params["TransactItems"]:
                [(kind, body)] = action.items()
                key = key_of(client, body["TableName"], body["Item"]) if kind == "Put" else body["Key"]
                writes.append((kind, body, key, item_bytes(current(client, body["TableName"], key))))
            result = original(client, operation, params)
            for kind, body, key, before in writes:
                after = item_bytes(body["Item"]) if kind == "Put" else 0
                if kind == "Update":
                    after = item_bytes(current(client, body["TableName"], key))
                size = max(before, after)
                billed.wcu += 2 * write_units(size)
                billed.written_bytes.append(size)
        elif operation in ("PutItem", "DeleteItem", "UpdateItem"):
            table = params["TableName"]
            key = key_of(client, table, params["Item"]) if operation == "PutItem" else params["Key"]
            before = item_bytes(current(client, table, key))
            result = original(client, operation, params)
            after = item_bytes(params["Item"]) if operation == "PutItem" else item_bytes(current(client, table, key))
            billed.wcu += write_units(max(before, after))
            billed.written_bytes.append(max(before, after))
        else:
            result = original(client, operation, params)
            if operation == "GetItem":
                billed.rcu += read_units(item_bytes(result.get("Item")), bool(params.get("ConsistentRead")))
            elif operation == "BatchGetItem":
                for table, request in params["RequestItems"].items():
                    found = result.get("Responses", {}).get(table, [])
                    consistent = bool(request.get("ConsistentRead"))
                    billed.rcu += sum(read_units(item_bytes(item), consistent) for item in found)
                    billed.rcu += read_units(0, consistent) * (len(request["Keys"]) - len(found))
            elif operation in ("Query", "Scan"):
                total = sum(item_bytes(item) for item in result.get("Items", []))
                billed.rcu += read_units(total, bool(params.get("ConsistentRead")))
        meter.billed.append(billed)
        return result

    with mock.patch.object(botocore.client.BaseClient, "_make_api_call", metered):
        yield meter
