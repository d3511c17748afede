"""The store in memory, behind the same repositories (chalicelib/store/repositories.py): a use case runs against
it with no AWS at all. Bookings keep the conditions the DynamoDB commit keeps (a new operation record is created
only once, versioned items are written only over the version read), so exactly-once and races behave alike."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

from chalicelib.domain.errors import ConcurrencyConflict, DuplicateOperation, OperationTaken
from chalicelib.domain.ledger import Entry, OperationRecord
from chalicelib.domain.spend_codes import SpendCode
from chalicelib.domain.vouchers import Voucher
from chalicelib.domain.wallet import Wallet
from chalicelib.store.bookings import Booking
from chalicelib.store.repositories import Store


@dataclass
class Memory:
    wallets: dict[str, Wallet] = field(default_factory=dict)
    operations: dict[str, OperationRecord] = field(default_factory=dict)
    vouchers: dict[str, Voucher] = field(default_factory=dict)
    spend_codes: dict[str, SpendCode] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # what was asked of the store, in order


@dataclass
class FakeWallets:
    """Loads only: the scans and due indexes of the jobs are not kept in memory (yet)."""

    memory: Memory

    def load(self, member_id: str, *, whole: bool = True, consistent: bool = True) -> Wallet | None:
        self.memory.calls.append("wallets.load")
        wallet = self.memory.wallets.get(member_id)
        return None if wallet is None else copy.deepcopy(wallet)


@dataclass
class FakeOperations:
    memory: Memory

    def find(self, op_key: str) -> OperationRecord | None:
        self.memory.calls.append("operations.find")
        return copy.deepcopy(self.memory.operations.get(op_key))


@dataclass
class FakeBookings:
    memory: Memory

    def commit(self, booking: Booking) -> None:
        self.memory.calls.append("bookings.commit")
        memory = self.memory
        if booking.new_operation is not None and booking.new_operation.op_key in memory.operations:
            raise DuplicateOperation()
        for reserved in booking.reserved_operations:
            if reserved.op_key in memory.operations:
                raise OperationTaken(reserved.op_key)
        wallets = [booking.wallet, *(wallet for wallet, _ in booking.others)]
        if any(memory.wallets[w.member_id].version != w.version for w in wallets):
            raise ConcurrencyConflict()
        if any(
            v.version != (memory.vouchers[v.code].version if v.code in memory.vouchers else 0) for v in booking.vouchers
        ):
            raise ConcurrencyConflict()
        if booking.new_operation is not None:
            memory.operations[booking.new_operation.op_key] = copy.deepcopy(booking.new_operation)
        for reserved in booking.reserved_operations:
            memory.operations[reserved.op_key] = copy.deepcopy(reserved)
        for record in booking.changed_operations:
            memory.operations[record.op_key] = replace(record, version=record.version + 1)
        for wallet in wallets:
            memory.wallets[wallet.member_id] = replace(copy.deepcopy(wallet), version=wallet.version + 1)
        for voucher in booking.vouchers:
            memory.vouchers[voucher.code] = replace(voucher, version=voucher.version + 1)
        memory.entries += booking.entries + [e for _, entries in booking.others for e in entries]


@dataclass
class FakeVouchers:
    memory: Memory

    def find(self, code: str) -> Voucher | None:
        self.memory.calls.append("vouchers.find")
        return self.memory.vouchers.get(code)

    def of_member(self, member_id: str, limit: int) -> list[Voucher]:
        return [v for v in self.memory.vouchers.values() if v.member_id == member_id][:limit]

    def due(self, shard: str, before: str) -> list[str]:  # one shard holds them all here
        return [v.code for v in self.memory.vouchers.values() if v.status == "open" and v.expires_on < before]


@dataclass
class FakeSpendCodes:
    memory: Memory

    def find(self, code: str) -> SpendCode | None:
        return self.memory.spend_codes.get(code)

    def save(self, spend_code: SpendCode) -> None:
        self.memory.spend_codes[spend_code.code] = spend_code


def memory_store(memory: Memory) -> Store:
    """Wallets, operations, bookings, vouchers and spend codes in memory; the directory, rewards, the ledger's reads,
    settlements, statements and the audit trail are not kept (yet): a use case that reaches them fails loudly."""
    return Store(
        directory=None,  # type: ignore[arg-type]
        wallets=FakeWallets(memory),  # type: ignore[arg-type]
        operations=FakeOperations(memory),
        bookings=FakeBookings(memory),
        vouchers=FakeVouchers(memory),
        spend_codes=FakeSpendCodes(memory),
        rewards=None,  # type: ignore[arg-type]
        ledger=None,  # type: ignore[arg-type]
        settlements=None,  # type: ignore[arg-type]
        statements=None,  # type: ignore[arg-type]
        audit=None,  # type: ignore[arg-type]
        member_pool=None,  # type: ignore[arg-type]
        jobs=None,  # type: ignore[arg-type]
        webhooks=None,  # type: ignore[arg-type]
        sales=None,  # type: ignore[arg-type]
    )
