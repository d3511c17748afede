"""The seed's in-process path to the embedded AWS (localdev.emulator.direct_calls): the same state as over HTTP,
a failed transaction changes nothing, and what it writes is what the server serves afterwards."""

from __future__ import annotations

import os

import boto3
import pytest
from botocore.exceptions import ClientError

from localdev.emulator import SerialisedMotoServer, direct_calls


@pytest.fixture
def server(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with SerialisedMotoServer() as running:
        monkeypatch.setenv("AWS_ENDPOINT_URL", running.url)
        yield running


def client():
    return boto3.client("dynamodb", region_name="eu-west-1", aws_access_key_id="local", aws_secret_access_key="local")


def test_a_transaction_that_fails_changes_nothing_and_a_query_answers_in_key_order(server):
    over_http = client()
    over_http.create_table(
        TableName="ledger",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in (3, 1, 20, 2):
        over_http.put_item(TableName="ledger", Item={"pk": {"S": "m"}, "sk": {"N": str(n)}, "v": {"S": "old"}})

    with direct_calls():
        assert "AWS_ENDPOINT_URL" not in os.environ
        inside = client()
        with pytest.raises(ClientError) as refused:
            inside.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": "ledger", "Item": {"pk": {"S": "m"}, "sk": {"N": "1"}, "v": {"S": "new"}}}},
                    {"Put": {"TableName": "ledger", "Item": {"pk": {"S": "m"}, "sk": {"N": "9"}, "v": {"S": "new"}}}},
                    {
                        "Put": {
                            "TableName": "ledger",
                            "Item": {"pk": {"S": "m"}, "sk": {"N": "2"}, "v": {"S": "new"}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
        keys = inside.query(
            TableName="ledger", KeyConditionExpression="pk = :m", ExpressionAttributeValues={":m": {"S": "m"}}
        )["Items"]
        inside.put_item(TableName="ledger", Item={"pk": {"S": "m"}, "sk": {"N": "30"}, "v": {"S": "direct"}})

    assert [int(item["sk"]["N"]) for item in keys] == [1, 2, 3, 20]
    assert {item["v"]["S"] for item in keys} == {"old"}
    assert os.environ["AWS_ENDPOINT_URL"] == server.url
    served = over_http.query(
        TableName="ledger", KeyConditionExpression="pk = :m", ExpressionAttributeValues={":m": {"S": "m"}}
    )["Items"]
    assert [(int(i["sk"]["N"]), i["v"]["S"]) for i in served] == [
        (1, "old"),
        (2, "old"),
        (3, "old"),
        (20, "old"),
        (30, "direct"),
    ]
