"""The ledger invariants as pure functions (DESIGN.md invariants 1 and 2).

1. Per member: Σ entry points = lots − debts + held, and Σ entry held = held.
2. Per issuer: issued − returned − redeemed + reversed − expired + reinstated (from the entries' attribution, each
   portion with the sign its entry type's declared liability gives it, domain/movements.py; PointFlows counts them)
   = Σ members' (lots − debts) + open holds + open vouchers of that issuer (from the wallets);
   and of it, the open voucher points: converted − spent + voided − expired (from the entries of the movements
   that move vouchers, each with its liability's voucher sign) = Σ members' open voucher points of that issuer.
   The total alone would miss points moved between a wallet's lots and its vouchers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .ledger import Entry
from .settlement import PointFlows
from .wallet import Wallet


@dataclass(frozen=True)
class MemberCheck:
    member_id: str
    ledger_points: int
    wallet_balance: int
    ledger_held: int
    wallet_held: int

    @property
    def ok(self) -> bool:
        return self.ledger_points == self.wallet_balance and self.ledger_held == self.wallet_held


def check_member(wallet: Wallet, entries: Iterable[Entry]) -> MemberCheck:
    entries = list(entries)
    return MemberCheck(
        wallet.member_id,
        ledger_points=sum(e.points for e in entries),
        wallet_balance=wallet.balance,
        ledger_held=sum(e.held for e in entries),
        wallet_held=wallet.held,
    )


def liability_from_entries(entries: Iterable[Entry]) -> Counter[str]:
    flows = PointFlows()
    for entry in entries:
        flows.add(entry)
    return Counter({issuer: flows.liability_change(issuer) for issuer in flows.parties()})


def liability_from_wallets(wallets: Iterable[Wallet]) -> Counter[str]:
    outstanding: Counter[str] = Counter()
    for wallet in wallets:
        for (_expires_on, issuer), points in wallet.lots.items():
            outstanding[issuer] += points
        for issuer, points in wallet.debts.items():
            outstanding[issuer] -= points
        for hold in wallet.holds.values():
            for portion in hold.portions:
                outstanding[portion.issuer] += portion.points
        for issuer, points in wallet.voucher_points.items():  # converted, not yet spent nor expired
            outstanding[issuer] += points
    return outstanding


def vouchers_from_entries(entries: Iterable[Entry]) -> Counter[str]:
    flows = PointFlows()
    for entry in entries:
        flows.add(entry)
    return Counter({issuer: flows.vouchers.open_change(issuer) for issuer in flows.vouchers.issuers()})


def vouchers_from_wallets(wallets: Iterable[Wallet]) -> Counter[str]:
    open_points: Counter[str] = Counter()
    for wallet in wallets:
        open_points.update(wallet.voucher_points)
    return open_points


def voucher_differences(entries: Iterable[Entry], wallets: Iterable[Wallet]) -> dict[str, tuple[int, int]]:
    """Issuers whose open voucher points differ: {issuer: (from entries, from wallets)}. Empty when they agree."""
    return _differences(vouchers_from_entries(entries), vouchers_from_wallets(wallets))


def liability_differences(entries: Iterable[Entry], wallets: Iterable[Wallet]) -> dict[str, tuple[int, int]]:
    """Issuers whose two figures differ: {issuer: (from entries, from wallets)}. Empty when invariant 2 holds."""
    return _differences(liability_from_entries(entries), liability_from_wallets(wallets))


def _differences(from_entries: Counter[str], from_wallets: Counter[str]) -> dict[str, tuple[int, int]]:
    return {
        issuer: (from_entries[issuer], from_wallets[issuer])
        for issuer in set(from_entries) | set(from_wallets)
        if from_entries[issuer] != from_wallets[issuer]
    }
