"""return_purchase: claw back a purchase's points in proportion to the amount returned."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from ..domain.earning import reversed_points
from ..domain.errors import NotFound, ReturnExceedsPurchase
from ..domain.ledger import new_entry, operation_key
from ..domain.money import parse_amount, to_str
from ..domain.tiers import record_return
from ..domain.wallet import Wallet
from ..store.operations import find_operation
from .operations import Operation, Outcome, Reply, execute, fingerprint
from .requests import ReturnRequest
from .runtime import Runtime, iso


def return_purchase(rt: Runtime, partner_id: str, transaction_id: str, request: ReturnRequest) -> Reply:
    purchase_key = operation_key(partner_id, "purchase", transaction_id)
    purchase = find_operation(purchase_key)
    if purchase is None:
        raise NotFound(f"transaction {transaction_id} not found")
    parse_amount(request.amount, purchase.data["currency"])  # a bad amount is refused before any write
    operation = Operation(
        partner_id, "return", request.return_id, fingerprint(transaction_id, request.model_dump(mode="json"))
    )

    def decide(wallet: Wallet, now: datetime) -> Outcome:
        current = find_operation(purchase_key)  # fresh each attempt: concurrent returns race on its version
        assert current is not None
        facts = current.data
        total = Decimal(facts["amount"])
        returned_before = Decimal(facts["returned_amount"])
        amount = parse_amount(request.amount, facts["currency"])
        if returned_before + amount > total:
            raise ReturnExceedsPurchase(
                f"{to_str(returned_before)} of {to_str(total)} {facts['currency']} already returned; "
                f"{to_str(amount)} more would exceed the purchase",
                field="amount",
            )
        portions = []
        reversed_total = 0
        for issuer, points in sorted(facts["points_by_issuer"].items()):
            taking = reversed_points(points, total, returned_before, amount)
            if taking:
                portions += wallet.claw_back(issuer, taking)
                reversed_total += taking
        record_return(wallet, date.fromisoformat(facts["occurred_on"]), reversed_total, amount)
        entry = new_entry(
            wallet,
            "return",
            partner_id,
            -reversed_total,
            attribution=portions,
            reference=request.return_id,
            booked_at=iso(now),
            breakdown=[
                {
                    "rule": "return",
                    "points": -reversed_total,
                    "detail": f"{to_str(amount)} of {to_str(total)} {facts['currency']} returned on {transaction_id}",
                }
            ],
        )
        updated = replace(
            current,
            data={
                **facts,
                "returned_amount": to_str(returned_before + amount),
                "returned_points": int(facts["returned_points"]) + reversed_total,
            },
        )
        body = {
            "entry_id": entry.entry_id,
            "return_id": request.return_id,
            "transaction_id": transaction_id,
            "points_reversed": reversed_total,
            "available_points": wallet.available,
            "owed_points": wallet.debt_points,
        }
        return Outcome(
            201,
            body,
            [entry],
            {"transaction_id": transaction_id},
            changed_operations=[updated],
            metrics={"PointsReturned": reversed_total},
        )

    return execute(rt, operation, purchase.member_id, decide)
