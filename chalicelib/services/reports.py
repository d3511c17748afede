"""GET /v1/reports/summary: a partner's KPIs over a date range.

Reads the partner's own entries of each day in the range through the day index (never another partner's,
never older days), then the wallets of the members it served (BatchGetItem, 100 at a time) for their
month-by-month activity elsewhere. Cross-brand reach is therefore measured by calendar month.

`points_redeemed` is net of reversals: points spent at this partner minus those it gave back in the range
(`points_reversed`), so a cancelled purchase paid with points does not count as redeemed.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from ..domain.errors import InvalidRequest
from ..domain.movements import Liability, movement
from ..domain.tiers import month_key
from ..store import layout
from . import settlement
from .runtime import Runtime

MAX_DAYS = 92


def summary(rt: Runtime, partner_id: str, start_text: str | None, end_text: str | None) -> dict[str, Any]:
    start, end = _range(start_text, end_text)
    purchases: Counter[str] = Counter()
    served: set[str] = set()
    issued = redeemed = reversed_points = 0
    days = _days(start, end)
    for day in days:
        for shard in layout.settlement_shards():
            for entry in rt.store.settlements.day_entries(partner_id, day.isoformat(), shard):
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

    months = {month_key(day) for day in days}
    elsewhere = sum(
        1 for wallet in rt.store.wallets.load_many(sorted(served)) if _active_elsewhere(wallet, partner_id, months)
    )
    buyers = len(purchases)
    last_closed = rt.store.settlements.cursor(settlement.LAST_CLOSED)
    closed = rt.store.settlements.get_closed(last_closed) if last_closed else None
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
    }


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
