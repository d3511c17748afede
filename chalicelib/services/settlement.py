"""Closing settlement days and months, and reading statements.

A day D closes once D is over plus a grace longer than any request, so nothing booked on D can still be
in flight. Days close in order (each needs the day before: outstanding liability carries over), from the
settlement epoch (the day the first partner joined). A closed period never changes: it is stored once,
under a condition, and served from storage byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit

from ..domain.errors import InvalidRequest, NotFound, RuleViolation
from ..domain.settlement import OPERATOR, PointFlows, Settlement, combine, settle_day
from ..observability import logger, metrics
from ..store import directory, settlements
from .programs import current_program
from .runtime import Runtime, iso

EPOCH = "EPOCH"
LAST_CLOSED = "LAST_CLOSED"


# ASCII digits only: strptime's %Y accepts "２０２６", which date.fromisoformat() and the stored keys do not.
PERIOD = re.compile(r"[0-9]{4}-[0-9]{2}(-[0-9]{2})?")


def parse_period(text: str) -> str:
    """A day (YYYY-MM-DD) or a month (YYYY-MM), as given; anything else is a 400."""
    pattern = {10: "%Y-%m-%d", 7: "%Y-%m"}.get(len(text))
    try:
        if pattern is not None and PERIOD.fullmatch(text) and datetime.strptime(text, pattern):
            return text
    except ValueError:
        pass
    raise InvalidRequest(f"{text!r} is not a period: use YYYY-MM-DD or YYYY-MM", field="period")


def mark_epoch(rt: Runtime) -> None:
    """The first partner's day is the first day there can be anything to settle."""
    settlements.set_cursor(EPOCH, rt.now().date().isoformat(), only_if_absent=True)


def party_ids() -> list[str]:
    """Where entries can be booked: every partner ever onboarded, and the operator (expiry, adjustments)."""
    return sorted({p.partner_id for p in directory.list_partners()} | {OPERATOR})


# ---- closing --------------------------------------------------------------------------------------------
def close_day(rt: Runtime, day_text: str) -> str:
    """Close one day inline (the operator's endpoint; local runs). Returns the stored document."""
    day = parse_period(day_text)
    if len(day) != 10:
        raise InvalidRequest("close a day (YYYY-MM-DD); months close with their last day", field="date")
    stored = settlements.get_document(day)
    if stored is not None:
        return stored
    check_closable(rt, day)
    return finalize_day(rt, day, aggregate_day(rt, day))


def check_closable(rt: Runtime, day: str) -> None:
    epoch = settlements.cursor(EPOCH)
    if epoch is None or day < epoch:
        raise RuleViolation(f"nothing to settle on {day}: the coalition's first day is {epoch}", field="date")
    if rt.now() < day_closes_at(rt, day):
        raise RuleViolation(f"{day} can close from {iso(day_closes_at(rt, day))}", field="date")
    previous = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
    if day > epoch and settlements.get_document(previous) is None:
        raise RuleViolation(f"close {previous} first: days close in order", field="date")


def day_closes_at(rt: Runtime, day: str) -> datetime:
    midnight = datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(0), tzinfo=timezone.utc)
    return midnight + timedelta(minutes=rt.settings.settlement_grace_minutes)


def aggregate_day(rt: Runtime, day: str) -> PointFlows:
    """Every shard of one day, inline (the parties listed once for all of them)."""
    parties = party_ids()
    flows = PointFlows()
    for shard in range(rt.settings.settlement_shards):
        flows.merge(aggregate_shard(day, shard, parties))
    return flows


def aggregate_shard(day: str, shard: int, parties: list[str]) -> PointFlows:
    """One shard of one day: a Query per party on that day's key, nothing else."""
    flows = PointFlows()
    for party in parties:
        for entry in settlements.day_entries(party, day, shard):
            flows.add(entry)
    return flows


