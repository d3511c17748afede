"""Partner webhooks: the endpoints a partner registers, the events they receive, and how a delivery is signed.

Pure: no AWS, no HTTP. Who receives which event is decided here from what happened (a ledger entry, a closed
day, points about to expire); services/webhook_events.py finds the subscriptions, jobs/webhook_delivery.py posts.

An event's body is fixed once built (`Event.body`): the bytes signed are the bytes sent, on every attempt, and
`event_id` is stable (built from the ledger entry, the day or the lot), so a receiver dedupes redeliveries by it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from .errors import IdempotencyConflict, InvalidRequest, NotFound, RuleViolation
from .ledger import Entry
from .movements import EntryType

MAX_WEBHOOKS = 10  # per partner: its endpoints live in one item, read with one GetItem
SIGNATURE_HEADER = "X-Coalition-Signature"
EVENT_HEADER = "X-Coalition-Event"
DELIVERY_HEADER = "X-Coalition-Delivery"
# The local stage lets a receiver on the loopback take plain HTTP (make run, tests); nowhere else.
LOCAL_RECEIVER = re.compile(r"^http://127\.0\.0\.1:[0-9]{1,5}(/[^\s]*)?$")


class EventType(StrEnum):
    SETTLEMENT_CLOSED = "settlement.closed"
    TIER_CHANGED = "tier.changed"
    POINTS_EXPIRING = "points.expiring"
    VOUCHER_SPENT = "voucher.spent"
    REVERSAL_BOOKED = "reversal.booked"


@dataclass(frozen=True)
class Webhook:
    webhook_id: str
    url: str
    events: tuple[EventType, ...]
    secret: str  # never answered, never logged
    created_at: str

    def public(self) -> dict[str, Any]:
        return {
            "webhook_id": self.webhook_id,
            "url": self.url,
            "events": [e.value for e in self.events],
            "created_at": self.created_at,
        }

    def same_registration(self, other: Webhook) -> bool:
        """What an idempotent replay compares: everything the partner sent."""
        return (self.url, set(self.events), self.secret) == (other.url, set(other.events), other.secret)


@dataclass(frozen=True)
class PartnerWebhooks:
    """A partner's endpoints (at most MAX_WEBHOOKS), written over the version they were read at."""

    partner_id: str
    webhooks: tuple[Webhook, ...] = ()
    version: int = 0  # 0: never written

    def find(self, webhook_id: str) -> Webhook | None:
        return next((w for w in self.webhooks if w.webhook_id == webhook_id), None)

    def registered(self, webhook: Webhook) -> tuple[PartnerWebhooks, Webhook]:
        """With `webhook` added; a replay (same id, same registration) answers the first one and changes nothing."""
        known = self.find(webhook.webhook_id)
        if known is not None:
            if not known.same_registration(webhook):
                raise IdempotencyConflict(f"webhook {webhook.webhook_id} was registered with another body")
            return self, known
        if len(self.webhooks) >= MAX_WEBHOOKS:
            raise RuleViolation(f"a partner has at most {MAX_WEBHOOKS} webhooks: delete one first", field="webhook_id")
        return replace(self, webhooks=(*self.webhooks, webhook)), webhook

    def without(self, webhook_id: str) -> PartnerWebhooks:
        if self.find(webhook_id) is None:
            raise NotFound(f"no webhook {webhook_id}")
        return replace(self, webhooks=tuple(w for w in self.webhooks if w.webhook_id != webhook_id))

    def subscribed(self, event_type: EventType) -> list[Webhook]:
        return [w for w in self.webhooks if event_type in w.events]


def check_url(url: str, *, local: bool) -> None:
    """https only (a secret and member ids travel in the body); the local stage also takes a loopback receiver."""
    if local and LOCAL_RECEIVER.fullmatch(url):
        return
    parts = urlsplit(url)
    if (
        parts.scheme != "https"
        or not parts.hostname
        or parts.username
        or parts.password
        or any(c.isspace() for c in url)
    ):
        raise InvalidRequest("url must be an https:// URL with a host (and no credentials)", field="url")
    if not public_host(parts.hostname):
        raise InvalidRequest(
            "url must name a public host (not localhost, nor a private or reserved address)", field="url"
        )


def public_host(host: str) -> bool:
    """Not a name or address of our own network: a webhook must not make our Lambda call the instance metadata
    service, localhost or a private network (server-side request forgery). A name is checked again when delivering,
    on the addresses it resolves to."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith((".localhost", ".internal", ".local")):
        return False
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return True  # a name: its addresses are checked when delivering
    return address.is_global


def sign(secret: str, body: bytes) -> str:
    """The X-Coalition-Signature value: `sha256=` and the hex HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(sign(secret, body), header)


@dataclass(frozen=True)
class Event:
    """One event for one recipient partner."""

    event_id: str
    type: EventType
    occurred_at: str
    partner_id: str  # the recipient
    data: dict[str, Any] = field(default_factory=dict)

    def to(self, partner_id: str) -> Event:
        """A coalition-wide event (no recipient yet) addressed to one partner; its id names the recipient too."""
        assert self.partner_id == ""
        return replace(self, partner_id=partner_id, event_id=self.event_id + partner_id)

    @property
    def body(self) -> str:
        document = {
            "event_id": self.event_id,
            "type": self.type.value,
            "occurred_at": self.occurred_at,
            "partner_id": self.partner_id,
            "data": self.data,
        }
        return json.dumps(document, separators=(",", ":"), sort_keys=True)


