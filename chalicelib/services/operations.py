"""Exactly once: run a partner's operation against a member's wallet and commit it with its
idempotency record in one transaction, retrying conflicts and transient failures.

Happy path: 1 GetItem (wallet) + 1 TransactWriteItems. A replay costs one more GetItem (the record).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from ..domain.errors import (
    ConcurrencyConflict,
    DomainError,
    DuplicateOperation,
    IdempotencyConflict,
    MemberInactive,
    NotFound,
    RetryLater,
    TransientFailure,
)
from ..domain.ledger import Entry, OperationRecord, new_entry, operation_key
from ..domain.wallet import Wallet
from ..observability import logger, metrics
from ..store.bookings import Booking, commit
from ..store.operations import find_operation
from ..store.wallets import load_wallet
from .runtime import Runtime, iso


@dataclass(frozen=True)
class Operation:
    partner_id: str
    kind: str  # purchase, return, redemption, hold, capture, void
    operation_id: str
    fingerprint: str

    @property
    def key(self) -> str:
        return operation_key(self.partner_id, self.kind, self.operation_id)


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


@dataclass(frozen=True)
class Reply:
    status: int
    body: str  # JSON text, the same bytes on every replay
    replayed: bool = False


Decide = Callable[[Wallet, datetime], Outcome]

# The request field that carries each kind of operation's id (what a 409 points at).
ID_FIELD = {
    "purchase": "transaction_id",
    "return": "return_id",
    "redemption": "redemption_id",
    "hold": "hold_id",
    "capture": "hold_id",
    "void": "hold_id",
    "activity": "activity_id",
}


def fingerprint(*parts: Any) -> str:
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def body_text(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"))


def execute(rt: Runtime, operation: Operation, member_id: str, decide: Decide) -> Reply:
    transient_left = rt.settings.write_attempts
    conflicts_left = rt.settings.conflict_attempts
    while True:
        try:
            return _attempt(rt, operation, member_id, decide)
        except DuplicateOperation:
            return _replay(operation)
        except ConcurrencyConflict:
            conflicts_left -= 1
            if conflicts_left <= 0:
                logger.warning("wallet stayed busy", extra={"op": operation.key})
                raise RetryLater("the member's wallet is busy; retry with the same id") from None
            _backoff(rt.settings.conflict_attempts - conflicts_left, cap=0.05)
        except TransientFailure as failure:
            transient_left -= 1
            logger.warning("transient DynamoDB failure", extra={"op": operation.key, "error": str(failure)})
            if transient_left <= 0:
                raise RetryLater("the service is busy; retry with the same id") from None
            _backoff(rt.settings.write_attempts - transient_left, cap=0.4)


def _attempt(rt: Runtime, operation: Operation, member_id: str, decide: Decide) -> Reply:
    wallet = load_wallet(member_id)
    if wallet is None:
        raise NotFound("member not found", field="member")
    now = rt.now()
    try:
        if not wallet.active:
            raise MemberInactive(f"member {member_id} is {wallet.status}")
        released = release_expired_holds(wallet, now)
        outcome = decide(wallet, now)
    except DomainError:
        # A refusal writes nothing, unless this is a replay of a call that succeeded before.
        if find_operation(operation.key) is not None:
            return _replay(operation)
        raise
    text = body_text(outcome.body)
    record = OperationRecord(
        op_key=operation.key,
        kind=operation.kind,
        partner_id=operation.partner_id,
        member_id=member_id,
        fingerprint=operation.fingerprint,
        status_code=outcome.status,
        body=text,
        data=outcome.data,
        created_at=iso(now),
    )
    booking = Booking(
        wallet=wallet,
        entries=released + outcome.entries,
        new_operation=record,
        changed_operations=outcome.changed_operations,
        others=outcome.others,
    )
    commit(booking, rt.settings)
    for name, value in outcome.metrics.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    return Reply(outcome.status, text)


def _replay(operation: Operation) -> Reply:
    record = find_operation(operation.key)
    if record is None:  # the condition failed on a record that is gone: cannot happen, records are kept
        raise RetryLater("could not read the earlier result; retry with the same id")
    if record.fingerprint != operation.fingerprint:
        raise IdempotencyConflict(
            f"{operation.operation_id} was already used for a different request", field=ID_FIELD[operation.kind]
        )
    return Reply(record.status_code, record.body, replayed=True)


def release_expired_holds(wallet: Wallet, now: datetime, limit: int = 20) -> list[Entry]:
    """Expired holds give their points back at the member's next use (and by the scheduled sweep)."""
    entries = []
    for hold in wallet.expired_holds(now)[:limit]:
        wallet.release_hold(hold.hold_id)
        entries.append(
            new_entry(
                wallet,
                "void",
                hold.partner_id,
                0,
                held=-hold.points,
                attribution=hold.portions,
                reference=hold.hold_id,
                breakdown=[{"rule": "hold_expired", "points": 0, "detail": f"{hold.points} reserved points released"}],
                booked_at=iso(now),
            )
        )
    return entries


def _backoff(attempt: int, cap: float) -> None:
    time.sleep(random.uniform(0, min(cap, 0.005 * 2**attempt)))


def apply_to_wallet(rt: Runtime, member_id: str, change: Callable[[Wallet, datetime], list[Entry]]) -> list[Entry]:
    """A change the system makes on its own (a sweep, an expiry): no operation record, since the change
    finds nothing left to do when repeated. Retries conflicts and transient failures like execute()."""
    transient_left = rt.settings.write_attempts
    for attempt in range(rt.settings.conflict_attempts):
        wallet = load_wallet(member_id)
        if wallet is None:
            return []
        now = rt.now()
        entries = release_expired_holds(wallet, now) + change(wallet, now)
        if not entries:
            return []
        try:
            commit(Booking(wallet=wallet, entries=entries), rt.settings)
            return entries
        except ConcurrencyConflict:
            _backoff(attempt, cap=0.05)
        except TransientFailure:
            transient_left -= 1
            if transient_left <= 0:
                raise
            _backoff(attempt, cap=0.4)
    raise RetryLater(f"member {member_id} stayed busy")
