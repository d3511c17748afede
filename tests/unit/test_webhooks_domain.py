"""Webhooks' pure rules: signatures, backoff, who hears of which entry, and the bound on endpoints."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain.errors import IdempotencyConflict, InvalidRequest, RuleViolation
from chalicelib.domain.ledger import Entry
from chalicelib.domain.movements import EntryType
from chalicelib.domain.wallet import Portion
from chalicelib.domain.webhooks import (
    MAX_WEBHOOKS,
    Delivery,
    EventType,
    PartnerWebhooks,
    Webhook,
    backoff_seconds,
    check_url,
    events_of_entry,
    sign,
    signature_matches,
)


def test_the_signature_is_the_hex_hmac_sha256_of_the_exact_body_and_a_tampered_body_fails():
    body = b'{"event_id":"e-1"}'
    assert sign("secret-of-16-chars", body).startswith("sha256=") and len(sign("k" * 16, body)) == 7 + 64
    assert signature_matches("secret-of-16-chars", body, sign("secret-of-16-chars", body))
    assert not signature_matches("secret-of-16-chars", body + b" ", sign("secret-of-16-chars", body))
    assert not signature_matches("another-secret-16", body, sign("secret-of-16-chars", body))
    assert not signature_matches("secret-of-16-chars", body, None)


def test_backoff_doubles_from_30_seconds_up_to_sqs_s_15_minutes():
    assert [backoff_seconds(n) for n in range(8)] == [30, 60, 120, 240, 480, 900, 900, 900]


def test_a_delivery_survives_its_queue_message_unchanged():
    delivery = Delivery("market", "h-1", "e-1", EventType.VOUCHER_SPENT, '{"a":1}', attempt=3)
    assert Delivery.from_message(delivery.message()) == delivery
    assert "secret" not in delivery.message()


def entry(type_, partner="cinema", attribution=(), **extra):
    return Entry(7, "m_1-000007", type_, partner, 0, attribution=list(attribution), member_id="m_1",
                 booked_at="2026-11-23T10:00:00.000Z", **extra)  # fmt: skip


def test_a_voucher_spent_is_news_for_the_spender_its_issuers_and_its_bonus_funder_never_the_operator():
    spent = entry(
        EntryType.VOUCHER_SPEND,
        attribution=[Portion("2028-11-30", "market", 300), Portion("2028-11-30", "operator", 200)],
        values={"market": Decimal("3.00")},
        bonuses={"fuel": Decimal("1.00")},
    )
    events = events_of_entry(spent)
    assert [(e.type, e.partner_id, e.event_id) for e in events] == [
        (EventType.VOUCHER_SPENT, "cinema", "m_1-000007:cinema"),
        (EventType.VOUCHER_SPENT, "market", "m_1-000007:market"),
        (EventType.VOUCHER_SPENT, "fuel", "m_1-000007:fuel"),
    ]
    assert events[0].body == events_of_entry(spent)[0].body  # the same bytes whenever it is rebuilt


def test_a_tier_entry_is_a_change_only_when_the_tier_changed_and_other_entries_are_no_news():
    line = {"rule": "tier_upgrade", "points": 0, "detail": "…", "tier": "gold"}
    upgrade = entry(EntryType.TIER, "operator", breakdown=[line], from_tier="silver")
    kept = entry(EntryType.TIER, "operator", breakdown=[{**line, "tier": "silver"}], from_tier="silver")
    (event,) = events_of_entry(upgrade)
    assert (event.partner_id, event.to("market").event_id) == ("", "m_1-000007:market")
    assert event.data == {"member_id": "m_1", "from_tier": "silver", "to_tier": "gold", "rule": "tier_upgrade"}
    assert events_of_entry(kept) == [] and events_of_entry(entry(EntryType.EARN)) == []


def test_a_partner_has_at_most_ten_endpoints_and_an_id_means_one_registration():
    hook = Webhook("h-0", "https://x.example.com", (EventType.TIER_CHANGED,), "s" * 16, "2026-11-23T10:00:00Z")
    endpoints = tuple(Webhook(f"h-{n}", hook.url, hook.events, hook.secret, hook.created_at) for n in range(10))
    full = PartnerWebhooks("market", endpoints)
    assert len(endpoints) == MAX_WEBHOOKS
    with pytest.raises(RuleViolation):
        full.registered(Webhook("h-new", hook.url, hook.events, hook.secret, hook.created_at))
    assert full.registered(hook) == (full, full.webhooks[0])  # a replay: unchanged
    with pytest.raises(IdempotencyConflict):
        full.registered(Webhook("h-0", "https://y.example.com", hook.events, hook.secret, hook.created_at))


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",  # the instance metadata service
        "https://localhost/hook",
        "https://api.localhost/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://metadata.google.internal/",
    ],
)
def test_an_endpoint_in_our_own_network_is_refused_outside_the_local_stage(url):
    with pytest.raises(InvalidRequest) as refused:
        check_url(url, local=False)
    assert refused.value.field == "url" and "public host" in str(refused.value)


def test_a_public_name_or_address_is_taken_and_names_are_checked_again_when_delivering():
    from chalicelib.jobs.webhook_delivery import resolves_publicly

    check_url("https://hooks.example.com/coalition", local=False)
    check_url("https://93.184.216.34/hook", local=False)
    assert resolves_publicly("localhost") is False  # a name that points at ourselves is not posted to
    assert resolves_publicly("127.0.0.1") is False
    assert resolves_publicly("no-such-host.invalid") is False
