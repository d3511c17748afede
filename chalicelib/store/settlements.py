"""Closed settlement periods, the shard parts of a close under way, and the closing cursor.

A day's entries are read through the ledger's by_settlement_day index: one Query per (partner, shard)
key of that day, so a close reads that day's entries and nothing older.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from pynamodb.exceptions import PutError, UpdateError

from ..domain.effect import EffectTally
from ..domain.ledger import Entry
from ..domain.settlement import PointFlows, Settlement, Transfer
from .errors import translated
from .layout import settle_shard_key
from .ledger import to_entry
from .models import EntryItem, SettlementItem

ALL = "ALL"
CURSOR = "CURSOR"
EFFECT = "EFFECT#"


@dataclass(frozen=True)
class StoredPeriod:
    """A closed period as stored: its figures, the operator's document byte for byte, and whether (when) its
    objects were published to S3."""

    settlement: Settlement
    document: str
    published_at: str | None


def day_entries(partner_id: str, day: str, shard: int) -> Iterator[Entry]:
    with translated():
        for item in EntryItem.by_settlement_day.query(settle_shard_key(partner_id, day, shard)):
            yield to_entry(item)


def period_key(period: str) -> str:
    return f"MONTH#{period}" if len(period) == 7 else f"DAY#{period}"


def get_closed(period: str) -> Settlement | None:
    item = _get(period_key(period), ALL)
    return None if item is None else _to_settlement(period, item)


def get_closed_days(days: list[str]) -> dict[str, Settlement]:
    """The closed ones of `days` (BatchGetItem: one call per 100 days; a statement range is at most 92)."""
    with translated():
        items = SettlementItem.batch_get([(period_key(day), ALL) for day in days], consistent_read=True)
        return {item.period[4:]: _to_settlement(item.period[4:], item) for item in items}


def get_document(period: str) -> str | None:
    item = _get(period_key(period), ALL)
    return None if item is None else item.document


def get_stored(period: str) -> StoredPeriod | None:
    """One GetItem: everything publishing a period needs."""
    item = _get(period_key(period), ALL)
    if item is None:
        return None
    return StoredPeriod(_to_settlement(period, item), item.document, item.published_at)


def mark_published(period: str, published_at: str) -> None:
    """Record that the period's objects are in S3 (the first time wins; a second publisher changes nothing)."""
    item = SettlementItem(period=period_key(period), part=ALL)
    try:
        with translated():
            item.update(
                actions=[SettlementItem.published_at.set(published_at)],
                condition=SettlementItem.period.exists() & SettlementItem.published_at.does_not_exist(),
            )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def save_closed(settlement: Settlement, document: str) -> bool:
    """Store a closed period once; False if it was closed already (by a concurrent close)."""
    item = SettlementItem(
        period=period_key(settlement.period),
        part=ALL,
        document=document,
        currency=settlement.currency,
        point_value=format(settlement.point_value, "f"),
        flows=settlement.flows.to_dict(),
        transfers=[[t.payer, t.payee, t.kind, str(t.amount)] for t in settlement.transfers],
        outstanding=settlement.outstanding,
        outstanding_vouchers=settlement.outstanding_vouchers,
        parties=settlement.parties,
        closed_at=settlement.closed_at,
    )
    try:
        with translated():
            item.save(condition=SettlementItem.period.does_not_exist())
        return True
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def save_part(day: str, shard: int, flows: PointFlows) -> None:
    """One shard's flows (rewritten identically if a message is redelivered)."""
    with translated():
        SettlementItem(period=period_key(day), part=f"PART#{shard:03d}", flows=flows.to_dict()).save()


def parts(day: str) -> dict[int, PointFlows]:
    with translated():
        items = SettlementItem.query(period_key(day), SettlementItem.part.startswith("PART#"), consistent_read=True)
        return {int(item.part[5:]): PointFlows.from_dict(item.flows) for item in items}


def save_effects(day: str, effects: EffectTally) -> None:
    """Each measured campaign's figures of one closed day: (EFFECT#<campaign>, <day>), rewritten identically by a
    close that runs again. A report over a range of days reads them with one Query (services/effect.py)."""
    with translated():
        with SettlementItem.batch_write() as batch:
            for campaign_id, groups in effects.campaigns.items():
                figures = EffectTally({campaign_id: groups}).to_dict()[campaign_id]
                batch.save(SettlementItem(period=f"{EFFECT}{campaign_id}", part=day, flows=figures))


def effect_days(campaign_id: str) -> list[tuple[str, EffectTally]]:
    """The campaign's figures of every closed day it has (its own days only: one Query), by day."""
    with translated():
        items = SettlementItem.query(f"{EFFECT}{campaign_id}")
        return [(item.part, EffectTally.from_dict({campaign_id: item.flows})) for item in items]


def cursor(name: str) -> str | None:
    item = _get(CURSOR, name)
    return None if item is None else item.value


def set_cursor(name: str, value: str, *, only_if_absent: bool = False) -> None:
    item = SettlementItem(period=CURSOR, part=name, value=value)
    try:
        with translated():
            item.save(condition=SettlementItem.part.does_not_exist() if only_if_absent else None)
    except PutError as error:
        if not (only_if_absent and error.cause_response_code == "ConditionalCheckFailedException"):
            raise


def advance_cursor(name: str, value: str) -> None:
    """Move a cursor forward only: a slower writer holding an older value cannot move it back."""
    item = SettlementItem(period=CURSOR, part=name, value=value)
    try:
        with translated():
            item.save(condition=SettlementItem.value.does_not_exist() | (SettlementItem.value < value))
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def _get(period: str, part: str) -> SettlementItem | None:
    with translated():
        try:
            return SettlementItem.get(period, part, consistent_read=True)
        except SettlementItem.DoesNotExist:
            return None


def _to_settlement(period: str, item: SettlementItem) -> Settlement:
    return Settlement(
        period=period,
        currency=item.currency,
        point_value=Decimal(item.point_value),
        flows=PointFlows.from_dict(item.flows),
        outstanding={k: int(v) for k, v in item.outstanding.items()},
        transfers=[Transfer(payer, payee, kind, Decimal(amount)) for payer, payee, kind, amount in item.transfers],
        parties=list(item.parties),
        closed_at=item.closed_at,
        # Periods closed before statements showed voucher lines stored none: read as no open voucher points.
        outstanding_vouchers={k: int(v) for k, v in (item.outstanding_vouchers or {}).items()},
    )
