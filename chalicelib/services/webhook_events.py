"""From events to deliveries: who is subscribed (cached per partner, like partner profiles) and to which endpoints."""

from __future__ import annotations

from collections.abc import Iterable

from ..domain.webhooks import Delivery, Event, deliveries
from .runtime import Runtime
from .webhooks import every_subscription, subscriptions


def deliveries_of(rt: Runtime, events: Iterable[Event]) -> list[Delivery]:
    """Each event to its recipient's subscribed endpoints; a coalition-wide event (no recipient: tier.changed) to
    every partner subscribed to its type. A partner with no endpoint for the type gets nothing."""
    found: list[Delivery] = []
    for event in events:
        if event.partner_id:
            found += deliveries(event, subscriptions(rt, event.partner_id))
            continue
        for partner in every_subscription(rt):
            if partner.subscribed(event.type):
                found += deliveries(event.to(partner.partner_id), partner)
    return found
