"""Exactly once: run a partner's operation against a member's wallet and commit it with its
idempotency record in one transaction, retrying conflicts and transient failures.

Happy path: 1 GetItem (the wallet's head, eventually consistent) + 1 TransactWriteItems. A replay costs one more
GetItem (the record); a refusal, a conflict or an operation that reaches the wallet's vault reads it again.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from aws_lambda_powertools.metrics import MetricUnit

from ..domain.errors import (
    ConcurrencyConflict,
    DomainError,
    DuplicateOperation,
    HoldNotOpen,
    MemberInactive,
    NotFound,
    OperationTaken,
    RetryLater,
    TransientFailure,
)
from ..domain.grants import JobTally
from ..domain.ledger import Entry, OperationRecord, new_entry, operation_key
from ..domain.movements import OPERATIONS, EntryType, OperationKind
from ..domain.program import OPERATOR
from ..domain.rewards import Claim, StockMove
from ..domain.vouchers import Voucher
from ..domain.wallet import Wallet, WalletIncomplete
from ..observability import logger, metrics
from ..store.bookings import Booking
from .runtime import Runtime, iso


@dataclass(frozen=True)
class Operation:
    partner_id: str
    kind: OperationKind  # declared in domain/movements.py: its id field, conflict answer, who starts it
    operation_id: str
    fingerprint: str

    @property
    def key(self) -> str:
        return operation_key(self.partner_id, self.kind, self.operation_id)


@dataclass(frozen=True)
class Reservation:
    """A key an operation takes for good besides its own id, in the same transaction (created only if absent):
    the partner's purchase a late credit books, the expiry a reinstatement gives back. Taken already: `refusal`
    answers (unless the operation itself is a replay)."""

    record: OperationRecord
    refusal: DomainError


@dataclass
class Outcome:
    """What an operation decided: its entries, its answer, and facts to keep for later calls."""

    status: int
    body: dict[str, Any]
    entries: list[Entry] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    changed_operations: list[OperationRecord] = field(default_factory=list)
    metrics: dict[str, int] = field(default_factory=dict)  # business metrics, emitted once committed
    others: list[tuple[Wallet, list[Entry]]] = field(default_factory=list)  # other members' wallets changed
    vouchers: list[Voucher] = field(default_factory=list)  # vouchers created or changed (each over its version)
    consumed_codes: list[str] = field(default_factory=list)  # spend codes the operation uses up (single use)
    claims: list[Claim] = field(default_factory=list)  # reward claims created or changed (each over its version)
    stock_moves: list[StockMove] = field(default_factory=list)  # reward counters taken (+1) or given back (−1)
    reserved: list[Reservation] = field(default_factory=list)  # other keys taken for good (each at most once)
    tallies: list[JobTally] = field(default_factory=list)  # job progress the booking adds to (a grant's credit)


@dataclass(frozen=True)
class Reply:
    status: int
    body: str  # JSON text, the same bytes on every replay
    replayed: bool = False


Decide = Callable[[Wallet, datetime], Outcome]
Prepare = Callable[[], tuple[str, Decide]]  # validates what is new; returns (member id, decide)


def fingerprint(*parts: Any) -> str:
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def body_text(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"))


def run_operation(rt: Runtime, operation: Operation, prepare: Prepare) -> Reply:
    """Validate, then execute exactly once. A call that validation refuses is first looked up: an exact
    replay answers what the first call got (even after its posting window closed or the programme changed),
    a different request under a used id answers the conflict. Only refusals pay for that extra read."""
    try:
        member_id, decide = prepare()
    except DomainError:
        if rt.store.operations.find(operation.key) is not None:
            return replay(rt, operation)
        raise
    return execute(rt, operation, member_id, decide)


T = TypeVar("T")


def read_once_then_afresh(first: T, read: Callable[[], T | None]) -> Callable[[], T]:
    """What `prepare` read, for the first attempt of `decide`; read afresh on every retry (a retry means a
    conflict: what was read may have changed). Saves the second read of a record or voucher an operation
    changes under its version condition."""
    pending = [first]

    def current() -> T:
        if pending:
            return pending.pop()
        fresh = read()
        assert fresh is not None, "records and vouchers are never deleted"
        return fresh

    return current


@dataclass(frozen=True)
class WalletRead:
    """How an attempt reads the wallet. The first reads the head only, eventually consistent: the cheapest read, and
    a safe one, since the booking's version condition refuses a wallet that changed since (a conflict, read again).
    An attempt that reaches the vault (WalletIncomplete) runs again on the whole wallet; a refusal or an unknown
    member decided on the head read eventually consistent is confirmed on the whole wallet read consistently before
    it is answered (a refusal may rest on lots only the vault holds: an adjustment's debit counts the funder's)."""

    whole: bool = False
    consistent: bool = False


class _Unconfirmed(Exception):
    """A refusal or an unknown member decided on part of the wallet, or on a read that may be stale: decide again on
    the whole wallet, read consistently."""


def execute(rt: Runtime, operation: Operation, member_id: str, decide: Decide) -> Reply:
    transient_left = rt.settings.write_attempts
    conflicts_left = rt.settings.conflict_attempts
    read = WalletRead()
    while True:
        try:
            return _attempt(rt, operation, member_id, decide, read)
        except (WalletIncomplete, _Unconfirmed):  # at most once: a whole consistent read raises neither
            read = WalletRead(whole=True, consistent=True)
        except DuplicateOperation:
            return replay(rt, operation)
        except ConcurrencyConflict:
            read = WalletRead(whole=read.whole, consistent=True)
            conflicts_left -= 1
            if conflicts_left <= 0:
                logger.warning("wallet stayed busy", extra={"op": operation.key})
                raise RetryLater("the member's wallet is busy; retry with the same id") from None
            backoff(rt.settings.conflict_attempts - conflicts_left, cap=0.05)
        except TransientFailure as failure:
            transient_left -= 1
            logger.warning("transient DynamoDB failure", extra={"op": operation.key, "error": str(failure)})
            if transient_left <= 0:
                raise RetryLater("the service is busy; retry with the same id") from None
            backoff(rt.settings.write_attempts - transient_left, cap=0.4)


def _attempt(rt: Runtime, operation: Operation, member_id: str, decide: Decide, read: WalletRead) -> Reply:
    wallet = rt.store.wallets.load(member_id, whole=read.whole, consistent=read.consistent)
    if wallet is None:
        if not read.consistent:  # enrolled a moment ago, perhaps
            raise _Unconfirmed()
        raise NotFound("member not found", field="member")
    now = rt.now()
    try:
        if not wallet.active and not OPERATIONS[operation.kind].corrects:
            raise MemberInactive(f"member {member_id} is {wallet.status}")
        released = release_expired_holds(wallet, now) + expire_due_lots(wallet, now)
        outcome = decide(wallet, now)
    except DomainError:
        if not (read.whole and read.consistent):  # after a conflict too: a consistent read of the head is not all
            raise _Unconfirmed() from None
        # A refusal writes nothing, unless this is a replay of a call that succeeded before.
        if rt.store.operations.find(operation.key) is not None:
            return replay(rt, operation)
        raise
    text = body_text(outcome.body)
    record = OperationRecord(
        op_key=operation.key,
        kind=operation.kind.value,
        partner_id=operation.partner_id,
        member_id=member_id,
        fingerprint=operation.fingerprint,
        status_code=outcome.status,
        body=text,
        data=outcome.data,
        created_at=iso(now),
    )
    # A correction on an erased member (a reversal, a cancelled claim) gives points back to nobody: they are forfeited
    # in the same booking, as the erasure forfeited the rest.
    forfeited = forfeit_all(wallet, now) if wallet.status == ERASED else []
    booking = Booking(
        wallet=wallet,
        entries=released + outcome.entries + forfeited,
        new_operation=record,
        reserved_operations=[reservation.record for reservation in outcome.reserved],
        changed_operations=outcome.changed_operations,
        others=outcome.others,
        vouchers=outcome.vouchers,
        consumed_codes=outcome.consumed_codes,
        claims=outcome.claims,
        stock_moves=outcome.stock_moves,
        tallies=outcome.tallies,
    )
    try:
        rt.store.bookings.commit(booking)
    except OperationTaken as taken:  # permanent: no retry changes it (a replay of this operation won before)
        refusal = next(r.refusal for r in outcome.reserved if r.record.op_key == taken.op_key)
        raise refusal from None
    for name, value in outcome.metrics.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    return Reply(outcome.status, text)


def replay(rt: Runtime, operation: Operation) -> Reply:
    record = rt.store.operations.find(operation.key)
    if record is None:  # the condition failed on a record that is gone: cannot happen, records are kept
        raise RetryLater("could not read the earlier result; retry with the same id")
    if record.fingerprint != operation.fingerprint:
        kind = OPERATIONS[operation.kind]
        if kind.conflict is HoldNotOpen:
            raise HoldNotOpen(f"hold {operation.operation_id} is not open (already {operation.kind}d)")
        raise kind.conflict(f"{operation.operation_id} was already used for a different request", field=kind.id_field)
    return Reply(record.status_code, record.body, replayed=True)


ERASED = "erased"  # a member's status once erased: final


def forfeit_all(wallet: Wallet, now: datetime) -> list[Entry]:
    """Every point left in the wallet, forfeited as breakage of its issuers (an erased member's): one `forfeit` entry
    whose breakdown says, per issuer, how many points it was; none when the wallet holds no points."""
    forfeited = wallet.forfeit_lots()
    if not forfeited:
        return []
    by_issuer: dict[str, int] = {}
    for portion in forfeited:
        by_issuer[portion.issuer] = by_issuer.get(portion.issuer, 0) + portion.points
    lines = [
        {"rule": "erasure", "points": -points, "detail": f"{points} points of {issuer} forfeited"}
        for issuer, points in sorted(by_issuer.items())
    ]
    total = sum(by_issuer.values())
    return [
        new_entry(
            wallet, EntryType.FORFEIT, OPERATOR, -total, breakdown=lines, attribution=forfeited, booked_at=iso(now)
        )
    ]


def release_expired_holds(wallet: Wallet, now: datetime, limit: int = 20) -> list[Entry]:
    """Expired holds give their points back at the member's next use (and by the scheduled sweep)."""
    return [release_hold(wallet, hold.key, "hold_expired", now) for hold in wallet.expired_holds(now)[:limit]]


def release_hold(wallet: Wallet, hold_key: str, rule: str, now: datetime) -> Entry:
    """The hold's reserved points back to the member, as a `void` entry whose breakdown names why (`rule`)."""
    hold = wallet.release_hold(hold_key)
    return new_entry(
        wallet,
        EntryType.VOID,
        hold.partner_id,
        0,
        held=-hold.points,
        attribution=hold.portions,
        reference=hold.hold_id,
        breakdown=[{"rule": rule, "points": 0, "detail": f"{hold.points} reserved points released"}],
        booked_at=iso(now),
    )


def expire_due_lots(wallet: Wallet, now: datetime, booked_at: datetime | None = None) -> list[Entry]:
    """Lots whose validity ended before today expire at the member's next write, as the nightly job would:
    points past their date are never spent, and points given back after it (a void, a reversal) go straight
    to breakage of their issuer."""
    portions = wallet.expire_lots(now.date().isoformat())
    if not portions:
        return []
    points = sum(p.points for p in portions)
    line = {"rule": "expiry", "points": -points, "detail": f"points valid until {portions[-1].expires_on}"}
    booked = iso(booked_at or now)
    return [
        new_entry(wallet, EntryType.EXPIRE, OPERATOR, -points, breakdown=[line], attribution=portions, booked_at=booked)
    ]


def backoff(attempt: int, cap: float) -> None:
    time.sleep(random.uniform(0, min(cap, 0.005 * 2**attempt)))


@dataclass
class Change:
    """What a change the system makes decides: entries, and the vouchers it changes (each over its version)."""

    entries: list[Entry]
    vouchers: list[Voucher] = field(default_factory=list)


def apply_to_wallet(
    rt: Runtime,
    member_id: str,
    change: Callable[[Wallet, datetime], list[Entry] | Change],
    *,
    releasing_identifiers: bool = False,
) -> list[Entry]:
    """A change the system makes on its own (a sweep, an expiry): no operation record, since the change
    finds nothing left to do when repeated. Retries conflicts and transient failures like execute().
    `releasing_identifiers`: the change frees the member's card, email, phone and referral code (closing),
    deleted in the same transaction."""
    transient_left = rt.settings.write_attempts
    for attempt in range(rt.settings.conflict_attempts):
        wallet = rt.store.wallets.load(member_id)
        if wallet is None:
            return []
        now = rt.now()
        # Expired holds give their points back first, as on every write (execute()): released after the change,
        # points of a lot past its date came back after the expiry job had expired the lots (and after a closing
        # had forfeited them), and stayed in the wallet.
        given_back = release_expired_holds(wallet, now)
        decided = change(wallet, now)
        changed = decided if isinstance(decided, Change) else Change(decided)
        entries = given_back + changed.entries
        if not entries:
            return []
        released = list(wallet.aliases) if releasing_identifiers else []
        if releasing_identifiers:
            wallet.aliases = []
        booking = Booking(wallet=wallet, entries=entries, released_aliases=released, vouchers=changed.vouchers)
        try:
            rt.store.bookings.commit(booking)
            return entries
        except ConcurrencyConflict:
            backoff(attempt, cap=0.05)
        except TransientFailure:
            transient_left -= 1
            if transient_left <= 0:
                raise
            backoff(attempt, cap=0.4)
    raise RetryLater(f"member {member_id} stayed busy")
