"""What a partner sees of its own purchases, redemptions and holds, as typed values (pydantic: the OpenAPI document is
written from them), built from their operation records alone: the record keeps the answer the partner got, the
purchase's facts (amount, place, returns) and a spending's reversals, so a view needs no other read (a hold also
reads its capture and void records, by key). The member is shown by their pseudonymous id only."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..domain.ledger import OperationRecord
from ..domain.money import to_str
from ..domain.purchases import PurchaseFacts
from .anonymous_sales import ANONYMOUS

DecimalText = Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$", description="a decimal as a string")
Timestamp = Field(json_schema_extra={"format": "date-time"})


# defer_build: built when first used, not at import (see services/requests.py).
class PartnerRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)  # answers may gain fields (API.md)


class TransactionReturn(PartnerRecord):
    return_id: str
    amount: str = DecimalText
    points_reversed: int
    entry_id: str
    booked_at: str = Timestamp


class SpendingReversal(PartnerRecord):
    reversal_id: str
    points: int
    entry_id: str
    booked_at: str = Timestamp


class PartnerTransaction(PartnerRecord):
    transaction_id: str
    member_id: str | None = Field(description="the member's pseudonymous id (null: a sale without a member)")
    amount: str = DecimalText
    currency: str
    channel: Literal["store", "online"] | None = Field(description="null: booked before channels were kept")
    store_id: str | None
    occurred_at: str | None = Field(json_schema_extra={"format": "date-time"}, description="as the partner posted it")
    booked_at: str = Timestamp
    entry_id: str | None
    points: int = Field(description="what the purchase earned the member, bonuses included")
    returned_amount: str = DecimalText
    net_amount: str = DecimalText
    points_reversed: int = Field(description="points its returns took back")
    returns: list[TransactionReturn]


class PartnerRedemption(PartnerRecord):
    redemption_id: str
    member_id: str = Field(description="the member's pseudonymous id")
    points: int
    entry_id: str | None
    booked_at: str = Timestamp
    reversed_points: int
    reversals: list[SpendingReversal]


class PartnerHold(PartnerRecord):
    hold_id: str
    member_id: str = Field(description="the member's pseudonymous id")
    points: int = Field(description="points reserved")
    expires_at: str = Timestamp
    booked_at: str = Timestamp
    status: Literal["open", "captured", "voided", "expired"]
    captured_points: int
    captured_at: str | None = Field(json_schema_extra={"format": "date-time"})
    capture_entry_id: str | None
    voided_at: str | None = Field(json_schema_extra={"format": "date-time"})
    reversed_points: int = Field(description="captured points given back since")
    reversals: list[SpendingReversal]


class PartnerTransactions(PartnerRecord):
    transactions: list[PartnerTransaction]
    next_cursor: str | None


class PartnerRedemptions(PartnerRecord):
    redemptions: list[PartnerRedemption]
    next_cursor: str | None


class PartnerHolds(PartnerRecord):
    holds: list[PartnerHold]
    next_cursor: str | None


def transaction_view(record: OperationRecord) -> PartnerTransaction:
    answer = _answer(record)
    data = record.data
    if "lines" in data:
        facts = PurchaseFacts.from_dict(data)
        amount, returned = facts.amount, facts.returned_amount
        currency, channel, store_id, occurred_at = facts.currency, facts.channel, facts.store_id, facts.occurred_at
        returns = [TransactionReturn(**r.to_dict()) for r in facts.returns]
    elif data.get(ANONYMOUS):  # a sale without a member: what it was, nothing earned, never returned
        amount, returned, returns = Decimal(data["amount"]), Decimal(0), []
        currency, channel, store_id = data["currency"], data["channel"], data.get("store_id")
        occurred_at = data.get("occurred_at")
    else:  # recorded before awards were kept: amount and returns in total only
        amount, returned = Decimal(data.get("amount", "0")), Decimal(data.get("returned_amount", "0"))
        currency, channel, store_id, occurred_at = data.get("currency", ""), None, None, None
        returns = []
    return PartnerTransaction(
        transaction_id=record.operation_id,
        member_id=record.member_id or None,
        amount=to_str(amount),
        currency=currency,
        channel="store" if channel == "store" else "online" if channel == "online" else None,
        store_id=store_id,
        occurred_at=occurred_at,
        booked_at=record.created_at,
        entry_id=answer.get("entry_id"),
        points=int(answer.get("points", 0)),
        returned_amount=to_str(returned),
        net_amount=to_str(amount - returned),
        points_reversed=sum(r.points_reversed for r in returns),
        returns=returns,
    )


def redemption_view(record: OperationRecord) -> PartnerRedemption:
    answer = _answer(record)
    reversals = _reversals(record)
    return PartnerRedemption(
        redemption_id=record.operation_id,
        member_id=record.member_id,
        points=int(answer.get("points", record.data.get("points", 0))),
        entry_id=answer.get("entry_id"),
        booked_at=record.created_at,
        reversed_points=int(record.data.get("reversed", 0)),
        reversals=reversals,
    )


def hold_view(
    hold: OperationRecord, capture: OperationRecord | None, void: OperationRecord | None, now: datetime
) -> PartnerHold:
    """Open until captured or voided by the partner, or until its time is up (expired: its points went back, or go
    back at the member's next use or the sweep, whichever comes first)."""
    answer = _answer(hold)
    expires_at = str(hold.data.get("expires_at") or answer.get("expires_at", ""))
    captured = _answer(capture) if capture is not None else {}
    status: Literal["open", "captured", "voided", "expired"]
    if capture is not None:
        status = "captured"
    elif void is not None:
        status = "voided"
    elif expires_at and datetime.fromisoformat(expires_at) <= now:
        status = "expired"
    else:
        status = "open"
    return PartnerHold(
        hold_id=hold.operation_id,
        member_id=hold.member_id,
        points=int(answer.get("points", hold.data.get("points", 0))),
        expires_at=expires_at,
        booked_at=hold.created_at,
        status=status,
        captured_points=int(captured.get("points", 0)),
        captured_at=None if capture is None else capture.created_at,
        capture_entry_id=captured.get("entry_id"),
        voided_at=None if void is None else void.created_at,
        reversed_points=0 if capture is None else int(capture.data.get("reversed", 0)),
        reversals=[] if capture is None else _reversals(capture),
    )


def _answer(record: OperationRecord) -> dict[str, Any]:
    """The answer the partner got when it posted the operation (stored byte for byte for replays)."""
    parsed = json.loads(record.body) if record.body else {}
    return parsed if isinstance(parsed, dict) else {}


def _reversals(record: OperationRecord) -> list[SpendingReversal]:
    return [SpendingReversal(**raw) for raw in record.data.get("reversals", [])]
