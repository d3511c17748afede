"""Create this stage's tables, bucket, queue and member user pool from infra/resources.json (the one declaration),
against whatever endpoint boto3 is pointed at: moto in tests, the embedded moto server locally."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from chalicelib.settings import Settings

INFRA = Path(__file__).resolve().parent.parent / "infra" / "resources.json"

# Logical id in infra/ -> the settings field holding this stage's physical name.
TABLE_SETTINGS = {
    "MembersTable": "members_table",
    "WalletVaultsTable": "wallet_vaults_table",
    "LedgerTable": "ledger_table",
    "OperationsTable": "operations_table",
    "DirectoryTable": "directory_table",
    "SettlementsTable": "settlements_table",
    "VouchersTable": "vouchers_table",
    "RewardsTable": "rewards_table",
    "AuditTable": "audit_table",
}


def declared_resources() -> dict[str, Any]:
    return json.loads(INFRA.read_text())["Resources"]


def create_table_requests(settings: Settings) -> list[dict[str, Any]]:
    """CreateTable arguments for every AWS::DynamoDB::Table declared in infra/."""
    requests = []
    for logical_id, resource in declared_resources().items():
        if resource.get("Type") != "AWS::DynamoDB::Table":  # (overrides of chalice resources have none)
            continue
        props = resource["Properties"]
        request: dict[str, Any] = {
            "TableName": getattr(settings, TABLE_SETTINGS[logical_id]),
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props["BillingMode"],
        }
        if props.get("GlobalSecondaryIndexes"):
            request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if props.get("StreamSpecification"):  # the ledger's stream: the webhooks' outbox
            request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        if props.get("SSESpecification", {}).get("SSEEnabled"):
            request["SSESpecification"] = {"Enabled": True}
        requests.append(request)
    return requests


def create_all(settings: Settings) -> dict[str, str]:
    """Tables (idempotent), the statements bucket, the jobs queue and the webhooks queues; returns their URLs."""
    dynamodb = boto3.client("dynamodb", region_name=settings.region)
    existing = set(dynamodb.list_tables()["TableNames"])
    for request in create_table_requests(settings):
        if request["TableName"] not in existing:
            dynamodb.create_table(**request)
    s3 = boto3.client("s3", region_name=settings.region)
    s3.create_bucket(
        Bucket=settings.statements_bucket, CreateBucketConfiguration={"LocationConstraint": settings.region}
    )
    sqs = boto3.client("sqs", region_name=settings.region)
    queue_url = sqs.create_queue(QueueName="coalition-local-jobs")["QueueUrl"]
    return {
        "queue_url": queue_url,
        "webhooks_queue_url": sqs.create_queue(QueueName="coalition-local-webhooks")["QueueUrl"],
        "webhooks_dead_letter_url": sqs.create_queue(QueueName="coalition-local-webhooks-dlq")["QueueUrl"],
    }


# CloudFormation properties of the user pool and its client that the CreateUserPool / CreateUserPoolClient calls
# take under the same name (the rest: deployment-only settings, or references the calls pass otherwise).
USER_POOL_PROPERTIES = (
    "UsernameAttributes",
    "AutoVerifiedAttributes",
    "UsernameConfiguration",
    "Policies",
    "AccountRecoverySetting",
    "AdminCreateUserConfig",
)
CLIENT_PROPERTIES = (
    "ClientName",
    "GenerateSecret",
    "ExplicitAuthFlows",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "ReadAttributes",
    "WriteAttributes",
    "AccessTokenValidity",
    "IdTokenValidity",
    "RefreshTokenValidity",
    "TokenValidityUnits",
)


@dataclass(frozen=True)
class MemberPool:
    user_pool_id: str
    app_client_id: str


def create_member_pool(region: str, name: str = "coalition-local-members") -> MemberPool:
    """The member user pool and the member app's client, as infra/ declares them (MemberUserPool, MemberAppClient)."""
    resources = declared_resources()
    pool_props = resources["MemberUserPool"]["Properties"]
    client_props = resources["MemberAppClient"]["Properties"]
    cognito = boto3.client("cognito-idp", region_name=region)
    pool = cognito.create_user_pool(
        PoolName=name, **{k: pool_props[k] for k in USER_POOL_PROPERTIES if k in pool_props}
    )
    pool_id = pool["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool_id, **{k: client_props[k] for k in CLIENT_PROPERTIES if k in client_props}
    )
    return MemberPool(pool_id, client["UserPoolClient"]["ClientId"])
