"""Posting one delivery to its endpoint: signed, no redirects followed, a short timeout; a failure comes back later
with a longer delay (backoff), and after MAX_ATTEMPTS it is parked in the dead-letter queue.

At least once: the message is only consumed once the post succeeded, was re-queued, or was parked; if any of that
fails the invocation fails and SQS redelivers the message (its redrive policy parks it after repeated crashes).
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from enum import StrEnum
from urllib.parse import urlsplit

from ..domain.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    MAX_ATTEMPTS,
    SIGNATURE_HEADER,
    Delivery,
    backoff_seconds,
    sign,
)
from ..observability import logger
from ..services.runtime import Runtime
from ..services.webhooks import subscriptions
from . import webhook_queue

TIMEOUT_SECONDS = 5  # a slow receiver costs us a Lambda second per delivery: it gets retried instead

Post = Callable[[str, bytes, dict[str, str]], int | None]  # url, body, headers -> HTTP status (None: no answer)


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRYING = "retrying"
    PARKED = "parked"
    DROPPED = "dropped"  # the endpoint was deleted, or no longer takes this event


def deliver(rt: Runtime, message: str, post: Post | None = None) -> Outcome:
    delivery = Delivery.from_message(message)
    webhook = subscriptions(rt, delivery.partner_id).find(delivery.webhook_id)
    where = {"partner_id": delivery.partner_id, "webhook_id": delivery.webhook_id, "event_id": delivery.event_id}
    if webhook is None or delivery.event_type not in webhook.events:
        logger.info("webhook delivery dropped: endpoint gone", extra=where)
        return Outcome.DROPPED
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(webhook.secret, body),
        EVENT_HEADER: delivery.event_type.value,
        DELIVERY_HEADER: delivery.event_id,
        "User-Agent": "coalition-webhooks/1",
    }
    host = urlsplit(webhook.url).hostname or ""
    if post is None and not rt.settings.is_local and not resolves_publicly(host):
        status = None  # a name that resolves to our own network now: not posted, retried, then parked
        logger.warning("webhook host does not resolve to public addresses", extra={**where, "host": host})
    else:
        status = (post or post_once)(webhook.url, body, headers)
    if status is not None and 200 <= status < 300:
        logger.info("webhook delivered", extra={**where, "attempt": delivery.attempt})
        return Outcome.DELIVERED
    if delivery.attempt + 1 >= MAX_ATTEMPTS:
        webhook_queue.park(rt, delivery, f"{MAX_ATTEMPTS} attempts failed; last status {status}")
        logger.warning("webhook delivery parked in the dead-letter queue", extra={**where, "status": status})
        return Outcome.PARKED
    delay = backoff_seconds(delivery.attempt)
    webhook_queue.send_later(rt, delivery.retried(), delay)
    logger.info("webhook delivery failed: retrying", extra={**where, "status": status, "delay": delay})
    return Outcome.RETRYING


def resolves_publicly(host: str) -> bool:
    """Every address `host` resolves to is a public one (False if it does not resolve)."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(str(a).split("%")[0]).is_global for a in addresses)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed delivery: following it could send the signed body to a host the partner never named."""

    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def post_once(url: str, body: bytes, headers: dict[str, str]) -> int | None:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx, 5xx: the receiver answered
        return int(error.code)
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError):  # no answer at all
        return None
