"""Partners' webhook endpoints (one item per partner, versioned) and the notices sent once (store/models.py)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from pynamodb.exceptions import PutError

from ..domain.errors import ConcurrencyConflict
from ..domain.webhooks import EventType, PartnerWebhooks, Webhook
from .errors import get_or_none, translated
from .models import NoticeItem, WebhooksItem

NOTICE_DAYS = 40  # a notice outlives the expiry it announced (at most 30 days ahead)


def webhooks_pk(partner_id: str) -> str:
    return f"WEBHOOKS#{partner_id}"


def get_webhooks(partner_id: str, *, consistent: bool = False) -> PartnerWebhooks:
    """The partner's endpoints (none yet: an empty list at version 0)."""
    with translated():
        item = get_or_none(WebhooksItem, webhooks_pk(partner_id), consistent_read=consistent)
    return PartnerWebhooks(partner_id) if item is None else _to_webhooks(item)


def save_webhooks(webhooks: PartnerWebhooks) -> None:
    """Over the version read (pynamodb's condition `version = read`, or absent at 0). ConcurrencyConflict: re-read."""
    item = WebhooksItem(
        pk=webhooks_pk(webhooks.partner_id),
        partner_id=webhooks.partner_id,
        endpoints=[_raw(w) for w in webhooks.webhooks],
    )
    if webhooks.version:  # unset: the condition is `version` absent (a first registration)
        item.version = webhooks.version
    try:
        with translated():
            item.save()
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise ConcurrencyConflict() from error
        raise


def all_webhooks() -> list[PartnerWebhooks]:
    """Every partner's endpoints: one Query of the listings index (partners × at most 10 endpoints)."""
    with translated():
        return [_to_webhooks(item) for item in WebhooksItem.webhooks.query("webhooks")]


def notice_sent(event_id: str) -> bool:
    with translated():
        return get_or_none(NoticeItem, f"NOTICE#{event_id}") is not None


def record_notice(event_id: str, sent_at: str) -> None:
    until = datetime.combine(date.fromisoformat(sent_at[:10]) + timedelta(days=NOTICE_DAYS), time(), timezone.utc)
    with translated():
        NoticeItem(pk=f"NOTICE#{event_id}", sent_at=sent_at, expires_ttl=int(until.timestamp())).save()


def _raw(webhook: Webhook) -> dict[str, Any]:
    return {
        "webhook_id": webhook.webhook_id,
        "url": webhook.url,
        "events": [e.value for e in webhook.events],
        "secret": webhook.secret,
        "created_at": webhook.created_at,
    }


def _to_webhooks(item: WebhooksItem) -> PartnerWebhooks:
    endpoints = tuple(
        Webhook(
            raw["webhook_id"], raw["url"], tuple(EventType(e) for e in raw["events"]), raw["secret"], raw["created_at"]
        )
        for raw in item.endpoints or []
    )
    return PartnerWebhooks(item.partner_id, endpoints, int(item.version or 0))
