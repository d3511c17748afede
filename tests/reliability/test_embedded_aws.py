"""`make run`'s embedded AWS applies each call atomically, as DynamoDB does (moto's own server does not)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.exceptions import ClientError

from localdev.emulator import OneRequestAtATime, SerialisedMotoServer


def test_one_request_at_a_time_lets_a_single_request_into_the_application():
    inside, most_inside = 0, 0
    counting = threading.Lock()

    def slow_app(environ, start_response):
        nonlocal inside, most_inside
        with counting:
            inside += 1
            most_inside = max(most_inside, inside)
        time.sleep(0.01)
        start_response("200 OK", [])
        with counting:
            inside -= 1
        return [b"answer ", environ["n"].encode()]

    app = OneRequestAtATime(slow_app)
    with ThreadPoolExecutor(max_workers=8) as pool:
        bodies = list(pool.map(lambda n: app({"n": str(n)}, lambda *a: None), range(16), timeout=30))

    assert most_inside == 1
    assert bodies == [[f"answer {n}".encode()] for n in range(16)]


@pytest.mark.concurrency
def test_twelve_parallel_conditional_transactions_of_30_on_300_points_commit_exactly_ten():
    with SerialisedMotoServer() as server:
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=server.url,
            region_name="eu-west-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        table = "embedded-aws-race"
        dynamodb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "wallet"}, "points": {"N": "300"}})

        def redeem(n: int) -> str:
            """What our redemptions do: the wallet debited on a condition, an operation record, one transaction."""
            try:
                dynamodb.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": table,
                                "Key": {"pk": {"S": "wallet"}},
                                "UpdateExpression": "SET points = points - :p",
                                "ConditionExpression": "points >= :p",
                                "ExpressionAttributeValues": {":p": {"N": "30"}},
                            }
                        },
                        {"Put": {"TableName": table, "Item": {"pk": {"S": f"redemption-{n}"}}}},
                    ]
                )
                return "committed"
            except ClientError as error:
                return error.response["Error"]["Code"]

        with ThreadPoolExecutor(max_workers=12) as pool:
            outcomes = list(pool.map(redeem, range(12), timeout=60))

        wallet = dynamodb.get_item(TableName=table, Key={"pk": {"S": "wallet"}}, ConsistentRead=True)["Item"]
        records = dynamodb.scan(TableName=table)["Count"] - 1
        dynamodb.delete_table(TableName=table)

    assert sorted(outcomes) == ["TransactionCanceledException"] * 2 + ["committed"] * 10
    assert wallet["points"] == {"N": "0"}
    assert records == 10
