"""Operator writes (a partner's profile, its keys, the programme) that lose a conditional write re-read,
re-apply and retry; when they keep losing, they answer 503 retry_later, never 500, and never lose an update."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from chalicelib.services import partners
from chalicelib.services.requests import PartnerPatch
from chalicelib.store.models import ApiKeyItem, PartnerItem, ProgramItem
from tests.support.api import PROGRAM
from tests.support.aws import table_snapshot


def condition_failed(call):
    """What DynamoDB answers when another writer got there first."""
    if call.operation == "TransactWriteItems":
        reasons = [{"Code": "ConditionalCheckFailed"}] + [{"Code": "None"}] * (len(call.params["TransactItems"]) - 1)
        error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
        return ClientError({"Error": error, "CancellationReasons": reasons}, call.operation)
    error = {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}
    return ClientError({"Error": error}, call.operation)


class LoseWrites:
    """Fail `times` writes of `operation` as if a concurrent writer had won (times=None: every one)."""

    def __init__(self, operation, times=1):
        self.operation, self.times, self.failed = operation, times, 0

    def __call__(self, call, proceed):
        if call.operation == self.operation and (self.times is None or self.failed < self.times):
            self.failed += 1
            raise condition_failed(call)
        return proceed()


def writes(meter, operation):
    return sum(1 for call in meter.calls if call.operation == operation)


# ---- one lost write: re-read, re-apply, succeed -----------------------------------------------------
def test_a_patch_that_loses_its_write_once_is_applied_on_the_retry(coalition, meter):
    coalition.partner("shop")
    meter.reset()
    meter.faults.append(LoseWrites("TransactWriteItems"))

    reply = coalition.api.patch("/v1/admin/partners/shop", {"earn_rate": "3"}, token=coalition.admin)

    assert reply.status == 200, reply.json
    assert reply.json["earn_rate"] == "3"
    assert coalition.api.get("/v1/admin/partners/shop", token=coalition.admin).json["earn_rate"] == "3"
    assert writes(meter, "TransactWriteItems") == 2


def test_a_programme_put_that_loses_its_write_once_is_applied_on_the_retry(coalition, meter):
    coalition.program()
    version = ProgramItem.get("PROGRAM", consistent_read=True).version
    meter.faults.append(LoseWrites("PutItem"))

    reply = coalition.api.put("/v1/admin/program", {**PROGRAM, "expiry_months": 12}, token=coalition.admin)

    assert reply.status == 200, reply.json
    assert reply.json["expiry_months"] == 12 and reply.json["version"] == version + 1
    assert ProgramItem.get("PROGRAM", consistent_read=True).document["expiry_months"] == 12


def test_a_key_issued_while_the_partner_changes_is_issued_once_and_works(coalition, meter):
    coalition.partner("shop")
    before = list(PartnerItem.get("PARTNER#shop", consistent_read=True).key_ids)
    meter.faults.append(LoseWrites("TransactWriteItems"))

    reply = coalition.api.post("/v1/admin/partners/shop/keys", token=coalition.admin)

    assert reply.status == 201, reply.json
    key_ids = PartnerItem.get("PARTNER#shop", consistent_read=True).key_ids
    assert key_ids == before + [reply.json["key_id"]]
    assert sorted(item.key_id for item in ApiKeyItem.scan(ApiKeyItem.pk.startswith("KEY#"))) == sorted(
        key_ids
    )  # no key item left behind
    member = coalition.member(reply.json["api_key"])
    assert coalition.purchase(reply.json["api_key"], member, "10.00").json["points"] == 10


# ---- every write lost: 503 retry_later, nothing written ---------------------------------------------
OPERATOR_WRITES = {
    "patch a partner": ("PATCH", "/v1/admin/partners/shop", {"status": "suspended"}, "TransactWriteItems"),
    "issue a key": ("POST", "/v1/admin/partners/shop/keys", None, "TransactWriteItems"),
    "put the programme": ("PUT", "/v1/admin/program", {**PROGRAM, "expiry_months": 12}, "PutItem"),
}


@pytest.mark.parametrize("case", OPERATOR_WRITES, ids=list(OPERATOR_WRITES))
def test_an_operator_write_that_keeps_losing_answers_retry_later(coalition, settings, meter, case):
    method, path, body, operation = OPERATOR_WRITES[case]
    coalition.partner("shop")
    before = table_snapshot(settings)
    meter.reset()
    meter.faults.append(LoseWrites(operation, times=None))

    reply = coalition.api.request(method, path, body=body, token=coalition.admin)

    assert (reply.status, reply.error_code) == (503, "retry_later"), reply.json
    assert {k.lower(): v for k, v in reply.headers.items()}["retry-after"] == "1"
    assert writes(meter, operation) == settings.conflict_attempts
    meter.faults.clear()
    assert table_snapshot(settings) == before


def test_a_stray_concurrency_conflict_answers_503_not_500(coalition, monkeypatch):
    from chalicelib.domain.errors import ConcurrencyConflict
    from chalicelib.services import campaigns

    def conflict(*args, **kwargs):
        raise ConcurrencyConflict()

    monkeypatch.setattr(campaigns, "delete_campaign", conflict)

    reply = coalition.api.delete("/v1/admin/campaigns/c1", token=coalition.admin)

    assert (reply.status, reply.error_code) == (503, "retry_later")


# ---- no lost update ---------------------------------------------------------------------------------
def test_a_patch_that_read_before_another_patch_wrote_does_not_undo_it(coalition, container, meter):
    """A renames the partner; between A's read and A's write, B suspends it. A must not write back the
    'active' status it read: its write loses, it re-reads, and the partner ends renamed AND suspended."""
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "10.00")
    rt = container.runtime
    interleaved = []

    def suspend_first(call, proceed):
        if call.operation == "TransactWriteItems" and not interleaved:
            interleaved.append(True)
            partners.update_partner(rt, "shop", PartnerPatch(status="suspended"))  # B, complete
        return proceed()  # then A's write

    meter.faults.append(suspend_first)

    renamed = coalition.api.patch("/v1/admin/partners/shop", {"name": "Shop & Co"}, token=coalition.admin)

    meter.faults.clear()
    stored = coalition.api.get("/v1/admin/partners/shop", token=coalition.admin).json
    assert renamed.status == 200 and renamed.json["status"] == "suspended"
    assert (stored["name"], stored["status"]) == ("Shop & Co", "suspended")
    assert coalition.redeem(key, member, 1).status == 403  # its keys learnt the suspension


@pytest.mark.concurrency
def test_racing_patches_of_different_fields_all_stick(coalition, container, meter):
    coalition.partner("shop")
    meter.serialise = True
    rt = container.runtime
    patches = [
        PartnerPatch(name="Renamed"),
        PartnerPatch(earn_rate="2"),
        PartnerPatch(fee_per_point="0.001"),
        PartnerPatch(category_rates={"fuel": "0.5"}),
        PartnerPatch(status="suspended"),
    ]

    with ThreadPoolExecutor(max_workers=len(patches)) as pool:
        list(pool.map(lambda patch: partners.update_partner(rt, "shop", patch), patches, timeout=120))

    stored = coalition.api.get("/v1/admin/partners/shop", token=coalition.admin).json
    assert stored == {
        "partner_id": "shop",
        "name": "Renamed",
        "currency": "EUR",
        "earn_rate": "2",
        "category_rates": {"fuel": "0.5"},
        "cashback_percent": None,
        "category_cashback_percent": {},
        "fee_per_point": "0.001",
        "status": "suspended",
    }
