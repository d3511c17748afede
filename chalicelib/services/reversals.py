"""reverse_spending: a partner undoes (part of) a redemption or a captured hold it made (a cancelled ticket).

The points go back to the member with the issuer and expiry they were spent with; points whose validity
ended meanwhile go straight to breakage of their issuer. Settlement moves the money back on the day the
reversal is booked (the redeemer pays the issuer), at the point value the spending was paid at. Partial and
repeated reversals never exceed what was spent: the spending's operation record counts what has been reversed,
under its version condition.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..domain.errors import NotFound
from ..domain.ledger import new_entry, operation_key
from ..domain.movements import OPERATIONS, EntryType, OperationKind
from ..domain.spending import SpendingFacts
from ..domain.wallet import Wallet
from .operations import (
    Decide,
    Operation,
    Outcome,
    Reply,
    expire_due_lots,
    fingerprint,
    read_once_then_afresh,
    run_operation,
)
from .requests import ReversalRequest
from .runtime import Runtime, iso


def reverse_spending(
    rt: Runtime, partner_id: str, kind: OperationKind, spending_id: str, request: ReversalRequest
) -> Reply:
    """`kind`: a reversible spending (domain/movements.py), its record named by its id field in the answer."""
    spending_field = OPERATIONS[kind].id_field
    assert OPERATIONS[kind].reversible, kind
    operation = Operation(
        partner_id,
        OperationKind.REVERSAL,
        request.reversal_id,
        fingerprint(kind, spending_id, request.model_dump(mode="json")),
    )
    spending_key = operation_key(partner_id, kind, spending_id)

    def prepare() -> tuple[str, Decide]:
        spending = rt.store.operations.find(spending_key)  # only the partner that spent finds its own record
        if spending is None:
            noun = "redemption" if kind is OperationKind.REDEMPTION else "captured hold"
            raise NotFound(f"{noun} {spending_id} not found")
        # Concurrent reversals race on the record's version: a retry reads it afresh.
        read_spending = read_once_then_afresh(spending, lambda: rt.store.operations.find(spending_key))

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            current = read_spending()
            facts = SpendingFacts.from_dict(current.data)
            given = facts.reverse(request.points)
            points = sum(p.points for p in given)
            wallet.give_back(given)
            line = {
                "rule": EntryType.REVERSAL.value,
                "points": points,
                "detail": f"{points} points given back by {partner_id}",
            }
            entry = new_entry(
                wallet,
                EntryType.REVERSAL,
                partner_id,
                points,
                breakdown=[line],
                attribution=given,
                reference=request.reversal_id,
                booked_at=iso(now),
                point_value=facts.point_value,  # money goes back at what the spending was paid
            )
            expired = expire_due_lots(wallet, now)  # given back after their validity ended: breakage
            body = {
                "entry_id": entry.entry_id,
                "reversal_id": request.reversal_id,
                spending_field: spending_id,
                "points": points,
                "expired_points": -sum(e.points for e in expired),
                "available_points": wallet.available,
            }
            # The reversal on the spending's record too: the partner's view of the redemption or hold lists them.
            done = {
                "reversal_id": request.reversal_id,
                "points": points,
                "entry_id": entry.entry_id,
                "booked_at": iso(now),
            }
            reversals = [*current.data.get("reversals", []), done]
            updated = replace(current, data={**current.data, **facts.to_dict(), "reversals": reversals})
            return Outcome(201, body, [entry, *expired], {spending_field: spending_id}, changed_operations=[updated])

        return spending.member_id, decide

    return run_operation(rt, operation, prepare)
