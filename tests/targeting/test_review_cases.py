"""Cases two adversarial reviews of issue 12 found, kept as tests: each failed before its fix."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from chalicelib.services.measurement import MAX_MEASURED
from chalicelib.store import wallet_state

WINDOW = {"starts_at": "2026-11-01T00:00:00Z", "ends_at": "2026-12-31T00:00:00Z", "funder": "operator"}
DOUBLE = {"campaign_id": "double", "name": "Double", "multiplier": "2", "control_share": "0.5", **WINDOW}
YOUNG = {"segment_id": "young", "name": "18 to 30", "rules": {"age": {"min": 18, "max": 30}}}
OLD = {"segment_id": "young", "name": "60+", "rules": {"age": {"min": 60}}}


def sale(coalition, key, amount, transaction_id, member=None):
    return coalition.sale(key, amount, transaction_id, **({"member": member} if member else {}))


def test_a_comparison_starting_after_the_last_closed_day_queries_no_inverted_range(coalition, clock, monkeypatch):
    from chalicelib.store.models import SaleSumsItem

    real = SaleSumsItem.part.between

    def between(low, high):  # DynamoDB refuses BETWEEN with low > high (ValidationException); moto does not
        assert low <= high, f"ValidationException: {low} > {high}"
        return real(low, high)

    monkeypatch.setattr(SaleSumsItem.part, "between", between)
    key = coalition.partner("shop")
    assert sale(coalition, key, "5.00", "a1").status == 201
    clock.now = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)
    assert coalition.api.post("/v1/admin/settlements/2026-11-23/close", token=coalition.admin).status == 201

    reply = coalition.api.get("/v1/reports/members-vs-non-members?from=2026-11-24&to=2026-11-30", token=key)

    assert reply.status == 200 and reply.json["non_members"]["purchases"] == 0


def test_an_extended_campaign_keeps_counting_the_same_customer(coalition, clock, container):
    key = coalition.partner("shop")
    campaign = {**DOUBLE, "ends_at": "2026-11-30T00:00:00Z"}
    assert coalition.api.post("/v1/admin/campaigns", campaign, token=coalition.admin).status == 201
    member = coalition.member(key)
    assert coalition.purchase(key, member, "10.00").status == 201
    extended = {**campaign, "ends_at": "2027-12-31T00:00:00Z"}
    assert coalition.api.put("/v1/admin/campaigns/double", extended, token=coalition.admin).status == 200
    clock.now = datetime(2027, 3, 10, 10, 0, tzinfo=timezone.utc)  # after the first end + 90 days

    assert coalition.purchase(key, member, "10.00", occurred_at="2027-03-10T09:00:00Z").status == 201

    wallet = container.runtime.store.wallets.load(member.member_id, whole=True, consistent=True)
    assert wallet.campaign_measures["double"].purchases == 2


def test_a_measured_campaign_keeps_its_start_share_and_id(coalition):
    key = coalition.partner("shop")
    assert coalition.api.post("/v1/admin/campaigns", DOUBLE, token=coalition.admin).status == 201
    assert coalition.purchase(key, coalition.member(key), "10.00").status == 201

    moved = coalition.api.put(
        "/v1/admin/campaigns/double", {**DOUBLE, "starts_at": "2026-12-01T00:00:00Z"}, token=coalition.admin
    )
    ended = coalition.api.delete("/v1/admin/campaigns/double", token=coalition.admin)
    again = coalition.api.post("/v1/admin/campaigns", {**DOUBLE, "control_share": "0.1"}, token=coalition.admin)

    assert (moved.status, moved.json["error"]["field"]) == (422, "starts_at")
    assert ended.status == 204 and again.status == 409  # ended, kept: its id stays taken
    assert coalition.api.get("/v1/admin/campaigns/double/effect", token=coalition.admin).json["control_share"] == "0.5"


def test_measured_campaigns_are_bounded_while_wallets_keep_their_figures(coalition):
    coalition.partner("shop")

    def campaign(n):
        return {"campaign_id": f"c{n}", "name": f"C{n}", "points": 1, "control_share": "0.5", **WINDOW}

    for n in range(MAX_MEASURED):
        assert coalition.api.post("/v1/admin/campaigns", campaign(n), token=coalition.admin).status == 201
        assert coalition.api.delete(f"/v1/admin/campaigns/c{n}", token=coalition.admin).status == 204
    one_more = coalition.api.post("/v1/admin/campaigns", campaign(MAX_MEASURED), token=coalition.admin)

    assert (one_more.status, one_more.error_code) == (422, "rule_violation")


def test_a_wallet_measured_before_rows_kept_their_date_still_reads():
    assert wallet_state._measures_of({"double": ["10.00", 1]})["double"].purchases == 1


def test_a_sale_without_a_member_is_retried_after_a_conflict_as_a_purchase_is(coalition, meter):
    key = coalition.partner("shop")
    member = coalition.member(key)

    def conflict_once(call, proceed, failed=[]):  # noqa: B006 - the state of this one fault
        if call.operation == "TransactWriteItems" and not failed:
            failed.append(call)
            reasons = [{"Code": "None"}] * (len(call.params["TransactItems"]) - 1) + [{"Code": "TransactionConflict"}]
            error = {"Error": {"Code": "TransactionCanceledException", "Message": "x"}, "CancellationReasons": reasons}
            raise ClientError(error, call.operation)
        return proceed()

    meter.faults.append(conflict_once)
    without = sale(coalition, key, "5.00", "a-1")
    meter.faults.clear()

    assert without.status == 201 and not without.replayed
    assert sale(coalition, key, "5.00", "m-1", {"member_id": member.member_id}).status == 201


def test_a_count_of_rules_replaced_meanwhile_is_not_the_segments_count(coalition, container):
    from chalicelib.jobs import segment_counts as count_job

    key = coalition.partner("shop")
    for n in range(3):
        coalition.member(key, email=f"y{n}@example.com", birth_date="2000-01-01")
    assert coalition.api.post("/v1/admin/segments", YOUNG, token=coalition.admin).status == 201
    read_by_count = container.runtime.store.directory.get_segment("young")
    replaced = coalition.api.put("/v1/admin/segments/young", OLD, token=coalition.admin)

    count_job.start(container.runtime, read_by_count)  # a count request that read the rules before
    shown = coalition.api.get("/v1/admin/segments/young", token=coalition.admin).json

    assert replaced.json["count"]["members"] == 0
    assert shown["rules"] == OLD["rules"] and shown["count"]["members"] == 0


@pytest.mark.parametrize("redelivered", [0, 3])
def test_a_redelivered_page_does_not_start_a_second_run_of_its_shard(coalition, container, monkeypatch, redelivered):
    from chalicelib.jobs import queue
    from chalicelib.jobs import segment_counts as count_job
    from chalicelib.services import segment_counts

    key = coalition.partner("shop")
    for n in range(6):
        coalition.member(key, email=f"m{n}@example.com", birth_date="2000-01-01")
    assert coalition.api.post("/v1/admin/segments", YOUNG, token=coalition.admin).status == 201
    container.settings.scan_segments = 1
    monkeypatch.setattr(segment_counts, "PAGE", 1)
    sent: list = []
    monkeypatch.setattr(queue, "enqueue", lambda rt, messages: sent.extend(messages) or True)
    monkeypatch.setattr(count_job, "enqueue", lambda rt, messages: sent.extend(messages) or True)
    job_id = count_job.start(container.runtime, container.runtime.store.directory.get_segment("young"))
    waiting, delivered, seen = [sent.pop(0)], 0, []
    while waiting:
        message = waiting.pop(0)
        delivered += 1
        count_job.run_message(container.runtime, message)
        seen.append(message)
        if len(seen) == redelivered + 1:
            waiting.append(seen[redelivered])  # that page's message delivered again (SQS: at least once)
        waiting += sent
        sent.clear()

    assert segment_counts.count_view(container.runtime, job_id)["members"] == 6
    assert delivered <= 7 + 1  # 6 pages of one member and the empty last page, and the one redelivery
