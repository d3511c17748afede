"""Registering webhooks: validation, idempotency per (partner, webhook_id), the bound, and partners kept apart."""

from __future__ import annotations

import pytest

SECRET = "s3cret-of-sixteen+"


def hook(webhook_id="h-1", url="https://hooks.example.com/coalition", events=("voucher.spent",), secret=SECRET):
    return {"webhook_id": webhook_id, "url": url, "events": list(events), "secret": secret}


def test_a_partner_registers_lists_and_deletes_its_endpoints_and_never_sees_the_secret_again(coalition):
    market = coalition.partner("market")

    created = coalition.api.post("/v1/webhooks", hook(events=("voucher.spent", "reversal.booked")), token=market)
    replay = coalition.api.post("/v1/webhooks", hook(events=("reversal.booked", "voucher.spent")), token=market)

    assert created.status == 201 and not created.replayed
    assert created.json == {
        "webhook_id": "h-1",
        "url": "https://hooks.example.com/coalition",
        "events": ["voucher.spent", "reversal.booked"],
        "created_at": "2026-11-23T10:00:00.000Z",
    }
    assert (replay.status, replay.body, replay.replayed) == (201, created.body, True)
    listed = coalition.api.get("/v1/webhooks", token=market)
    assert listed.json == {"webhooks": [created.json]} and SECRET.encode() not in listed.body
    assert coalition.api.delete("/v1/webhooks/h-1", token=market).status == 204
    assert coalition.api.get("/v1/webhooks", token=market).json == {"webhooks": []}
    assert coalition.api.delete("/v1/webhooks/h-1", token=market).status == 404


def test_the_same_id_with_another_body_is_an_idempotency_conflict(coalition):
    market = coalition.partner("market")
    coalition.api.post("/v1/webhooks", hook(), token=market)

    reply = coalition.api.post("/v1/webhooks", hook(url="https://other.example.com/x"), token=market)

    assert (reply.status, reply.error_code) == (409, "idempotency_conflict")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (hook(url="ftp://hooks.example.com/x"), "url"),
        (hook(url="http://hooks.example.com/x"), "url"),
        (hook(url="https://user:pw@hooks.example.com/x"), "url"),
        (hook(url="http://localhost:9000/x"), "url"),
        (hook(events=("points.spent",)), "events[0]"),
        (hook(events=()), "events"),
        (hook(events=("tier.changed", "tier.changed")), None),
        (hook(secret="short-secret"), "secret"),
        (hook(secret="x" * 129), "secret"),
        (hook(secret="sixteen chars\nwith a newline"), "secret"),
        (hook(webhook_id="no spaces allowed"), "webhook_id"),
        ({**hook(), "extra": 1}, "extra"),
    ],
)
def test_bad_registrations_are_refused_with_the_culprit_named_and_nothing_stored(coalition, body, field):
    market = coalition.partner("market")

    reply = coalition.api.post("/v1/webhooks", body, token=market)

    assert (reply.status, reply.error_code) == (400, "invalid_request"), reply.json
    assert reply.json["error"].get("field") == field
    assert SECRET not in reply.json["error"]["message"]
    assert coalition.api.get("/v1/webhooks", token=market).json == {"webhooks": []}


def test_the_local_stage_takes_a_loopback_receiver_over_http_and_other_stages_do_not(coalition, api):
    market = coalition.partner("market")
    local = hook(url="http://127.0.0.1:8123/hooks")
    assert coalition.api.post("/v1/webhooks", local, token=market).status == 201

    api.container.settings.stage = "dev"  # (the settings object is the container's; the PII check ran at build)
    try:
        reply = coalition.api.post("/v1/webhooks", {**local, "webhook_id": "h-2"}, token=market)
    finally:
        api.container.settings.stage = "local"
    assert (reply.status, reply.json["error"]["field"]) == (400, "url")


def test_an_eleventh_endpoint_is_a_rule_violation(coalition):
    market = coalition.partner("market")
    for n in range(10):
        assert coalition.api.post("/v1/webhooks", hook(webhook_id=f"h-{n}"), token=market).status == 201

    reply = coalition.api.post("/v1/webhooks", hook(webhook_id="h-10"), token=market)

    assert (reply.status, reply.error_code) == (422, "rule_violation")
    assert len(coalition.api.get("/v1/webhooks", token=market).json["webhooks"]) == 10


def test_partners_see_and_delete_only_their_own_endpoints(coalition):
    market, cinema = coalition.partner("market"), coalition.partner("cinema")
    coalition.api.post("/v1/webhooks", hook(), token=market)

    assert coalition.api.get("/v1/webhooks", token=cinema).json == {"webhooks": []}
    assert coalition.api.delete("/v1/webhooks/h-1", token=cinema).status == 404
    assert coalition.api.post("/v1/webhooks", hook(url="https://cinema.example.com/h"), token=cinema).status == 201
    assert [w["url"] for w in coalition.api.get("/v1/webhooks", token=market).json["webhooks"]] == [
        "https://hooks.example.com/coalition"
    ]


def test_members_and_the_operator_cannot_register_webhooks(coalition):
    market = coalition.partner("market")
    reply = coalition.api.post("/v1/webhooks", hook(), token=coalition.admin)
    assert (reply.status, reply.error_code) == (403, "forbidden")
    assert coalition.api.get("/v1/webhooks", token=market).json == {"webhooks": []}
