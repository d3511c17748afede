"""Members against non-members at one partner (GET /v1/reports/members-vs-non-members and the operator's
GET /v1/admin/partners/{id}/members-vs-non-members): purchases, spend and the average basket of each side, the
difference of baskets with its 95 % interval.

From per-day sums, never from entries: members' purchases as the settlement close summed them (one Query), sales
without a member as their bookings added them (one Query per counter shard). Both over closed days only, so the two
sides cover the same days. A sale without a member has no customer behind it: spend per customer and purchase
frequency exist for members only (and per campaign, in the campaign's effect)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ..domain.effect import MILLI, Estimate, SaleSums, difference
from ..domain.errors import InvalidRequest, NotFound
from .figures import CENTS, difference_view, interval, money
from .runtime import Runtime
from .settlement import LAST_CLOSED

MAX_DAYS = 92  # as every report over a range of days


def compare(rt: Runtime, partner_id: str, first: date, last: date) -> dict[str, Any]:
    if last < first:
        raise InvalidRequest("to must not be before from", field="to")
    if last - first > timedelta(days=MAX_DAYS - 1):
        raise InvalidRequest(f"at most {MAX_DAYS} days at a time", field="to")
    partner = rt.store.directory.get_partner(partner_id)
    if partner is None:
        raise NotFound(f"partner {partner_id} does not exist", field="partner_id")
    closed = rt.store.settlements.cursor(LAST_CLOSED)
    through = min(last.isoformat(), closed) if closed else None
    if through is not None and through < first.isoformat():  # no closed day in the range yet
        through = None
    members = SaleSums() if through is None else rt.store.sales.member_sales(partner_id, first.isoformat(), through)
    others = SaleSums() if through is None else rt.store.sales.anonymous_sales(partner_id, first.isoformat(), through)
    member_basket, other_basket = members.basket(), others.basket()
    found = difference(member_basket, other_basket)
    return {
        "partner_id": partner_id,
        "currency": partner.currency,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "closed_through": closed,
        "members": _side(members, member_basket),
        "non_members": _side(others, other_basket),
        "basket_difference": difference_view(found, CENTS),
    }


def _side(sums: SaleSums, basket: Estimate) -> dict[str, Any]:
    return {"purchases": sums.count, "spend": money(sums.amount * MILLI), "average_basket": interval(basket, CENTS)}
