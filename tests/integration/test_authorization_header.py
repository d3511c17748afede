"""The Authorization header: `Bearer` in any case (RFC 7235), exactly one header, and member tokens that
cannot live longer than a day."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from tests.support.aws import table_snapshot
from tests.support.cognito import pool_signed


@pytest.fixture
def shop(coalition):
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "50.00", transaction_id="t1")
    return key, member


def member_token(settings, member, *, lifetime=timedelta(minutes=5), **claims):
    """A token of the member's user signed with the pool's key, with the lifetime and claims given."""
    now = datetime.now(timezone.utc)
    subject = jwt.decode(member.token, options={"verify_signature": False})["sub"]
    times = {"iat": int(now.timestamp()), "exp": int((now + lifetime).timestamp())}
    return pool_signed(settings, sub=subject, **{**times, **claims})


# ---- the scheme is case-insensitive -----------------------------------------------------------------
@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_case_insensitive_for_every_kind_of_caller(coalition, shop, scheme):
    key, member = shop
    header = lambda credential: {"Authorization": f"{scheme} {credential}"}  # noqa: E731

    as_member = coalition.api.get("/v1/me", headers=header(member.token))
    as_partner = coalition.api.get(f"/v1/members?card_number={member.card_number}", headers=header(key))
    as_operator = coalition.api.get("/v1/admin/partners/shop", headers=header(coalition.admin))

    assert (as_member.status, as_member.json["available_points"]) == (200, 50)
    assert (as_partner.status, as_partner.json["member_id"]) == (200, member.member_id)
    assert (as_operator.status, as_operator.json["partner_id"]) == (200, "shop")


@pytest.mark.parametrize(
    "header",
    [
        "Basic dGVzdDp0ZXN0",
        "Bearer",
        "Bearer ",
        "Bearertoken",
        "Token abc",
        "Bearer a b",
        "Bearer ck_1_2, Bearer ck_3_4",  # two headers folded into one by a proxy (RFC 7230 §3.2.2)
    ],
)
def test_anything_but_one_bearer_credential_is_unauthenticated(coalition, shop, header):
    reply = coalition.api.get("/v1/admin/partners/shop", headers={"Authorization": header})

    assert (reply.status, reply.error_code) == (401, "unauthenticated"), reply.json


# ---- exactly one Authorization header ---------------------------------------------------------------
def proxy_event(path, values, method="GET"):
    """An API Gateway REST (payload 1.0) proxy event for a request that carried these Authorization headers:
    `headers` keeps the last one, `multiValueHeaders` all of them."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Authorization": values[-1], "Content-Type": "application/json"},
        "multiValueHeaders": {"Authorization": list(values), "Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/api{path}",
            "requestId": "req-1",
            "stage": "api",
        },
        "body": None,
        "isBase64Encoded": False,
    }


class LambdaContext:
    function_name = "coalition-api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:coalition-api"
    aws_request_id = "req-1"


def invoke(event):
    import app as application

    return application.app(event, LambdaContext())


def test_two_authorization_headers_are_refused_on_lambda(coalition, shop):
    _, member = shop

    twice = invoke(proxy_event("/v1/me", [f"Bearer {member.token}", f"Bearer {member.token}"]))
    someone_else_first = invoke(proxy_event("/v1/me", [f"Bearer {coalition.admin}", f"Bearer {member.token}"]))
    once = invoke(proxy_event("/v1/me", [f"Bearer {member.token}"]))

    for reply in (twice, someone_else_first):
        assert reply["statusCode"] == 401
        assert json.loads(reply["body"])["error"]["code"] == "unauthenticated"
        assert "one Authorization header" in json.loads(reply["body"])["error"]["message"]
    assert once["statusCode"] == 200 and json.loads(once["body"])["member_id"] == member.member_id


def test_two_authorization_headers_write_nothing(coalition, settings, shop):
    key, member = shop
    event = proxy_event("/v1/redemptions", [f"Bearer {key}", f"Bearer {key}"], method="POST")
    event["body"] = json.dumps({"redemption_id": "r1", "member": {"card_number": member.card_number}, "points": 5})
    before = table_snapshot(settings)

    reply = invoke(event)

    assert reply["statusCode"] == 401
    assert table_snapshot(settings) == before


# ---- member tokens live a day at most ---------------------------------------------------------------
def test_a_member_token_that_lives_longer_than_a_day_is_refused(coalition, settings, shop):
    _, member = shop
    day = member_token(settings, member, lifetime=timedelta(hours=24))
    longer = member_token(settings, member, lifetime=timedelta(hours=24, seconds=1))
    year = member_token(settings, member, lifetime=timedelta(days=365))

    assert coalition.api.get("/v1/me", token=day).status == 200
    for token in (longer, year):
        reply = coalition.api.get("/v1/me", token=token)
        assert (reply.status, reply.error_code) == (401, "unauthenticated")
        assert "lifetime" in reply.json["error"]["message"]


@pytest.mark.parametrize(
    "claims",
    [
        {"iat": None},  # no issue time: its lifetime cannot be known
        {"iat": "0", "exp": "9999999999"},  # times as text: PyJWT turns them into numbers, we do not
        {"iat": True},
        {"iat": 1.5e9, "exp": 9.9e9},
    ],
    ids=["no iat", "text times", "boolean iat", "float times, 250 years"],
)
def test_a_member_token_without_numeric_issue_and_expiry_times_is_refused(coalition, settings, shop, claims):
    _, member = shop
    token = member_token(settings, member, **claims)

    reply = coalition.api.get("/v1/me", token=token)

    assert (reply.status, reply.error_code) == (401, "unauthenticated"), reply.json
