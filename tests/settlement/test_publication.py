"""Publishing closed periods to S3: a layout no partner id can collide with, reserved partner ids, and
publication as its own step that a failure delays but never loses."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import boto3
import botocore.exceptions
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.program import RESERVED_PARTNER_IDS
from chalicelib.jobs import settlement_close
from chalicelib.observability import logger
from chalicelib.services import settlement
from chalicelib.store import settlements, statements
from tests.support.aws import bucket_keys, s3_refusing, table_snapshot

PARTNER_ID = r"[a-z0-9][a-z0-9\-]{1,39}"  # the contract's partner id (services/requests.py PartnerId)


def period_keys(period: str, parties: tuple[str, ...]) -> set[str]:
    return {f"settlements/{period}/coalition.json"} | {
        f"settlements/{period}/parties/{party}.{extension}"
        for party in parties
        for extension in ("json", "csv", "html")
    }


def close(coalition, day: str):
    return coalition.api.post(f"/v1/admin/settlements/{day}/close", token=coalition.admin)


@contextmanager
def logged() -> Iterator[list[dict]]:
    """The JSON lines the shared logger writes while inside."""
    buffer = io.StringIO()
    previous = logger.registered_handler.setStream(buffer)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        logger.registered_handler.setStream(previous)
        lines += [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]


def settlement_reads(meter) -> list[tuple[str, str]]:
    """(operation, period/part) of every call on the settlements table."""
    reads = []
    for call in meter.calls:
        if call.params.get("TableName", "").endswith("settlements"):
            key = call.params.get("Key") or call.params.get("Item") or {}
            where = f"{key.get('period', {}).get('S')}/{key.get('part', {}).get('S')}" if key else ""
            reads.append((call.operation, where))
    return reads


# ---- item 11: a layout that cannot collide, and reserved ids ------------------------------------------------
@given(st.lists(st.from_regex(PARTNER_ID, fullmatch=True) | st.just("operator"), min_size=1, max_size=8, unique=True))
def test_no_party_id_can_name_another_partys_object_or_the_coalitions(parties):
    keys = [statements.coalition_key("2026-11-23")]
    for party in parties:
        keys += [statements.party_key("2026-11-23", party, "json"), statements.party_key("2026-11-23", party, "csv")]

    assert len(set(keys)) == len(keys)
    assert statements.coalition_key("2026-11") not in {statements.party_key("2026-11", p, "json") for p in parties}


@pytest.mark.parametrize("partner_id", sorted(RESERVED_PARTNER_IDS))
def test_a_reserved_partner_id_is_refused_and_writes_nothing(coalition, settings, partner_id):
    coalition.program()
    before = table_snapshot(settings)

    reply = coalition.api.post(
        "/v1/admin/partners",
        {"partner_id": partner_id, "name": "Shop", "currency": "EUR", "earn_rate": "1"},
        token=coalition.admin,
    )

    assert (reply.status, reply.error_code) == (400, "invalid_request"), reply.json
    assert reply.json["error"]["field"] == "partner_id" and "reserved" in reply.json["error"]["message"]
    assert table_snapshot(settings) == before


def test_the_reserved_ids_cover_every_name_the_layout_and_the_parties_use():
    assert {"operator", "all", "coalition", "parties"} <= RESERVED_PARTNER_IDS
    assert all(re.fullmatch(PARTNER_ID, name) for name in RESERVED_PARTNER_IDS)  # reachable, so worth refusing


def test_a_partner_named_like_a_file_gets_its_own_statement_and_leaves_the_coalitions_intact(
    coalition, settings, clock
):
    json_like = coalition.partner("coalition-json")
    member = coalition.member(json_like)
    coalition.purchase(json_like, member, "12.00")
    clock.now = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)

    closed = close(coalition, "2026-11-23")

    assert closed.status == 201
    assert bucket_keys(settings, "settlements/") == period_keys("2026-11-23", ("coalition-json", "operator"))
    s3 = boto3.client("s3", region_name=settings.region)
    whole = s3.get_object(Bucket=settings.statements_bucket, Key="settlements/2026-11-23/coalition.json")
    assert whole["Body"].read() == closed.body
    own = s3.get_object(Bucket=settings.statements_bucket, Key="settlements/2026-11-23/parties/coalition-json.json")
    assert json.loads(own["Body"].read())["issued_points"] == 12


# ---- item 19: publication is its own idempotent, retried step -----------------------------------------------
def test_a_close_whose_publication_fails_is_kept_and_the_next_close_call_publishes_it(
    coalition, settings, clock, capsys
):
    shop = coalition.partner("shop", fee_per_point="0.002")
    member = coalition.member(shop)
    coalition.purchase(shop, member, "40.00")
    clock.now = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)

    with s3_refusing() as refused, logged() as lines:
        first = close(coalition, "2026-11-23")

    assert first.status == 201 and json.loads(first.body)["partners"]["shop"]["fees"] == "0.08"
    # Each of the 16 shards tried its first line-items object and went on closing; publication's first put (a
    # shard's line items, written before the statements) failed: nothing else was tried.
    assert len(refused) == 17 and all(key.startswith("items/") for key in refused)
    assert bucket_keys(settings, "settlements/") == set()
    stored = settlements.get_stored("2026-11-23")
    assert stored.document.encode() == first.body and stored.published_at is None
    warning = next(line for line in lines if line["message"] == "settlement publication pending")
    assert (warning["level"], warning["day"]) == ("WARNING", "2026-11-23") and "ServiceUnavailable" in warning["cause"]
    assert '"SettlementPublicationFailures":[1.0]' in capsys.readouterr().out  # an alarm can watch it
    assert settlements.cursor(settlement.PUBLISHED) is None

    clock.now = datetime(2026, 11, 24, 1, 5, tzinfo=timezone.utc)
    again = close(coalition, "2026-11-23")

    assert again.status == 201 and again.body == first.body
    assert bucket_keys(settings, "settlements/") == period_keys("2026-11-23", ("operator", "shop"))
    assert settlements.get_stored("2026-11-23").published_at == "2026-11-24T01:05:00.000Z"
    assert settlements.cursor(settlement.PUBLISHED) == "2026-11-23"
    s3 = boto3.client("s3", region_name=settings.region)
    shop_csv = s3.get_object(Bucket=settings.statements_bucket, Key="settlements/2026-11-23/parties/shop.csv")
    assert "fees,fees,operator,,0.08,EUR," in shop_csv["Body"].read().decode()


def test_publishing_later_reads_only_what_is_pending_and_publishes_the_day_and_its_month(
    coalition, container, settings, clock, meter
):
    clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)  # the first (and last) day of the epoch's month
    shop = coalition.partner("shop")
    coalition.purchase(shop, coalition.member(shop), "25.00", occurred_at="2026-11-30T08:00:00Z")
    clock.now = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
    with s3_refusing():
        assert close(coalition, "2026-11-30").status == 201
    assert settlements.get_document("2026-11") is not None  # the month closed with its last day ...
    assert bucket_keys(settings, "settlements/") == set()  # ... and neither is in S3
    meter.reset()

    published = settlement.publish_pending(container.runtime)

    assert published == ["2026-11-30", "2026-11"]
    assert bucket_keys(settings, "settlements/") == period_keys("2026-11-30", ("operator", "shop")) | period_keys(
        "2026-11", ("operator", "shop")
    )
    assert all(settlements.get_stored(p).published_at == "2026-12-01T01:00:00.000Z" for p in published)
    calls = settlement_reads(meter)
    assert {operation for operation, _ in calls} <= {"GetItem", "PutItem", "UpdateItem"}  # no Query, no Scan
    assert {where for operation, where in calls if operation == "GetItem"} <= {
        "CURSOR/LAST_CLOSED",
        "CURSOR/PUBLISHED",
        "CURSOR/EPOCH",
        "DAY#2026-11-30/ALL",
        "MONTH#2026-11/ALL",
    }

    meter.reset()
    assert settlement.publish_pending(container.runtime) == []  # nothing pending: two cursor reads, no write
    assert settlement_reads(meter) == [("GetItem", "CURSOR/LAST_CLOSED"), ("GetItem", "CURSOR/PUBLISHED")]


def test_the_hourly_schedule_publishes_what_is_pending_then_closes_the_due_day(coalition, container, settings, clock):
    shop = coalition.partner("shop")
    coalition.purchase(shop, coalition.member(shop), "10.00")
    clock.now = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)
    with s3_refusing():
        assert settlement_close.close_due(container.runtime) == {
            "due": "2026-11-23",
            "closed": ["2026-11-23"],
            "published": [],
        }
    assert settlements.get_document("2026-11-23") is not None and bucket_keys(settings, "settlements/") == set()

    clock.now = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
    result = settlement_close.close_due(container.runtime)

    assert result == {"due": "2026-11-24", "closed": ["2026-11-24"], "published": ["2026-11-23"]}
    assert bucket_keys(settings, "settlements/") == period_keys("2026-11-23", ("operator", "shop")) | period_keys(
        "2026-11-24", ("operator", "shop")
    )
    assert settlements.cursor(settlement.PUBLISHED) == "2026-11-24"


def test_a_month_whose_close_was_cut_short_is_closed_and_published_by_the_retry(
    coalition, container, settings, clock, meter
):
    clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    shop = coalition.partner("shop")
    coalition.purchase(shop, coalition.member(shop), "25.00", occurred_at="2026-11-30T08:00:00Z")
    clock.now = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)

    def throttle_the_months_save(call, proceed):
        item = call.params.get("Item", {})
        if call.operation == "PutItem" and item.get("period", {}).get("S") == "MONTH#2026-11":
            error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}}
            raise botocore.exceptions.ClientError(error, "PutItem")
        return proceed()

    meter.faults.append(throttle_the_months_save)
    cut_short = close(coalition, "2026-11-30")
    meter.faults.clear()

    assert (cut_short.status, cut_short.error_code) == (503, "retry_later")
    assert settlements.get_document("2026-11-30") is not None and settlements.get_document("2026-11") is None

    retried = close(coalition, "2026-11-30")

    assert retried.status == 201
    month = json.loads(settlements.get_document("2026-11"))
    assert month["partners"]["shop"]["issued_points"] == 25 and month["net_total"] == "0.00"
    assert period_keys("2026-11", ("operator", "shop")) <= bucket_keys(settings, "settlements/")


def test_a_close_cut_short_before_its_cursor_moved_is_finished_by_the_retry(coalition, container, clock, meter):
    shop = coalition.partner("shop")
    coalition.purchase(shop, coalition.member(shop), "10.00")
    clock.now = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)

    def throttle_the_cursor(call, proceed):
        item = call.params.get("Item", {})
        if call.operation == "PutItem" and item.get("part", {}).get("S") == settlement.LAST_CLOSED:
            error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}}
            raise botocore.exceptions.ClientError(error, "PutItem")
        return proceed()

    meter.faults.append(throttle_the_cursor)
    assert close(coalition, "2026-11-23").status == 503
    meter.faults.clear()
    assert settlements.cursor(settlement.LAST_CLOSED) is None  # stored, but the schedule would not know

    assert close(coalition, "2026-11-23").status == 201
    assert settlements.cursor(settlement.LAST_CLOSED) == "2026-11-23"
    assert settlement.next_due_day(container.runtime) == "2026-11-24"
    assert settlement.close_due_days(container.runtime) == ["2026-11-24"]


# ---- item 13's sibling: the end of the calendar is a 422, not a 500 -----------------------------------------
def test_closing_the_last_day_of_the_calendar_is_refused_not_a_500(coalition, settings):
    coalition.partner("shop")
    before = table_snapshot(settings)

    reply = close(coalition, "9999-12-31")

    assert (reply.status, reply.error_code) == (422, "rule_violation"), reply.json
    assert reply.json["error"]["field"] == "date" and "not over" in reply.json["error"]["message"]
    assert table_snapshot(settings) == before
