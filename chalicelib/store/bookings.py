"""Commit one operation's effect atomically: one TransactWriteItems with every condition it needs.

Deletes first, then puts, in this order (pynamodb sends deletes before puts; cancellation reasons come back in
the order sent):
  deletes: released aliases             absent, or member_id = this member (someone else's: ConcurrencyConflict)
           spend codes used             present and member_id = this member -> SpendCodeUsed (single use)
  puts: 1. the new operation record     attribute_not_exists(op_key)  -> DuplicateOperation
           records it reserves for good  attribute_not_exists(op_key)  -> OperationTaken(key)
        2. operation records it changes  version = read version       -> ConcurrencyConflict
        3. new identity aliases          attribute_not_exists(pk)     -> IdentifierTaken
        4. the wallet(s)                 version = read version       -> ConcurrencyConflict
           vouchers created or changed   version = read version (new: attribute_not_exists) -> ConcurrencyConflict
        5. the ledger entries            attribute_not_exists(seq)    (numbered from the wallet: cannot clash
                                                                        unless the wallet condition fails too)
           reward claims created/changed version = read version (new: attribute_not_exists) -> ConcurrencyConflict
  updates (after the puts): a reward's claims counter (ADD)   claimed < stock  -> OutOfStock
                            the member's uses of it (ADD)     uses < per-member limit -> RuleViolation
                            a job shard's progress (ADD)      none (counted only if the booking commits)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from ..domain.effect import measured_to_raw
from ..domain.errors import (
    ConcurrencyConflict,
    DuplicateOperation,
    IdentifierTaken,
    OperationTaken,
    OutOfStock,
    RuleViolation,
    SpendCodeUsed,
)
from ..domain.grants import JobTally
from ..domain.ledger import Entry, OperationRecord
from ..domain.movements import OperationKind
from ..domain.rewards import Claim, StockMove
from ..domain.vouchers import Voucher
from ..domain.wallet import Wallet
from ..settings import Settings
from .errors import is_transient, translated
from .jobs import tally_update
from .layout import list_at, list_key, list_shard, settle_key, store_list_key
from .models import AliasItem, EntryItem, OperationItem, SpendCodeItem
from .operations import pack_answer
from .rewards import claim_item, stock_updates
from .spend_codes import spend_code_key
from .tables import connection
from .vouchers import to_item as voucher_item
from .wallets import VaultWrite, to_items


@dataclass
class Booking:
    wallet: Wallet
    entries: list[Entry] = field(default_factory=list)
    new_operation: OperationRecord | None = None
    # Other keys the operation takes for good, created with it (a late credit's partner purchase, a reinstated
    # expiry): one existing already -> OperationTaken.
    reserved_operations: list[OperationRecord] = field(default_factory=list)
    changed_operations: list[OperationRecord] = field(default_factory=list)
    new_aliases: list[str] = field(default_factory=list)
    released_aliases: list[str] = field(default_factory=list)  # identifiers freed (a closed member)
    # Another member's wallet changed by the same operation (a referrer's bonus), with its entries.
    others: list[tuple[Wallet, list[Entry]]] = field(default_factory=list)
    # Vouchers the operation creates or changes (converted, spent, voided, expired), each over the version read.
    vouchers: list[Voucher] = field(default_factory=list)
    # Spend codes the operation uses (deleted: one use; gone already -> SpendCodeUsed).
    consumed_codes: list[str] = field(default_factory=list)
    # Reward claims the operation creates or changes (each over its version), and the stock counters it moves.
    claims: list[Claim] = field(default_factory=list)
    stock_moves: list[StockMove] = field(default_factory=list)
    # A job's progress counters the booking adds to (a grant's member credited): counted once, with the booking.
    tallies: list[JobTally] = field(default_factory=list)


def commit(booking: Booking, settings: Settings) -> None:
    puts: list[tuple[str, Model]] = []  # (what failed means, item)
    if booking.new_operation is not None:
        puts.append(("duplicate", operation_item(booking.new_operation)))
    for record in booking.reserved_operations:
        puts.append((f"taken:{record.op_key}", operation_item(record)))
    for record in booking.changed_operations:
        puts.append(("conflict", operation_item(record)))
    for alias in booking.new_aliases:
        puts.append((f"alias:{alias}", AliasItem(pk=alias, member_id=booking.wallet.member_id)))
    vault_writes: list[VaultWrite] = []
    for wallet, entries in [(booking.wallet, booking.entries), *booking.others]:
        head, vault_write = to_items(wallet)
        puts.append(("conflict", head))
        vault_writes += [vault_write] if vault_write is not None else []
        if wallet is booking.wallet:
            puts.extend(("conflict", voucher_item(v)) for v in booking.vouchers)
        puts.extend(("conflict", entry_item(e, wallet.member_id)) for e in entries)
    vault_puts = [write for write in vault_writes if not write.delete]
    vault_deletes = [write for write in vault_writes if write.delete]
    puts.extend(("conflict", claim_item(c)) for c in booking.claims)
    updates = [update for move in booking.stock_moves for update in stock_updates(move)]
    updates += [("tally", *tally_update(tally), None) for tally in booking.tallies]

    try:
        with translated():
            with TransactWrite(connection=connection(settings)) as transaction:
                for meaning, item in puts:
                    transaction.save(item, condition=_creation_condition(item, meaning))
                for write in vault_puts:
                    transaction.save(write.item, condition=write.condition)
                for write in vault_deletes:
                    transaction.delete(write.item, condition=write.condition)
                for alias in booking.released_aliases:
                    # An alias already gone is released (a wallet that derives its aliases may name one never
                    # written); another member's is not touched.
                    mine = AliasItem.pk.does_not_exist() | (AliasItem.member_id == booking.wallet.member_id)
                    transaction.delete(AliasItem(pk=alias), condition=mine)
                for code in booking.consumed_codes:
                    used_by_this_member = SpendCodeItem.pk.exists() & (
                        SpendCodeItem.member_id == booking.wallet.member_id
                    )
                    transaction.delete(SpendCodeItem(pk=spend_code_key(code)), condition=used_by_this_member)
                for _, counter, actions, condition in updates:
                    transaction.update(counter, actions=actions, condition=condition)
    except TransactWriteError as error:
        # pynamodb sends condition checks, then deletes, then puts, then updates: cancellation reasons come in
        # that order.
        meanings = (
            ["conflict"] * (len(booking.released_aliases) + len(vault_deletes))
            + ["spend_code"] * len(booking.consumed_codes)
            + [meaning for meaning, _ in puts]
            + ["conflict"] * len(vault_puts)
            + [meaning for meaning, *_ in updates]
        )
        _raise_for_cancellation(error, meanings)
        raise


def _creation_condition(item: Model, meaning: str) -> Condition | None:
    if meaning == "duplicate" or meaning.startswith("taken:"):
        return OperationItem.op_key.does_not_exist()
    if meaning.startswith("alias:"):
        return AliasItem.pk.does_not_exist()
    if isinstance(item, EntryItem):
        return EntryItem.seq.does_not_exist()
    return None  # versioned items carry their own condition


def _raise_for_cancellation(error: TransactWriteError, meanings: list[str]) -> None:
    reasons = list(error.cancellation_reasons or [])
    failed = [
        meaning
        for meaning, reason in zip(meanings, reasons, strict=False)
        if reason is not None and reason.code == "ConditionalCheckFailed"
    ]
    if "duplicate" in failed:
        raise DuplicateOperation() from error
    for meaning in failed:
        if meaning.startswith("taken:"):
            raise OperationTaken(meaning.removeprefix("taken:")) from error
    if "out_of_stock" in failed:
        raise OutOfStock("this reward is out of stock", field="reward_id") from error
    if "claim_limit" in failed:
        raise RuleViolation("you hold as many claims of this reward as one member may", field="reward_id") from error
    if "spend_code" in failed:
        raise SpendCodeUsed("this spend code was used already: ask the member for a new one", field="member.spend_code")
    for meaning in failed:
        if meaning.startswith("alias:"):
            raise IdentifierTaken(meaning.removeprefix("alias:")) from error
    if failed:
        raise ConcurrencyConflict() from error


def operation_item(record: OperationRecord) -> OperationItem:
    item = OperationItem(
        op_key=record.op_key,
        kind=record.kind,
        partner_id=record.partner_id,
        member_id=record.member_id,
        fingerprint=record.fingerprint,
        status_code=record.status_code,
        packed=pack_answer(record.body, record.data),
        created_at=record.created_at,
    )
    if record.version:
        item.version = record.version
    _list(item, record)
    return item


# The kinds a partner lists (GET /v1/transactions, /v1/redemptions, /v1/holds): their records carry listing keys.
LISTED_KINDS = frozenset({OperationKind.PURCHASE.value, OperationKind.REDEMPTION.value, OperationKind.HOLD.value})


def _list(item: OperationItem, record: OperationRecord) -> None:
    """Derived from the record alone, so a record rewritten later (a return, a reversal) keeps the same keys."""
    if record.kind not in LISTED_KINDS:
        return
    shard = list_shard(record.op_key)
    item.list_key = list_key(record.partner_id, record.kind, shard)
    item.list_at = list_at(record.created_at, record.operation_id)
    store_id = record.data.get("store_id") if record.kind == OperationKind.PURCHASE.value else None
    if isinstance(store_id, str) and store_id:
        item.store_list_key = store_list_key(record.partner_id, record.kind, store_id, shard)


def entry_item(entry: Entry, member_id: str) -> EntryItem:
    return EntryItem(
        member_id=member_id,
        seq=entry.seq,
        entry_id=entry.entry_id,
        type=entry.type.value,
        partner_id=entry.partner_id,
        points=entry.points,
        held=entry.held,
        breakdown=entry.breakdown,
        attribution=[p.to_dict() for p in entry.attribution],
        reference=entry.reference,
        booked_at=entry.booked_at,
        settle_key=settle_key(entry.partner_id, entry.booked_at[:10], entry.entry_id),
        point_value=None if entry.point_value is None else format(entry.point_value, "f"),
        fees_per_point={issuer: format(fee, "f") for issuer, fee in entry.fees_per_point.items()} or None,
        bonuses={funder: format(amount, "f") for funder, amount in entry.bonuses.items()} or None,
        values={issuer: format(amount, "f") for issuer, amount in entry.values.items()} or None,
        from_tier=entry.from_tier,
        sale=None if entry.sale is None else entry.sale.to_dict(),
        measured=measured_to_raw(entry.measured),
        fee_collected=None if entry.fee_collected is None else format(entry.fee_collected, "f"),
    )


__all__ = ["Booking", "commit", "is_transient"]
