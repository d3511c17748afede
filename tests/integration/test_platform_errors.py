"""Requests chalice answers before any view runs (a method the path lacks, a Content-Type the route does not
accept) get the contract's error shape, like every other error, and write nothing."""

from __future__ import annotations

import json

import pytest
from chalice.app import Request
from chalice.app import error_response as chalice_error_response

from chalicelib.api.errors import from_chalice, is_chalice_error
from tests.support.aws import table_snapshot


@pytest.fixture
def shop(coalition):
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "50.00", transaction_id="t1")
    return key, member


def redemption(member) -> dict:
    return {"redemption_id": "r1", "member": {"card_number": member.card_number}, "points": 10}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_sent_as_another_media_type_is_refused_in_the_contract_shape(coalition, settings, shop, content_type):
    key, member = shop
    before = table_snapshot(settings)

    reply = coalition.api.post("/v1/redemptions", redemption(member), token=key, headers={"Content-Type": content_type})

    assert reply.status == 415
    assert reply.json == {
        "error": {
            "code": "unsupported_media_type",
            "message": f"Content-Type {content_type} is not accepted: send the body as application/json",
        }
    }
    assert table_snapshot(settings) == before
    assert coalition.me(member)["available_points"] == 50


def test_the_media_type_is_checked_before_the_caller_as_on_the_platform(coalition, shop):
    _, member = shop

    reply = coalition.api.post("/v1/redemptions", redemption(member), headers={"Content-Type": "text/plain"})

    assert (reply.status, reply.error_code) == (415, "unsupported_media_type")


def test_json_with_a_charset_is_accepted(coalition, shop):
    key, member = shop

    reply = coalition.api.post(
        "/v1/redemptions", redemption(member), token=key, headers={"Content-Type": "application/json; charset=utf-8"}
    )

    assert (reply.status, reply.json["available_points"]) == (201, 40)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/redemptions", "POST, GET"),
        ("PUT", "/v1/transactions", "POST, GET"),
        ("POST", "/v1/me/entries", "GET"),
        ("PATCH", "/v1/transactions/{transaction_id}/returns", "POST"),
    ],
)
def test_a_method_the_path_lacks_is_refused_in_the_contract_shape(coalition, settings, shop, method, path, allowed):
    key, member = shop
    before = table_snapshot(settings)

    reply = coalition.api.request(method, path.format(transaction_id="t1"), body=redemption(member), token=key)

    assert reply.status == 405
    assert {k.lower(): v for k, v in reply.headers.items()}["allow"] == allowed
    assert reply.json == {
        "error": {"code": "method_not_allowed", "message": f"{method} is not a method of {path}; it has {allowed}"}
    }
    assert table_snapshot(settings) == before


def test_chalice_s_other_answers_keep_their_status_in_the_contract_shape():
    event = {
        "multiValueQueryStringParameters": None,
        "headers": {"accept": "application/json"},
        "pathParameters": None,
        "requestContext": {"httpMethod": "GET", "resourcePath": "/v1/settlements/{period}"},
        "body": None,
        "stageVariables": None,
    }
    binary_refused = chalice_error_response("The response has a Content-Type of image/png.", "BadRequest", 400)
    crashed = chalice_error_response("An internal server error occurred.", "InternalServerError", 500)
    assert is_chalice_error(binary_refused) and is_chalice_error(crashed)

    refused, failed = from_chalice(binary_refused, Request(event)), from_chalice(crashed, Request(event))

    assert (refused.status_code, json.loads(refused.body)) == (
        400,
        {"error": {"code": "invalid_request", "message": "The response has a Content-Type of image/png."}},
    )
    assert (failed.status_code, json.loads(failed.body)["error"]["code"]) == (500, "internal_error")
