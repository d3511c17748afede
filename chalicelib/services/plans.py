"""The paid membership plans as requests read them (cached), and the check of a `plans` filter naming them."""

from __future__ import annotations

from ..domain.errors import InvalidRequest
from .runtime import Runtime


def require_plans(rt: Runtime, plans: list[str] | None, field: str = "plans") -> None:
    """Every plan an exclusive offer or challenge names must exist (read now, not from the cache)."""
    if not plans:
        return
    known = {plan.plan_id for plan in rt.store.directory.list_plans()}
    for plan_id in plans:
        if plan_id not in known:
            raise InvalidRequest(f"plan {plan_id} does not exist", field=field)
