"""Vouchers as pure values: who funds what, when one can be spent, voided, expired (no AWS)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chalicelib.domain.errors import VoucherNotUsable
from chalicelib.domain.program import VoucherDenomination, VoucherRules
from chalicelib.domain.vouchers import CODE_ALPHABET, auto_conversion, convert, is_code, new_code
from chalicelib.domain.wallet import Portion

FIVE = VoucherDenomination(500, Decimal("5.00"), None)
ELEVEN = VoucherDenomination(1000, Decimal("11.00"), "operator")
RULES = VoucherRules(
    (FIVE, ELEVEN), validity_months=12, usable_at=frozenset({"cinema", "fuel"}), auto_convert=(1500, 1000)
)


def eleven_euros():
    """1,000 points taken first-to-expire first: 700 of the supermarket, 300 of the fuel station."""
    taken = [Portion("2027-01-31", "market", 700), Portion("2027-03-31", "fuel", 300)]
    return convert("m_1", ELEVEN, RULES, taken, Decimal("0.01"), "EUR", "2026-11-23T09:00:00.000Z", date(2026, 11, 23))


def test_a_voucher_is_funded_by_the_issuers_of_its_points_and_the_bonus_by_its_funder():
    voucher = eleven_euros()

    assert [share.to_list() for share in voucher.funding] == [
        ["fuel", 300, "3.00"],
        ["market", 700, "7.00"],
        ["operator", 0, "1.00"],  # 11.00 − 1,000 × 0.01
    ]
    assert sum(s.value for s in voucher.funding) == voucher.value == Decimal("11.00")
    assert voucher.issuer_points == {"fuel": 300, "market": 700}
    assert (voucher.expires_on, voucher.status, voucher.points) == ("2027-11-23", "open", 1000)


def test_a_voucher_is_spent_once_where_it_is_usable_until_its_last_day_and_a_void_opens_it_again():
    voucher = eleven_euros()
    with pytest.raises(VoucherNotUsable):
        voucher.spend("market", "r1", "t", date(2026, 12, 1))  # not a partner it is usable at
    spent = voucher.spend("cinema", "r1", "t", date(2027, 11, 23))  # its last day

    with pytest.raises(VoucherNotUsable):
        spent.spend("fuel", "r2", "t", date(2027, 11, 23))
    with pytest.raises(VoucherNotUsable):
        spent.void("fuel", "r1")  # only the partner that took it
    again = spent.void("cinema", "r1")
    assert (again.status, again.spent) == ("open", None)
    with pytest.raises(VoucherNotUsable):
        again.spend("cinema", "r3", "t", date(2027, 11, 24))  # past its last day


def test_only_an_open_voucher_past_its_last_day_expires():
    voucher = eleven_euros()

    assert voucher.expire(date(2027, 11, 23)) is None
    assert voucher.expire(date(2027, 11, 24)).status == "expired"
    assert voucher.spend("fuel", "r1", "t", date(2027, 1, 1)).expire(date(2028, 1, 1)) is None


def test_codes_are_unguessable_and_readable():
    codes = {new_code() for _ in range(1000)}

    assert len(codes) == 1000
    assert all(len(c) == 19 and c.count("-") == 3 and set(c.replace("-", "")) <= set(CODE_ALPHABET) for c in codes)


def test_the_programme_converts_on_its_own_once_the_threshold_is_reached():
    assert auto_conversion(RULES, 1499) is None
    assert auto_conversion(RULES, 1500) == ELEVEN
    assert auto_conversion(None, 10**6) is None


def test_a_voucher_knows_its_bonus_and_the_portions_it_moves():
    voucher = eleven_euros()

    assert voucher.bonuses == {"operator": Decimal("1.00")}
    assert voucher.portions() == [Portion("2027-11-23", "fuel", 300), Portion("2027-11-23", "market", 700)]


def test_only_a_code_of_the_issued_form_names_a_voucher():
    assert is_code(new_code()) and is_code("ABCD-EFGH-JKMN-P234")
    for text in ("abcd-efgh-jkmn-p234", "ABCD-EFGH-JKMN-P23O", "ABCDEFGHJKMNP234", "ABCD-EFGH-JKMN-P234\n", "x" * 3000):
        assert not is_code(text), text


def test_shares_are_whole_cents_that_add_up_to_the_points_worth_rounded():
    rules = VoucherRules((VoucherDenomination(400, Decimal("2.00"), None),), 12, None)
    taken = [Portion("2027-01-31", "a", 111), Portion("2027-01-31", "b", 289)]  # 0.555 + 1.445 = 2.00

    voucher = convert("m_1", rules.denominations[0], rules, taken, Decimal("0.005"), "EUR", "t", date(2026, 11, 23))

    assert [share.to_list() for share in voucher.funding] == [["a", 111, "0.56"], ["b", 289, "1.44"]]
    assert sum(s.value for s in voucher.funding) == voucher.value
