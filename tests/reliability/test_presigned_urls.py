"""`make run`'s embedded AWS checks a presigned S3 URL as S3 does (moto serves any): a statement link opens until it
expires, and not after; a URL changed by hand (another object, another signature) is refused."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from unittest import mock

import boto3
import pytest
from botocore.config import Config

from localdev.emulator import SerialisedMotoServer

KEY = "settlements/2026-11/parties/market.html"
BUCKET = f"statements-{uuid.uuid4().hex[:12]}"  # moto's state is the process's: a bucket of this module's own


@pytest.fixture
def s3():
    with mock.patch.dict("os.environ", {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}):
        with SerialisedMotoServer() as server:
            client = boto3.client(
                "s3",
                endpoint_url=server.url,
                region_name="eu-west-1",
                aws_access_key_id="local",
                aws_secret_access_key="local",
                config=Config(signature_version="s3v4"),
            )
            if "Buckets" not in client.list_buckets() or BUCKET not in {
                b["Name"] for b in client.list_buckets()["Buckets"]
            }:
                client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
            for key in (KEY, KEY.replace("market", "cinema")):
                client.put_object(Bucket=BUCKET, Key=key, Body=b"<h1>page</h1>", ContentType="text/html")
            yield client


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - a URL of the local server
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def presign(s3, key: str = KEY, seconds: int = 3600, signed_at: datetime | None = None) -> str:
    params = {"Bucket": BUCKET, "Key": key}
    if signed_at is None:
        return s3.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)
    with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at.replace(tzinfo=None)):
        return s3.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)


def test_a_fresh_link_opens_without_any_header(s3):
    assert fetch(presign(s3)) == (200, b"<h1>page</h1>")


def test_an_expired_link_is_refused(s3):
    two_hours_ago = datetime.now(timezone.utc) - timedelta(hours=2)
    expired = presign(s3, seconds=3600, signed_at=two_hours_ago)
    still_valid = presign(s3, seconds=3 * 3600, signed_at=two_hours_ago)

    status, body = fetch(expired)
    assert status == 403 and b"<Code>AccessDenied</Code><Message>Request has expired" in body
    assert fetch(still_valid)[0] == 200


def test_a_link_changed_by_hand_is_refused(s3):
    url = presign(s3)
    signature = url.split("X-Amz-Signature=")[1]

    other_object = fetch(url.replace("market", "cinema"))
    forged = fetch(url.replace(signature, "0" * 64))
    longer = fetch(url.replace("X-Amz-Expires=3600", "X-Amz-Expires=604800"))

    assert [other_object[0], forged[0], longer[0]] == [403, 403, 403]
    assert b"SignatureDoesNotMatch" in other_object[1]


def test_a_link_dated_in_the_future_or_valid_longer_than_s3_allows_is_refused(s3):
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)

    future = fetch(presign(s3, signed_at=tomorrow))
    too_long = fetch(presign(s3, seconds=8 * 24 * 3600))

    assert future[0] == 403 and b"Request is not valid yet" in future[1]
    assert too_long[0] == 403 and b"X-Amz-Expires must be between 1 and 604800" in too_long[1]
