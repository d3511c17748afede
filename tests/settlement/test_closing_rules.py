"""Closing rules, and reconciliation catching a wallet its ledger does not explain (tests that change the
world, so each builds its own rather than share the worked example's)."""

from __future__ import annotations

import pytest

from chalicelib.store.models import WalletItem
from tests.settlement.test_worked_example import build_example
from tests.support.wallets import rewrite, stored_wallet


@pytest.fixture
def example(coalition, container, clock):
    return build_example(coalition, container, clock)


def test_periods_that_are_not_closed_or_not_due_are_refused(coalition, api, clock):
    key = coalition.partner("alpha")

    assert coalition.api.get("/v1/settlements/2026-11-23", token=key).status == 404
    not_over = coalition.api.post("/v1/admin/settlements/2026-11-23/close", token=coalition.admin)
    assert (not_over.status, not_over.error_code) == (422, "rule_violation")
    clock.advance(days=2)
    out_of_order = coalition.api.post("/v1/admin/settlements/2026-11-24/close", token=coalition.admin)
    assert (out_of_order.status, out_of_order.error_code) == (422, "rule_violation")
    bad = coalition.api.post("/v1/admin/settlements/yesterday/close", token=coalition.admin)
    assert (bad.status, bad.error_code) == (400, "invalid_request")


def test_reconciliation_finds_a_wallet_that_disagrees_with_its_ledger(coalition, example):
    wallet = stored_wallet(next(iter(WalletItem.scan())).member_id)
    wallet.lots[("2099-12-31", "alpha")] = 5  # points that no entry explains
    rewrite(wallet)

    report = coalition.api.get("/v1/admin/reconciliation?limit=1&segments=2&segment=0", token=coalition.admin).json
    pages = [report]
    while pages[-1]["next_cursor"]:
        cursor = pages[-1]["next_cursor"]
        pages.append(
            coalition.api.get(
                f"/v1/admin/reconciliation?limit=1&segments=2&segment=0&cursor={cursor}", token=coalition.admin
            ).json
        )
    pages.append(coalition.api.get("/v1/admin/reconciliation?limit=5&segments=2&segment=1", token=coalition.admin).json)

    assert sum(p["invariant_1"]["members_checked"] for p in pages) == 2
    assert [p["ok"] for p in pages].count(False) == 1
    broken = next(p for p in pages if not p["ok"])
    assert (
        broken["invariant_1"]["mismatches"][0]["wallet_balance"]
        == broken["invariant_1"]["mismatches"][0]["ledger_points"] + 5
    )
