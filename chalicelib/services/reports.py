"""GET /v1/reports/summary: a partner's KPIs over a date range.

Reads the partner's own entries of each day in the range through the day index (never another partner's,
never older days), then the wallets of the members it served (BatchGetItem, 100 at a time) for their
month-by-month activity elsewhere. Cross-brand reach is therefore measured by calendar month.

Sales KPIs (domain/kpis.py has the definitions) come from the sale each purchase's `earn` entry and each return entry
carry (amount, store, channel, when it happened), by store and by channel, and for the previous period of equal length
(its days read the same way). Cost: one Query per day and settlement shard of both periods (at most 2 × 92 × 16),
plus the wallets' BatchGetItem: bounded by the period, never by the partner's history.

`points_redeemed` is net of reversals: points spent at this partner minus those it gave back in the range
(`points_reversed`), so a cancelled purchase paid with points does not count as redeemed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from ..domain.errors import InvalidRequest
from ..domain.kpis import (
    LOYALTY_RATE_DEFINITION,
    TENTH,
    SaleLine,
    SalesFigures,
    Slice,
    change,
    money,
    percent_change,
    ratio,
    sales_figures,
)
from ..domain.ledger import Entry
from ..domain.movements import Liability, movement
from ..domain.tiers import month_key
from ..store import layout
from . import settlement
from .auth import partner_profile
from .runtime import Runtime

MAX_DAYS = 92


def summary(rt: Runtime, partner_id: str, start_text: str | None, end_text: str | None) -> dict[str, Any]:
    start, end = _range(start_text, end_text)
    purchases: Counter[str] = Counter()
    served: set[str] = set()
    issued = redeemed = reversed_points = 0
    days = _days(start, end)
    sales: list[SaleLine] = []
    for entry in _entries(rt, partner_id, days):
        served.add(entry.member_id)
        declared = movement(entry.type)
        if declared.counts_purchase:
            purchases[entry.member_id] += 1
        if declared.liability is Liability.ISSUES:
            issued += sum(p.points for p in entry.attribution if p.issuer == partner_id)
        elif declared.liability is Liability.SPENDS:
            redeemed += -entry.points
        elif declared.liability is Liability.GIVES_BACK:
            reversed_points += entry.points
        sales += _sale_line(entry, declared.counts_purchase)

    months = {month_key(day) for day in days}
    wallets = rt.store.wallets.load_many(sorted(served))
    elsewhere = sum(1 for wallet in wallets if _active_elsewhere(wallet, partner_id, months))
    enrolled_here = Counter(w.enrolled_channel or "unknown" for w in wallets if w.enrolled_by == partner_id)
    buyers = len(purchases)
    last_closed = rt.store.settlements.cursor(settlement.LAST_CLOSED)
    closed = rt.store.settlements.get_closed(last_closed) if last_closed else None
    # The previous period of equal length, ending the day before `from`: its sales only (no wallets read).
    length = len(days)
    before = (
        _days(start - timedelta(days=length), start - timedelta(days=1)) if start > date.min + timedelta(length) else []
    )
    previous = sales_figures([line for entry in _entries(rt, partner_id, before) for line in _sale_line(entry)])
    current = sales_figures(sales)
    return {
        "partner_id": partner_id,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "points_issued": issued,
        "points_redeemed": redeemed - reversed_points,
        "points_reversed": reversed_points,
        "outstanding_points": (closed.outstanding.get(partner_id, 0) if closed else 0),
        "outstanding_as_of": last_closed,
        "active_members": len(served),
        "purchasing_members": buyers,
        "repeat_purchase_rate": _percent(sum(1 for n in purchases.values() if n >= 2), buyers),
        "cross_brand_reach": _percent(elsewhere, len(served)),
        "currency": partner_profile(rt, partner_id).currency,
        **_sales_figures(current),
        "loyalty_rate_definition": LOYALTY_RATE_DEFINITION,
        "members_enrolled_here": dict(sorted(enrolled_here.items())),
        "by_store": [_slice("store_id", key, part) for key, part in _ordered(current.by_store)],
        "by_channel": [_slice("channel", key, part) for key, part in _ordered(current.by_channel)],
        "previous_period": {
            "from": before[0].isoformat() if before else None,
            "to": before[-1].isoformat() if before else None,
            **_sales_figures(previous),
        },
        "change": _change(current, previous),
    }


def _entries(rt: Runtime, partner_id: str, days: list[date]) -> Iterator[Entry]:
    """The partner's own entries of these days: one Query per day and settlement shard."""
    for day in days:
        for shard in layout.settlement_shards():
            yield from rt.store.settlements.day_entries(partner_id, day.isoformat(), shard)


