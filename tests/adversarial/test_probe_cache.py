"""With the production caches on: the link SUB# -> member cached key_cache_seconds after erasure."""

from __future__ import annotations

import pytest

from tests.support.aws import make_settings
from tests.support.cognito import sign_up


@pytest.fixture
def settings(identity):
    return make_settings(**identity, config_cache_seconds=30, key_cache_seconds=5)


def test_erased_member_cannot_write_a_profile_back_with_the_same_token(coalition, settings):
    token = sign_up(settings, "cached@example.com")
    coalition.partner("shop")
    assert coalition.api.post("/v1/me/enrolment", {}, token=token).status == 201
    assert coalition.api.get("/v1/me", token=token).status == 200  # link cached now
    assert coalition.api.delete("/v1/me", token=token).status == 204
    reply = coalition.api.patch("/v1/me", {"name": "Still Me", "birth_date": "1980-01-02"}, token=token)
    wallet = None
    from chalicelib.store.models import WalletItem  # noqa

    rt = coalition.api.container.runtime
    member_id = [w for w in WalletItem.scan()][0].member_id
    wallet = rt.store.wallets.load(member_id)
    assert wallet.status == "erased"
    assert (wallet.profile.name, wallet.birth_date) == (None, None), (reply.status, reply.json)
