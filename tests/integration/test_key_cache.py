"""A suspended partner's keys stop at once in the container that suspended it, and within the short API-key
cache time in every other warm container, even while partners and the programme stay cached longer."""

from __future__ import annotations

import pytest

from tests.support.aws import make_settings, table_snapshot

ACTIVITIES = {"review": {"points": 50, "max_per_day": 1}}


@pytest.fixture
def settings(identity):
    # As on AWS: configuration cached per container (30 s), API keys for a shorter time of their own.
    return make_settings(**identity, config_cache_seconds=30, key_cache_seconds=5)


@pytest.fixture
def shop(coalition):
    coalition.program(activities=ACTIVITIES)
    key = coalition.partner("shop")
    member = coalition.member(key)
    assert coalition.purchase(key, member, "100.00", transaction_id="t1").status == 201
    return key, member


def partner_calls(member):
    ref = {"card_number": member.card_number}
    return {
        "redemption": ("/v1/redemptions", {"redemption_id": "r-after", "member": ref, "points": 1}),
        "hold": ("/v1/holds", {"hold_id": "h-after", "member": ref, "points": 1}),
        "activity": (
            "/v1/activities",
            {"activity_id": "a-after", "member": ref, "type": "review", "occurred_at": "2026-11-23T09:00:00Z"},
        ),
        "enrolment": ("/v1/members", {"email": "late@example.com"}),
        "return": ("/v1/transactions/t1/returns", {"return_id": "ret-after", "amount": "1.00"}),
    }


def test_a_suspended_partners_cached_key_is_refused_on_the_very_next_request(coalition, settings, shop):
    key, member = shop
    assert coalition.redeem(key, member, 1).status == 201  # the key is now in this container's cache

    suspended = coalition.api.patch("/v1/admin/partners/shop", {"status": "suspended"}, token=coalition.admin)
    before = table_snapshot(settings)
    replies = {name: coalition.api.post(path, body, token=key) for name, (path, body) in partner_calls(member).items()}

    assert suspended.status == 200 and suspended.json["status"] == "suspended"
    for name, reply in replies.items():
        assert (reply.status, reply.error_code) == (403, "forbidden"), (name, reply.json)
        assert "suspended" in reply.json["error"]["message"]
    assert table_snapshot(settings) == before
    assert coalition.me(member)["available_points"] == 99


def test_a_reactivated_partners_keys_work_again_at_once(coalition, shop):
    key, member = shop
    coalition.redeem(key, member, 1)
    coalition.api.patch("/v1/admin/partners/shop", {"status": "suspended"}, token=coalition.admin)
    assert coalition.redeem(key, member, 1).status == 403

    coalition.api.patch("/v1/admin/partners/shop", {"status": "active"}, token=coalition.admin)

    assert coalition.redeem(key, member, 1).status == 201
    assert coalition.me(member)["available_points"] == 98


def test_another_warm_container_drops_the_key_within_the_key_cache_time(coalition, container, settings, shop, clock):
    """Container B answered with the key before A suspended the partner: B may take the key for up to
    key_cache_seconds more, while it keeps the partner profile and the programme for config_cache_seconds."""
    from chalicelib.bootstrap import Container

    key, _ = shop
    other = Container(settings, clock)
    ticks = [1000.0]
    other.runtime.cache._monotonic = lambda: ticks[0]
    assert other.authenticate([f"Bearer {key}"]).partner_id == "shop"  # B caches the key
    other.runtime.cache.get("program", lambda: "cached programme")

    coalition.api.patch("/v1/admin/partners/shop", {"status": "suspended"}, token=coalition.admin)  # through A
    ticks[0] += settings.key_cache_seconds - 0.5
    still_cached = other.authenticate([f"Bearer {key}"])
    ticks[0] += 1

    from chalicelib.domain.errors import Forbidden

    with pytest.raises(Forbidden):
        other.authenticate([f"Bearer {key}"])
    assert still_cached.partner_id == "shop"  # the bound, not a hope: at most key_cache_seconds
    assert other.runtime.cache.get("program", lambda: "read again") == "cached programme"


def test_keys_are_never_cached_longer_than_the_rest_of_the_configuration():
    from chalicelib.services.runtime import Runtime

    no_cache = Runtime(make_settings(config_cache_seconds=0, key_cache_seconds=5))
    reads = []

    no_cache.cache.get("key:k", lambda: reads.append(1), max_seconds=5)
    no_cache.cache.get("key:k", lambda: reads.append(1), max_seconds=5)

    assert len(reads) == 2


def test_key_cache_seconds_is_read_from_the_environment():
    from chalicelib.settings import Settings

    assert Settings.from_env({"KEY_CACHE_SECONDS": "1.5"}).key_cache_seconds == 1.5
    assert Settings.from_env({}).key_cache_seconds == 5
