"""Vouchers in DynamoDB (moto): created once by code, changed only over the version read, found by member, and on
the expiry index only while open."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from chalicelib.domain.errors import ConcurrencyConflict
from chalicelib.domain.program import VoucherDenomination, VoucherRules
from chalicelib.domain.vouchers import convert
from chalicelib.domain.wallet import Portion, Wallet
from chalicelib.store.bookings import Booking, commit
from chalicelib.store.models import VoucherItem
from chalicelib.store.vouchers import find_voucher, member_vouchers

RULES = VoucherRules((VoucherDenomination(500, Decimal("5.00"), None),), 12, None)


def voucher(code: str, member_id: str = "m_1"):
    taken = [Portion("2027-01-31", "market", 500)]
    return convert(
        member_id,
        RULES.denominations[0],
        RULES,
        taken,
        Decimal("0.01"),
        "EUR",
        "2026-11-23T09:00:00.000Z",
        date(2026, 11, 23),
        code=code,
    )


def test_a_voucher_is_booked_with_its_wallet_once_and_changed_only_over_the_version_read(container, settings):
    assert container.runtime is not None  # built: the models now point at the tables
    wallet = Wallet("m_1", "12345678", "member", "2026-11-23", None)
    commit(Booking(wallet=wallet, vouchers=[voucher("AAAA-BBBB-CCCC-DDDD")]), settings)
    wallet.version = 1

    stored = find_voucher("AAAA-BBBB-CCCC-DDDD")
    assert stored is not None and (stored.version, stored.value, stored.funding) == (
        1,
        Decimal("5.00"),
        voucher("x").funding,
    )
    assert VoucherItem.get("AAAA-BBBB-CCCC-DDDD").expiry_shard is not None  # open: on the expiry index

    spent = stored.spend("cinema", "r1", "2026-11-24T10:00:00.000Z", date(2026, 11, 24))
    commit(Booking(wallet=wallet, vouchers=[spent]), settings)
    wallet.version = 2
    with pytest.raises(ConcurrencyConflict):  # a second spend read the same version: it loses
        commit(Booking(wallet=wallet, vouchers=[stored.spend("fuel", "r2", "t", date(2026, 11, 24))]), settings)
    with pytest.raises(ConcurrencyConflict):  # the same code again is no new voucher
        commit(Booking(wallet=wallet, vouchers=[replace(voucher("AAAA-BBBB-CCCC-DDDD"), member_id="m_2")]), settings)

    again = find_voucher("AAAA-BBBB-CCCC-DDDD")
    assert (again.status, again.spent.partner_id, again.version) == ("spent", "cinema", 2)
    assert VoucherItem.get("AAAA-BBBB-CCCC-DDDD").expiry_shard is None  # spent: off the expiry index
    assert [v.code for v in member_vouchers("m_1", limit=10)] == ["AAAA-BBBB-CCCC-DDDD"]
    assert find_voucher("ZZZZ-ZZZZ-ZZZZ-ZZZZ") is None