def finalize_day(rt: Runtime, day: str, flows: PointFlows) -> str:
    previous = settlements.get_closed((date.fromisoformat(day) - timedelta(days=1)).isoformat())
    program = current_program(rt)
    fees = {p.partner_id: p.fee_per_point for p in directory.list_partners()}
    settlement = settle_day(
        day,
        flows,
        previous.outstanding if previous else {},
        fees,
        program.currency,
        program.point_value,
        iso(rt.now()),
    )
    document = json.dumps(settlement.document(), separators=(",", ":"))
    if not settlements.save_closed(settlement, document):
        return settlements.get_document(day) or document  # a concurrent close stored it first
    settlements.set_cursor(LAST_CLOSED, day)
    publish(rt, settlement, document)
    metrics.add_metric(name="SettlementEntries", unit=MetricUnit.Count, value=flows.entries)
    logger.info("settlement day closed", extra={"day": day, "entries": flows.entries})
    following = date.fromisoformat(day) + timedelta(days=1)
    if following.day == 1:
        close_month(rt, day[:7])
    return document


def close_month(rt: Runtime, month: str) -> None:
    first = date.fromisoformat(f"{month}-01")
    epoch = settlements.cursor(EPOCH) or first.isoformat()
    days = []
    day = first
    while day.month == first.month:
        if day.isoformat() >= epoch:
            closed = settlements.get_closed(day.isoformat())
            if closed is None:
                return  # not every day is closed: the month is not either
            days.append(closed)
        day += timedelta(days=1)
    if not days:
        return
    settlement = combine(month, days, iso(rt.now()))
    document = json.dumps(settlement.document(), separators=(",", ":"))
    if settlements.save_closed(settlement, document):
        publish(rt, settlement, document)


def next_due_day(rt: Runtime) -> str | None:
    """The day after the last closed one (the epoch at first), if its grace has passed."""
    last = settlements.cursor(LAST_CLOSED)
    epoch = settlements.cursor(EPOCH)
    if epoch is None:
        return None
    day = (date.fromisoformat(last) + timedelta(days=1)).isoformat() if last else epoch
    return day if rt.now() >= day_closes_at(rt, day) else None


def close_due_days(rt: Runtime) -> list[str]:
    """The schedule without a queue: close every day that is due, in order (catches up missed runs)."""
    closed: list[str] = []
    while (day := next_due_day(rt)) is not None:
        close_day(rt, day)
        closed.append(day)
    return closed


# ---- reading ----------------------------------------------------------------------------------------------
def operator_view(period_text: str) -> str:
    period = parse_period(period_text)
    document = settlements.get_document(period)
    if document is None:
        raise NotFound(f"{period} is not closed")
    return document


def partner_statement(partner_id: str, period_text: str) -> dict[str, Any]:
    period = parse_period(period_text)
    settlement = settlements.get_closed(period)
    if settlement is None:
        raise NotFound(f"{period} is not closed")
    return settlement.statement(partner_id)


def statement_csv(statement: dict[str, Any]) -> str:
    """One `field,value` row per figure; maps flattened as field.key — the same figures as the JSON."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["field", "value"])
    for field, value in statement.items():
        if isinstance(value, dict):
            for key, inner in value.items():
                writer.writerow([f"{field}.{key}", inner])
        else:
            writer.writerow([field, value])
    return out.getvalue()


def publish(rt: Runtime, settlement: Settlement, document: str) -> None:
    """JSON and CSV objects in S3: the operator's document, and each party's own statement."""
    s3 = boto3.client("s3", region_name=rt.settings.region)
    bucket = rt.settings.statements_bucket
    prefix = f"settlements/{settlement.period}"
    s3.put_object(Bucket=bucket, Key=f"{prefix}/all.json", Body=document.encode(), ContentType="application/json")
    for party in settlement.parties:
        statement = settlement.statement(party)
        s3.put_object(
            Bucket=bucket,
            Key=f"{prefix}/{party}.json",
            ContentType="application/json",
            Body=json.dumps(statement, separators=(",", ":")).encode(),
        )
        s3.put_object(
            Bucket=bucket, Key=f"{prefix}/{party}.csv", ContentType="text/csv", Body=statement_csv(statement).encode()
        )