def _sale_line(entry: Entry, counts_purchase: bool | None = None) -> list[SaleLine]:
    """The sale an entry carries (a purchase's earn, a return), if any; entries booked before sales were kept carry
    none, so a period that straddles the change shows only the sales booked since."""
    if entry.sale is None:
        return []
    purchase = movement(entry.type).counts_purchase if counts_purchase is None else counts_purchase
    sale = entry.sale
    return [SaleLine(entry.member_id, sale.amount, purchase, sale.channel, sale.store_id, sale.occurred_at)]


def _sales_figures(figures: SalesFigures) -> dict[str, Any]:
    return {
        "sales": money(figures.sales),
        "returns_amount": money(figures.returns),
        "purchases": figures.purchases,
        "customers": figures.customers,
        "loyal_customers": figures.loyal_customers,
        "loyalty_rate": ratio(figures.loyalty_rate, TENTH),
        "average_basket": money(figures.average_basket),
        "purchase_frequency": ratio(figures.purchase_frequency),
        "mean_days_between_purchases": ratio(figures.mean_days_between_purchases, TENTH),
    }


def _change(current: SalesFigures, previous: SalesFigures) -> dict[str, Any]:
    return {
        "sales": change(current.sales, previous.sales),
        "sales_percent": percent_change(current.sales, previous.sales),
        "purchases": current.purchases - previous.purchases,
        "customers": current.customers - previous.customers,
        "loyalty_rate": change(current.loyalty_rate, previous.loyalty_rate, TENTH),
        "average_basket": change(current.average_basket, previous.average_basket),
        "purchase_frequency": change(current.purchase_frequency, previous.purchase_frequency),
        "mean_days_between_purchases": change(
            current.mean_days_between_purchases, previous.mean_days_between_purchases, TENTH
        ),
    }


def _ordered(slices: dict[str | None, Slice]) -> list[tuple[str | None, Slice]]:
    """By name; sales with none (no store given, or booked before it was kept) last."""
    return sorted(slices.items(), key=lambda item: (item[0] is None, item[0] or ""))


def _slice(name: str, key: str | None, part: Slice) -> dict[str, Any]:
    return {name: key, "sales": money(part.sales), "purchases": part.purchases, "members": len(part.members)}


def _range(start_text: str | None, end_text: str | None) -> tuple[date, date]:
    try:
        start = date.fromisoformat(start_text or "")
        end = date.fromisoformat(end_text or "")
    except ValueError:
        raise InvalidRequest("from and to are dates (YYYY-MM-DD)", field="from") from None
    if end < start or (end - start).days >= MAX_DAYS:
        raise InvalidRequest(f"to must be on or after from, at most {MAX_DAYS} days later", field="to")
    return start, end


def _days(start: date, end: date) -> list[date]:
    """Counted from the start, never stepped past the end: the day after 9999-12-31 does not exist."""
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _active_elsewhere(wallet, partner_id: str, months: set[str]) -> bool:  # type: ignore[no-untyped-def]
    for month in months & set(wallet.activity):
        activity = wallet.activity[month]
        if set(activity.partners) - {partner_id} or set(activity.redeemed_at) - {partner_id}:
            return True
    return False


def _percent(part: int, whole: int) -> str:
    return "0.0" if whole == 0 else f"{100 * part / whole:.1f}"
