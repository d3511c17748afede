"""The store seam (chalicelib/store/repositories.py): a use case runs on repositories the Container hands it. Here a
voucher is spent, replayed and refused against the store kept in memory (tests/support/fake_store.py): no AWS, the
same exactly-once executor, the same answers."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from chalicelib.bootstrap import Container
from chalicelib.domain.errors import VoucherNotUsable
from chalicelib.domain.movements import EntryType
from chalicelib.domain.vouchers import Share, Voucher
from chalicelib.domain.wallet import Wallet
from chalicelib.services.requests import VoucherSpendRequest
from chalicelib.services.vouchers import spend_voucher
from chalicelib.settings import Settings
from tests.support.fake_store import Memory, memory_store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
CODE = "ABCD-EFGH-JKMN-PQRS"


def memory_with_a_voucher() -> Memory:
    memory = Memory()
    memory.wallets["m_1"] = Wallet(
        "m_1", "12345678", "member", "2026-01-01", None, version=3, entry_seq=7, voucher_points={"market": 500}
    )
    memory.vouchers[CODE] = Voucher(
        code=CODE,
        member_id="m_1",
        points=500,
        value=Decimal("5.00"),
        currency="EUR",
        issued_at="2026-11-01T00:00:00.000Z",
        expires_on="2027-11-01",
        usable_at=None,
        funding=(Share("market", 500, Decimal("5.00")),),
        version=1,
    )
    return memory


def test_a_use_case_runs_on_the_store_the_container_hands_it_with_no_aws() -> None:
    memory = memory_with_a_voucher()
    rt = Container(Settings(), lambda: NOW, store=memory_store(memory)).runtime

    first = spend_voucher(rt, "cinema", CODE, VoucherSpendRequest(redemption_id="r-1"))
    calls, memory.calls[:] = list(memory.calls), []
    replay = spend_voucher(rt, "cinema", CODE, VoucherSpendRequest(redemption_id="r-1"))

    assert (first.status, json.loads(first.body)["value"], first.replayed) == (201, "5.00", False)
    assert calls == ["vouchers.find", "wallets.load", "bookings.commit"]  # the cost figure, as on DynamoDB
    assert (replay.status, replay.body, replay.replayed) == (201, first.body, True)
    assert memory.vouchers[CODE].status == "spent" and memory.vouchers[CODE].version == 2
    wallet = memory.wallets["m_1"]
    assert (wallet.version, wallet.voucher_points) == (4, {})
    [entry] = memory.entries
    assert (entry.type, entry.partner_id, entry.seq, entry.values) == (
        EntryType.VOUCHER_SPEND,
        "cinema",
        8,
        {"market": Decimal("5.00")},
    )


def test_the_seam_keeps_the_rules_a_spent_voucher_is_refused_elsewhere() -> None:
    memory = memory_with_a_voucher()
    rt = Container(Settings(), lambda: NOW, store=memory_store(memory)).runtime
    spend_voucher(rt, "cinema", CODE, VoucherSpendRequest(redemption_id="r-1"))

    with pytest.raises(VoucherNotUsable):
        spend_voucher(rt, "books", CODE, VoucherSpendRequest(redemption_id="b-1"))
    assert len(memory.entries) == 1
