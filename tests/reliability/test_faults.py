"""Transient DynamoDB failures, injected under the app through a botocore hook: throttling, transaction
conflicts, and a response lost after the write committed. Whatever happens, the client's retry with the
same id ends with exactly one effect."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from tests.support.aws import table_snapshot
from tests.support.ledger import assert_invariants


def throttled(call):
    return ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "Rate of requests exceeds"}}, call.operation
    )


def transaction_conflict(call):
    reasons = [{"Code": "None"}] * (len(call.params["TransactItems"]) - 1) + [{"Code": "TransactionConflict"}]
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": reasons,
        },
        call.operation,
    )


class FailNth:
    """Fail the nth DynamoDB call (0-based) `times` times: before it reaches moto, or after it committed."""

    def __init__(self, n, make_error, times=1, after_commit=False):
        self.n, self.make_error, self.times, self.after_commit = n, make_error, times, after_commit
        self.seen = 0
        self.failed = 0

    def __call__(self, call, proceed):
        index = self.seen
        self.seen += 1
        if index < self.n or self.failed >= self.times:
            return proceed()
        if self.make_error is transaction_conflict and call.operation != "TransactWriteItems":
            return proceed()
        self.failed += 1
        if self.after_commit:
            proceed()  # the write happens ...
            raise ReadTimeoutError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com")  # ... its answer is lost
        raise self.make_error(call)


def send(coalition, key, member, operation):
    if operation == "earn":
        return coalition.purchase(key, member, "25.00", transaction_id="t-fault")
    return coalition.redeem(key, member, 10, redemption_id="r-fault")


def until_done(coalition, key, member, operation, attempts=3):
    """What a partner does: retry the same id while told retry_later."""
    for _ in range(attempts):
        reply = send(coalition, key, member, operation)
        if reply.status != 503:
            return reply
        assert reply.error_code == "retry_later"
    return reply


@pytest.mark.parametrize("operation", ["earn", "redeem"])
@pytest.mark.parametrize("position", [0, 1])  # the wallet read, the transaction (key, partner, programme cached)
@pytest.mark.parametrize("fault", ["throttling", "transaction_conflict", "lost_response"])
def test_a_transient_failure_on_any_call_ends_exactly_once(coalition, container, meter, operation, position, fault):
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "100.00")
    container.runtime.cache._seconds = 3600  # warm: nothing expires during the measurement
    container.settings.key_cache_seconds = 300
    coalition.purchase(key, member, "1.00")  # warms the cache: key, partner, programme
    before = coalition.me(member)["available_points"]
    make_error = {"throttling": throttled, "transaction_conflict": transaction_conflict}.get(fault, throttled)
    first = 1 if operation == "redeem" else 0  # a redemption first reads the card's alias
    meter.faults.append(FailNth(first + position, make_error, after_commit=fault == "lost_response"))

    reply = until_done(coalition, key, member, operation)
    meter.faults.clear()
    replay = send(coalition, key, member, operation)

    assert reply.status == 201, reply.json
    assert replay.replayed and replay.body == reply.body
    expected = before + 25 if operation == "earn" else before - 10
    assert meter.calls, "no DynamoDB call was made"
    assert coalition.me(member)["available_points"] == expected
    references = [
        e["reference"] for e in coalition.api.get("/v1/me/entries?limit=100", token=member.token).json["entries"]
    ]
    assert references.count("t-fault" if operation == "earn" else "r-fault") == 1
    assert_invariants()


@pytest.mark.parametrize("operation", ["earn", "redeem"])
def test_throttling_that_outlasts_the_retries_answers_503_and_writes_nothing(coalition, settings, meter, operation):
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "100.00")
    before = table_snapshot(settings)
    meter.faults.append(FailNth(2, throttled, times=1000))  # every wallet read and transaction from here

    reply = send(coalition, key, member, operation)

    meter.faults.clear()
    assert reply.status == 503 and reply.error_code == "retry_later"
    assert "Traceback" not in reply.body.decode()
    assert table_snapshot(settings) == before
    retry = send(coalition, key, member, operation)
    assert retry.status == 201 and not retry.replayed
    assert_invariants()


def test_a_lost_response_is_answered_from_the_stored_record_without_booking_twice(coalition, meter, container):
    key = coalition.partner("shop")
    member = coalition.member(key)
    container.runtime.cache._seconds = 3600  # warm: nothing expires during the measurement
    container.settings.key_cache_seconds = 300
    coalition.purchase(key, member, "100.00")
    meter.reset()
    # the card's alias read is 0, the wallet read 1, the transaction 2
    meter.faults.append(FailNth(2, throttled, after_commit=True))

    reply = coalition.redeem(key, member, 10, redemption_id="r1")

    assert reply.status == 201 and reply.json["available_points"] == 90
    # read the card, read wallet, commit (answer lost), read wallet again, commit refused by the record, read the record
    assert [c.operation for c in meter.calls] == [
        "GetItem",
        "GetItem",
        "TransactWriteItems",
        "GetItem",
        "TransactWriteItems",
        "GetItem",
    ]


def test_a_throttled_key_lookup_answers_503_and_the_retry_succeeds(coalition, meter):
    key = coalition.partner("shop")
    member = coalition.member(key)
    meter.faults.append(FailNth(0, throttled))  # the API key's GetItem

    first = coalition.purchase(key, member, "10.00", transaction_id="t1")
    retry = coalition.purchase(key, member, "10.00", transaction_id="t1")

    assert (first.status, first.error_code) == (503, "retry_later")
    assert retry.status == 201 and not retry.replayed
    assert coalition.me(member)["available_points"] == 10
