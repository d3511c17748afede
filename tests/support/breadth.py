"""A member's history of a given breadth: purchases at `issuers` partners in each of `months` months, booked through
the use case with the clock moved month by month (no HTTP: faster). 24 × 20 leaves 480 lots (expiry month × issuer)
and 12 months of activity at 20 partners, the widest wallet the cost targets name."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from chalicelib.domain.timefmt import add_months
from chalicelib.services import earning
from chalicelib.services.auth import partner_profile
from chalicelib.services.requests import PurchaseRequest
from tests.support.api import Coalition, Member
from tests.support.clock import Clock

BREADTHS = ((1, 1), (24, 5), (24, 20))  # (months, issuers)


def partner_names(issuers: int) -> list[str]:
    return [f"brand-{n:02d}" for n in range(issuers)]


def grow_breadth(
    coalition: Coalition, clock: Clock, member: Member, months: int, issuers: int, keys: dict[str, str], seed: int = 7
) -> None:
    """Book the history, ending on the clock's day (which it leaves as it found it); partners missing from `keys` are
    created (their keys added). Amounts are drawn at random, so that lots and activity figures are as varied as real
    ones (and compress no better)."""
    rt = coalition.api.container.runtime
    draw = random.Random(seed)
    today = clock.now
    for partner_id in partner_names(issuers):
        if partner_id not in keys:
            keys[partner_id] = coalition.partner(partner_id)
    profiles = [partner_profile(rt, partner_id) for partner_id in partner_names(issuers)]
    first = add_months(today.date().replace(day=1), -(months - 1))
    for month in range(months):
        day = add_months(first, month)
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)
        clock.now = noon + timedelta(days=draw.randint(0, 20))
        if clock.now > today:
            clock.now = today
        for partner in profiles:
            request = PurchaseRequest.model_validate(
                {
                    "transaction_id": f"breadth-{member.member_id}-{month}",
                    "member": {"member_id": member.member_id},
                    "amount": f"{draw.randint(500, 90000) / 100:.2f}",
                    "currency": "EUR",
                    "occurred_at": clock.now.isoformat().replace("+00:00", "Z"),
                    "channel": "store",
                }
            )
            earning.earn_points(rt, partner, request)
    clock.now = today
