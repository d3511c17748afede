"""Read the whole state back (tests only) and check the ledger invariants on it; book what no route books yet."""

from __future__ import annotations

from chalicelib.domain.reconciliation import (
    check_member,
    liability_differences,
    liability_from_wallets,
    voucher_differences,
)
from chalicelib.store.ledger import all_entries
from chalicelib.store.models import WalletItem
from chalicelib.store.wallets import load_wallet


def assert_invariants(member_ids: list[str] | None = None) -> dict[str, int]:
    """Invariant 1 for every member, invariant 2 across them (the open voucher points within it too); returns the
    non-zero liability per issuer."""
    wallets = [load_wallet(item.member_id) for item in WalletItem.scan(consistent_read=True)]  # heads and vaults
    if member_ids is not None:
        wallets = [w for w in wallets if w.member_id in member_ids]
    entries = []
    for wallet in wallets:
        own = all_entries(wallet.member_id)
        check = check_member(wallet, own)
        assert check.ok, check
        entries += own
    differences = liability_differences(entries, wallets)
    assert not differences, differences
    in_vouchers = voucher_differences(entries, wallets)
    assert not in_vouchers, ("open voucher points", in_vouchers)
    return {issuer: points for issuer, points in liability_from_wallets(wallets).items() if points}