# ---- who hears of what --------------------------------------------------------------------------------------
def events_of_entry(entry: Entry) -> list[Event]:
    """The events a ledger entry makes, one per recipient (the stream consumer's whole decision). Entries of other
    types make none. A tier decision is coalition-wide news: its recipient is left empty ("") and means every
    partner subscribed to tier.changed (services/webhook_events.py fills it in)."""
    if entry.type is EntryType.TIER:
        line = (entry.breakdown or [{}])[0]
        if entry.from_tier is None or line.get("tier") == entry.from_tier:
            return []  # a tier kept is no change (and entries booked before from_tier was recorded: unknown)
        data = {"member_id": entry.member_id, "from_tier": entry.from_tier, "to_tier": line.get("tier"),
                "rule": line.get("rule")}  # fmt: skip
        return [_event(entry, EventType.TIER_CHANGED, "", data)]
    if entry.type is EntryType.VOUCHER_SPEND:
        data = {**_movement(entry), "value": _money(entry.values), "bonus": _money(entry.bonuses)}
        recipients = _unique([entry.partner_id, *_issuers(entry), *entry.bonuses])
        return [_event(entry, EventType.VOUCHER_SPENT, partner, data) for partner in recipients]
    if entry.type is EntryType.REVERSAL:
        data = {**_movement(entry), "reversed_by": entry.partner_id}
        recipients = _unique([entry.partner_id, *_issuers(entry)])
        return [_event(entry, EventType.REVERSAL_BOOKED, partner, data) for partner in recipients]
    return []


def settlement_events(period: str, closed_at: str, statements: dict[str, dict[str, Any]]) -> list[Event]:
    """One settlement.closed per partner with a statement that day (the operator is no partner)."""
    return [
        Event(
            f"settlement.closed:{period}:{partner}",
            EventType.SETTLEMENT_CLOSED,
            closed_at,
            partner,
            {
                "period": period,
                "net": statement.get("net"),
                "currency": statement.get("currency"),
                "statement": f"/v1/settlements/{period}",
            },
        )
        for partner, statement in sorted(statements.items())
        if partner != "operator"
    ]


def expiring_events(member_id: str, lots: dict[tuple[str, str], int], first: str, last: str, at: str) -> list[Event]:
    """points.expiring to each issuer of the member's lots ending from `first` to `last` (ISO dates), one event per
    (member, expiry date, issuer): what the job records as notified so it is sent once."""
    return [
        Event(
            f"points.expiring:{member_id}:{expires_on}:{issuer}",
            EventType.POINTS_EXPIRING,
            at,
            issuer,
            {"member_id": member_id, "expires_on": expires_on, "points": points},
        )
        for (expires_on, issuer), points in sorted(lots.items())
        if first <= expires_on <= last and points > 0 and issuer != "operator"
    ]


def _event(entry: Entry, type: EventType, recipient: str, data: dict[str, Any]) -> Event:
    # The entry id is unique and never reused: with the recipient it names the event across redeliveries.
    return Event(f"{entry.entry_id}:{recipient}", type, entry.booked_at, recipient, data)


def _movement(entry: Entry) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "member_id": entry.member_id,
        "partner_id": entry.partner_id,
        "reference": entry.reference,
        "points": entry.points,
        "by_issuer": {p: n for p, n in _points_by_issuer(entry).items()},
    }


def _points_by_issuer(entry: Entry) -> dict[str, int]:
    totals: dict[str, int] = {}
    for portion in entry.attribution:
        totals[portion.issuer] = totals.get(portion.issuer, 0) + portion.points
    return totals


def _issuers(entry: Entry) -> list[str]:
    return [issuer for issuer in _points_by_issuer(entry) if issuer != "operator"]


def _money(amounts: dict[str, Any]) -> dict[str, str]:
    return {party: format(amount, "f") for party, amount in sorted(amounts.items())}


def _unique(parties: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(p for p in parties if p and p != "operator"))


# ---- deliveries ---------------------------------------------------------------------------------------------
MAX_ATTEMPTS = 8  # then the delivery goes to the dead-letter queue (about 45 minutes of trying)
MAX_DELAY_SECONDS = 900  # SQS's longest DelaySeconds


def backoff_seconds(attempt: int) -> int:
    """How long to wait after failed attempt number `attempt` (0 = the first): 30 s, 60 s, 120 s … 15 min."""
    return min(MAX_DELAY_SECONDS, 30 << min(attempt, 10))  # (a shift stays an int for mypy)


@dataclass(frozen=True)
class Delivery:
    """One event to one endpoint, as the webhooks queue carries it. No secret travels: the consumer reads the
    endpoint when it posts, so a deleted endpoint (or a changed secret) takes effect on queued deliveries too."""

    partner_id: str
    webhook_id: str
    event_id: str
    event_type: EventType
    body: str  # the exact bytes signed and sent, on every attempt
    attempt: int = 0

    def message(self) -> str:
        return json.dumps(
            {
                "partner_id": self.partner_id,
                "webhook_id": self.webhook_id,
                "event_id": self.event_id,
                "event_type": self.event_type.value,
                "body": self.body,
                "attempt": self.attempt,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_message(cls, text: str) -> Delivery:
        raw = json.loads(text)
        return cls(
            raw["partner_id"], raw["webhook_id"], raw["event_id"], EventType(raw["event_type"]), raw["body"],
            int(raw.get("attempt", 0)),
        )  # fmt: skip

    def retried(self) -> Delivery:
        return replace(self, attempt=self.attempt + 1)


def deliveries(event: Event, webhooks: PartnerWebhooks) -> list[Delivery]:
    """The event to each of its recipient's endpoints subscribed to its type."""
    return [
        Delivery(event.partner_id, w.webhook_id, event.event_id, event.type, event.body)
        for w in webhooks.subscribed(event.type)
    ]
