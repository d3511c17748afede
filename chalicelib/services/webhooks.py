"""A partner's webhook endpoints: register (idempotent per webhook id), list, delete; and the cached lookups the
delivery side reads (never the request path of purchases or redemptions)."""

from __future__ import annotations

from ..domain.errors import ConcurrencyConflict, RetryLater
from ..domain.webhooks import EventType, PartnerWebhooks, Webhook, check_url
from .requests import WebhookRequest
from .runtime import Runtime, iso

SAVE_ATTEMPTS = 5  # two registrations of one partner at once: the loser re-reads (10 endpoints at most: rare)


def register_webhook(rt: Runtime, partner_id: str, body: WebhookRequest) -> tuple[Webhook, bool]:
    """The endpoint registered (or, for a replay of the same body, the first registration) and whether this call
    created it."""
    check_url(body.url, local=rt.settings.is_local)
    wanted = Webhook(body.webhook_id, body.url, tuple(EventType(e) for e in body.events), body.secret, iso(rt.now()))
    for _ in range(SAVE_ATTEMPTS):
        current = rt.store.webhooks.get(partner_id, consistent=True)
        changed, webhook = current.registered(wanted)
        if changed is current:
            return webhook, False
        try:
            rt.store.webhooks.save(changed)
        except ConcurrencyConflict:
            continue
        forget(rt, partner_id)
        return webhook, True
    raise RetryLater("the partner's webhooks changed meanwhile; retry")


def list_webhooks(rt: Runtime, partner_id: str) -> list[Webhook]:
    return list(rt.store.webhooks.get(partner_id, consistent=True).webhooks)


def delete_webhook(rt: Runtime, partner_id: str, webhook_id: str) -> None:
    """NotFound when this partner has no such endpoint (another partner's id included)."""
    for _ in range(SAVE_ATTEMPTS):
        current = rt.store.webhooks.get(partner_id, consistent=True)
        try:
            rt.store.webhooks.save(current.without(webhook_id))
        except ConcurrencyConflict:
            continue
        forget(rt, partner_id)
        return
    raise RetryLater("the partner's webhooks changed meanwhile; retry")


# ---- what the delivery side reads (cached like partner profiles: config_cache_seconds) -----------------------
def subscriptions(rt: Runtime, partner_id: str) -> PartnerWebhooks:
    return rt.cache.get(f"webhooks:{partner_id}", lambda: rt.store.webhooks.get(partner_id))


def every_subscription(rt: Runtime) -> list[PartnerWebhooks]:
    """Every partner's endpoints (for coalition-wide events): one Query, cached."""
    return rt.cache.get("webhooks:*", rt.store.webhooks.all)


def forget(rt: Runtime, partner_id: str) -> None:
    """This container sees a change at once; others within config_cache_seconds."""
    rt.cache.forget(f"webhooks:{partner_id}")
    rt.cache.forget("webhooks:*")
