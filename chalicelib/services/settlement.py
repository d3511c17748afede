"""Closing settlement days and months, and reading statements.

A day D closes once D is over plus a grace longer than any request, so nothing booked on D can still be
in flight. Days close in order (each needs the day before: outstanding liability carries over), from the
settlement epoch (the day the first partner joined). A closed period never changes: it is stored once,
under a condition, and served from storage byte for byte.

What follows the stored close (the closing cursor, the month a last day completes, publication to S3) is
redone by any later close call of that day and by every scheduled run, so a failure there delays it and
loses nothing. Publication walks a cursor (PUBLISHED) from the last published day to the last closed day:
it reads only what is pending.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta, timezone

from aws_lambda_powertools.metrics import MetricUnit

from ..domain.errors import InvalidRequest, NotFound, PublicationFailed, RuleViolation, TransientFailure
from ..domain.settlement import OPERATOR, PointFlows, combine, settle_day
from ..observability import logger, metrics
from ..store import layout
from .line_items import ShardItems
from .operations import Reply
from .programs import current_program
from .publishing import publish_period
from .runtime import Runtime, iso

EPOCH = "EPOCH"
LAST_CLOSED = "LAST_CLOSED"
PUBLISHED = "PUBLISHED"  # every day up to this one, and every month such a day ends, is in S3
PUBLISH_BATCH_DAYS = 31  # days one call publishes at most when catching up: the next run continues


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
    rt.store.settlements.set_cursor(EPOCH, rt.now().date().isoformat(), only_if_absent=True)


def party_ids(rt: Runtime) -> list[str]:
    """Where entries can be booked: every partner ever onboarded, and the operator (expiry, adjustments)."""
    return sorted({p.partner_id for p in rt.store.directory.list_partners()} | {OPERATOR})


# ---- closing --------------------------------------------------------------------------------------------
def close_day(rt: Runtime, day_text: str) -> str:
    """Close one day inline (the operator's endpoint; local runs). Returns the stored document."""
    return close_day_once(rt, day_text).body


def close_day_once(rt: Runtime, day_text: str) -> Reply:
    """The operator's close: the stored document, marked a replay when the day was closed already (it changed
    nothing: neither the ledger nor the audit trail records it again)."""
    day = parse_period(day_text)
    if len(day) != 10:
        raise InvalidRequest("close a day (YYYY-MM-DD); months close with their last day", field="date")
    stored = rt.store.settlements.get_document(day)
    if stored is not None:
        resume_after_close(rt, day)
        return Reply(201, stored, replayed=True)
    check_closable(rt, day)
    return Reply(201, finalize_day(rt, day, aggregate_day(rt, day)))


def resume_after_close(rt: Runtime, day: str) -> None:
    """Redo what follows a stored close, in case it was cut short: the closing cursor (days close in order, so
    every day up to a stored one is closed), the month it ends, publication."""
    last = rt.store.settlements.cursor(LAST_CLOSED)
    if last is None or last < day:
        rt.store.settlements.advance_cursor(LAST_CLOSED, day)
    publish_pending(rt)


def check_closable(rt: Runtime, day: str) -> None:
    epoch = rt.store.settlements.cursor(EPOCH)
    if epoch is None or day < epoch:
        raise RuleViolation(f"nothing to settle on {day}: the coalition's first day is {epoch}", field="date")
    if day >= rt.now().date().isoformat():  # checked first: the end of 9999-12-31 is past the calendar's end
        raise RuleViolation(f"{day} is not over yet", field="date")
    if rt.now() < day_closes_at(rt, day):
        raise RuleViolation(f"{day} can close from {iso(day_closes_at(rt, day))}", field="date")
    previous = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
    if day > epoch and rt.store.settlements.get_document(previous) is None:
        raise RuleViolation(f"close {previous} first: days close in order", field="date")


def day_closes_at(rt: Runtime, day: str) -> datetime:
    midnight = datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(0), tzinfo=timezone.utc)
    return midnight + timedelta(minutes=rt.settings.settlement_grace_minutes)


def aggregate_day(rt: Runtime, day: str) -> PointFlows:
    """Every shard of one day, inline (the parties listed once for all of them)."""
    parties = party_ids(rt)
    flows = PointFlows()
    for shard in layout.settlement_shards():
        flows.merge(aggregate_shard(rt, day, shard, parties))
    return flows


def aggregate_shard(rt: Runtime, day: str, shard: int, parties: list[str]) -> PointFlows:
    """One shard of one day: a Query per party on that day's key, nothing else (and each party's line items of the
    shard written to the statements bucket: services/line_items.py). Each entry adds its points and
    their value at the rate it was booked with; entries booked before entries recorded rates stay unrated here and
    are valued at the close's rates when the day is finalized (finalize_day), as they always were."""
    flows = PointFlows()
    items = ShardItems(rt)
    for party in parties:
        for entry in rt.store.settlements.day_entries(party, day, shard):
            flows.add(entry)
            items.add(entry)
    try:
        items.write(rt, day, shard)
    except (PublicationFailed, TransientFailure) as error:  # publication writes this shard's lines later
        logger.warning("line items pending", extra={"day": day, "shard": shard, "cause": str(error)})
    return flows


