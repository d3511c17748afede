"""Where webhook events come from, none of them on a request path:

- the ledger table's stream (the outbox: an entry is in it once its booking committed): voucher.spent,
  reversal.booked, tier.changed, decided by `domain.webhooks.events_of_entry` from the new entry alone;
- the hourly settlement schedule: settlement.closed for each closed day after the WEBHOOKS_NOTIFIED cursor;
- a daily job over the members' `expiries_due` index: points.expiring, once per (member, expiry date, issuer).

Every event id is stable, so a stream batch or a job shard that runs twice sends the same events again (at least
once), and receivers dedupe by `event_id`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ..domain.webhooks import Event, events_of_entry, expiring_events, settlement_events
from ..observability import logger
from ..services.runtime import Runtime, iso
from ..services.settlement import EPOCH, LAST_CLOSED
from ..services.webhook_events import deliveries_of
from ..store.layout import DueIndex, due_shards
from ..store.ledger import to_entry
from ..store.models import EntryItem
from . import webhook_queue

EXPIRING = "webhook-expiring"
EXPIRING_WITHIN_DAYS = 30
NOTIFIED = "WEBHOOKS_NOTIFIED"  # settlement cursor: every closed day up to it was announced
NOTIFY_BATCH_DAYS = 31


# ---- the ledger stream --------------------------------------------------------------------------------------
def from_stream(rt: Runtime, new_images: list[dict[str, Any]]) -> int:
    """New ledger items (the stream's NewImage, DynamoDB-typed) -> deliveries queued. Entries are never updated,
    so only inserts carry news."""
    events: list[Event] = []
    for image in new_images:
        events += events_of_entry(to_entry(EntryItem.from_raw_data(image)))
    return webhook_queue.send(rt, deliveries_of(rt, events))


# ---- settlement.closed --------------------------------------------------------------------------------------
def notify_closed_days(rt: Runtime) -> list[str]:
    """Announce the closed days after the NOTIFIED cursor, in order; a failure leaves the rest for the next run."""
    store = rt.store.settlements
    last = store.cursor(LAST_CLOSED)
    if last is None:
        return []
    notified = store.cursor(NOTIFIED)
    first = date.fromisoformat(store.cursor(EPOCH) or last) if notified is None else date.fromisoformat(notified)
    if notified is not None:
        first += timedelta(days=1)
    days = [(first + timedelta(days=n)).isoformat() for n in range((date.fromisoformat(last) - first).days + 1)]
    done: list[str] = []
    for day in days[:NOTIFY_BATCH_DAYS]:
        settlement = store.get_closed(day)
        if settlement is not None:
            statements = {party: settlement.statement(party) for party in settlement.parties}
            webhook_queue.send(rt, deliveries_of(rt, settlement_events(day, settlement.closed_at, statements)))
        store.advance_cursor(NOTIFIED, day)
        done.append(day)
    if done:
        logger.info("settlement days announced to webhooks", extra={"days": done})
    return done


# ---- points.expiring ----------------------------------------------------------------------------------------
def expiring_shards(rt: Runtime) -> list[str]:
    return due_shards(DueIndex.EXPIRY)


def expiring_shard(rt: Runtime, shard: str, as_of: date) -> int:
    """Members on `shard` with a lot ending within 30 days (the index's next_expiry: one Query), who consented to
    hear from us on some channel: each issuer of those lots told once per (member, expiry date)."""
    last = as_of + timedelta(days=EXPIRING_WITHIN_DAYS)
    sent = 0
    for member_id in rt.store.wallets.expiries_due(shard, (last + timedelta(days=1)).isoformat()):
        wallet = rt.store.wallets.load(member_id)
        if wallet is None or not any(c.given for c in wallet.profile.consents.values()):
            continue
        events = expiring_events(member_id, wallet.lots, as_of.isoformat(), last.isoformat(), iso(rt.now()))
        fresh = [e for e in events if not rt.store.webhooks.notice_sent(e.event_id)]
        sent += webhook_queue.send(rt, deliveries_of(rt, fresh))
        for event in fresh:  # after sending: a crash in between sends again (at least once), never loses one
            rt.store.webhooks.record_notice(event.event_id, iso(rt.now()))
    return sent
