"""GET /v1/program: the published rules, the partners' earn rates, the campaigns and the paid membership plans on
sale — enough for a member to recompute any earn by hand, and for a till to quote a plan."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..domain.program import Partner, percent_back, program_document
from .campaigns import public_campaigns
from .plans import plan_view, plans_on_sale
from .programs import current_program
from .runtime import Runtime

ROUNDING = (
    "points = floor(amount × rate × tier multiplier × campaign multipliers), once per transaction, plus fixed bonuses"
)


def published_program(rt: Runtime) -> dict[str, Any]:
    """GET /v1/program: enough to recompute any earn by hand."""
    program = current_program(rt)
    partners = rt.cache.get("partners", rt.store.directory.list_partners)
    return {
        **program_document(program),
        "rounding": ROUNDING,
        "partners": [
            public_partner(p, program.point_value) for p in sorted(partners, key=lambda p: p.partner_id) if p.active
        ],
        "campaigns": public_campaigns(rt, rt.now()),
        "plans": [plan_view(plan, program.currency) for plan in plans_on_sale(rt)],
    }


def public_partner(partner: Partner, point_value: Decimal) -> dict[str, Any]:
    """What members may see of a partner: its earn rates, not its commercial terms (fees). Every rate is published
    in points per unit at the current point value (a % back derived from it), so that any earn can be recomputed,
    and as the % back it gives, so that partners compare whatever form they gave their rate in."""
    view = partner.view()
    base = partner.rate_for(None, point_value)
    rates = {category: partner.rate_for(category, point_value) for category in partner.categories()}
    return {
        **{field: view[field] for field in ("partner_id", "name", "currency", "cashback_percent")},
        "earn_rate": view["earn_rate"] if partner.earn_rate is not None else format(base, "f"),
        "category_rates": {
            category: view["category_rates"].get(category) or format(rate, "f") for category, rate in rates.items()
        },
        "category_cashback_percent": view["category_cashback_percent"],
        "percent_back": format(percent_back(base, point_value), "f"),
        "category_percent_back": {
            category: format(percent_back(rate, point_value), "f") for category, rate in rates.items()
        },
    }
