"""The paid membership plans as requests read them (cached), as they are shown, and the check of a `plans` filter
naming them."""

from __future__ import annotations

from typing import Any

from ..domain.errors import InvalidRequest
from ..domain.membership import Plan
from .runtime import Runtime


def plans_on_sale(rt: Runtime) -> list[Plan]:
    """What GET /v1/program publishes (tills quote them, apps show them): cached like the campaigns."""
    plans = rt.cache.get("plans", rt.store.directory.list_plans)
    return sorted((p for p in plans if p.on_sale), key=lambda p: p.plan_id)


def plan_view(plan: Plan, currency: str) -> dict[str, Any]:
    return {**plan.to_dict(), "currency": currency}


def require_plans(rt: Runtime, plans: list[str] | None, field: str = "plans") -> None:
    """Every plan an exclusive offer or challenge names must exist (read now, not from the cache)."""
    if not plans:
        return
    known = {plan.plan_id for plan in rt.store.directory.list_plans()}
    for plan_id in plans:
        if plan_id not in known:
            raise InvalidRequest(f"plan {plan_id} does not exist", field=field)
