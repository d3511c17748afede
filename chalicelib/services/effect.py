"""GET /v1/admin/campaigns/{id}/effect: what a measured campaign changed (domain/effect.py), from the per-day figures
the settlement close stores, one item per closed day (one Query whatever the number of purchases).

The figures are those of closed days: a day's purchases count once the day is closed. The points' cost is their
worth at the programme's point value now (what the funder owes for them when they are spent), not a fee."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ..domain.challenges import PREFIX as CHALLENGE_PREFIX
from ..domain.effect import (
    CONTROL,
    TREATED,
    EffectTally,
    GroupEstimates,
    GroupFigures,
    difference,
    estimates,
)
from ..domain.errors import NotFound
from .figures import CENTS, COUNT, difference_view, interval, money
from .programs import current_program
from .runtime import Runtime
from .settlement import LAST_CLOSED


def campaign_effect(rt: Runtime, campaign_id: str, through: date | None) -> dict[str, Any]:
    campaign = next((c for c in rt.store.directory.list_campaigns() if c.campaign_id == campaign_id), None)
    share = None if campaign is None else campaign.control_share
    return {"campaign_id": campaign_id, **_effect(rt, campaign_id, f"campaign {campaign_id}", share, through)}


def challenge_effect(rt: Runtime, challenge_id: str, through: date | None) -> dict[str, Any]:
    """A challenge's effect: its members who took part against those it held out (the points: the rewards)."""
    challenge = rt.store.directory.get_challenge(challenge_id)
    share = None if challenge is None else challenge.control_share
    key = CHALLENGE_PREFIX + challenge_id
    return {"challenge_id": challenge_id, **_effect(rt, key, f"challenge {challenge_id}", share, through)}


def _effect(rt: Runtime, key: str, what: str, share: Decimal | None, through: date | None) -> dict[str, Any]:
    """The figures measured under `key` (`share`: the control share of what stands under it now, None: it no longer
    exists)."""
    closed = rt.store.settlements.cursor(LAST_CLOSED)
    last = (through or (date.fromisoformat(closed) if closed else None) or rt.now().date()).isoformat()
    measured = rt.store.settlements.effect_days(key)
    if share is None and not measured:
        raise NotFound(f"{what} does not exist and was never measured")
    days = [(day, figures) for day, figures in measured if day <= last]
    tally = EffectTally()
    for _, day in days:
        tally.merge(day)
    groups = tally.campaigns.get(key, {})
    treated, control = groups.get(TREATED, GroupFigures()), groups.get(CONTROL, GroupFigures())
    program = current_program(rt)
    t, c = estimates(treated), estimates(control)
    return {
        "from": days[0][0] if days else None,
        "to": last,
        "closed_through": closed,
        "currency": program.currency,
        "control_share": None if share is None else format(share, "f"),
        "groups": {
            TREATED: _group(treated, t, program.point_value),
            CONTROL: _group(control, c, program.point_value),
        },
        "effect": {
            "spend_per_customer": difference_view(difference(t.spend, c.spend), CENTS),
            "purchases_per_customer": difference_view(difference(t.purchases, c.purchases), COUNT),
            "average_basket": difference_view(difference(t.basket, c.basket), CENTS),
        },
    }


def _group(figures: GroupFigures, found: GroupEstimates, point_value: Decimal) -> dict[str, Any]:
    return {
        "customers": figures.customers,
        "purchases": figures.purchases,
        "spend": money(figures.spend),
        "spend_per_customer": interval(found.spend, CENTS),
        "purchases_per_customer": interval(found.purchases, COUNT),
        "average_basket": interval(found.basket, CENTS),
        "points_issued": figures.points,
        "points_cost": money(figures.points * point_value),
    }