def finalize_day(rt: Runtime, day: str, flows: PointFlows) -> str:
    previous = rt.store.settlements.get_closed((date.fromisoformat(day) - timedelta(days=1)).isoformat())
    program = current_program(rt)
    # The rates at the close: the statement's point value, and the value of entries booked before entries
    # recorded the rate they settle at (as every entry was valued then). Every later entry settles at its own.
    fees = {p.partner_id: p.fee_per_point for p in rt.store.directory.list_partners()}
    settlement = settle_day(
        day,
        flows,
        previous.outstanding if previous else {},
        fees,
        program.currency,
        program.point_value,
        iso(rt.now()),
        previous.outstanding_vouchers if previous else {},
    )
    document = json.dumps(settlement.document(), separators=(",", ":"))
    # Before the day is closed: a close that stops in between runs again and rewrites them.
    if flows.effects:
        rt.store.settlements.save_effects(day, flows.effects)
    if flows.member_sales:
        rt.store.sales.save_member_sales(day, flows.member_sales)
    if not rt.store.settlements.save_closed(settlement, document):
        return rt.store.settlements.get_document(day) or document  # a concurrent close stored it first
    rt.store.settlements.advance_cursor(LAST_CLOSED, day)
    metrics.add_metric(name="SettlementEntries", unit=MetricUnit.Count, value=flows.entries)
    logger.info("settlement day closed", extra={"day": day, "entries": flows.entries})
    if ends_month(day):
        close_month(rt, day[:7])
    publish_pending(rt)
    return document


def ends_month(day: str) -> bool:
    return (date.fromisoformat(day) + timedelta(days=1)).day == 1


def close_month(rt: Runtime, month: str) -> None:
    first = date.fromisoformat(f"{month}-01")
    epoch = rt.store.settlements.cursor(EPOCH) or first.isoformat()
    days = []
    day = first
    while day.month == first.month:
        if day.isoformat() >= epoch:
            closed = rt.store.settlements.get_closed(day.isoformat())
            if closed is None:
                return  # not every day is closed: the month is not either
            days.append(closed)
        day += timedelta(days=1)
    if not days:
        return
    settlement = combine(month, days, iso(rt.now()))
    rt.store.settlements.save_closed(settlement, json.dumps(settlement.document(), separators=(",", ":")))


def next_due_day(rt: Runtime) -> str | None:
    """The day after the last closed one (the epoch at first), if its grace has passed."""
    last = rt.store.settlements.cursor(LAST_CLOSED)
    epoch = rt.store.settlements.cursor(EPOCH)
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


# ---- publishing -------------------------------------------------------------------------------------------
def publish_pending(rt: Runtime) -> list[str]:
    """Publish the closed periods not in S3 yet, day by day in order from the PUBLISHED cursor, each day with
    the month it ends. A failure is logged and leaves that day and the ones after it pending for the next
    call; it never fails the close that called. Returns the periods published."""
    published: list[str] = []
    for day in unpublished_days(rt):
        try:
            published += _publish_day(rt, day)
            rt.store.settlements.advance_cursor(PUBLISHED, day)
        except (PublicationFailed, TransientFailure) as error:
            metrics.add_metric(name="SettlementPublicationFailures", unit=MetricUnit.Count, value=1)
            logger.warning("settlement publication pending", extra={"day": day, "cause": str(error)})
            break
    return published


def unpublished_days(rt: Runtime) -> list[str]:
    """The closed days after the PUBLISHED cursor (from the epoch at first), at most PUBLISH_BATCH_DAYS."""
    last = rt.store.settlements.cursor(LAST_CLOSED)
    if last is None:
        return []
    published = rt.store.settlements.cursor(PUBLISHED)
    if published is None:
        first = date.fromisoformat(rt.store.settlements.cursor(EPOCH) or last)
    else:
        first = date.fromisoformat(published) + timedelta(days=1)
    pending = (date.fromisoformat(last) - first).days + 1
    return [(first + timedelta(days=n)).isoformat() for n in range(min(max(pending, 0), PUBLISH_BATCH_DAYS))]


def _publish_day(rt: Runtime, day: str) -> list[str]:
    periods = [day]
    if ends_month(day):
        month = day[:7]
        if rt.store.settlements.get_document(month) is None:
            close_month(rt, month)  # the close of this last day stopped before its month: finish it now
        periods.append(month)
    return [period for period in periods if publish_period(rt, period)]


# ---- reading ----------------------------------------------------------------------------------------------
def operator_view(rt: Runtime, period_text: str) -> str:
    period = parse_period(period_text)
    document = rt.store.settlements.get_document(period)
    if document is None:
        raise NotFound(f"{period} is not closed")
    return document
