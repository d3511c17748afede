"""GET /v1/program: the published rules, the partners' earn rates and the campaigns — enough for a member
to recompute any earn by hand."""

from __future__ import annotations

from typing import Any

from ..domain.program import Partner, program_document
from ..store import directory
from .campaigns import public_campaigns
from .programs import current_program
from .runtime import Runtime

ROUNDING = (
    "points = floor(amount × rate × tier multiplier × campaign multipliers), once per transaction, plus fixed bonuses"
)


def published_program(rt: Runtime) -> dict[str, Any]:
    """GET /v1/program: enough to recompute any earn by hand."""
    program = current_program(rt)
    partners = rt.cache.get("partners", directory.list_partners)
    return {
        **program_document(program),
        "rounding": ROUNDING,
        "partners": [public_partner(p) for p in sorted(partners, key=lambda p: p.partner_id) if p.active],
        "campaigns": public_campaigns(rt, rt.now()),
    }


def public_partner(partner: Partner) -> dict[str, Any]:
    """What members may see of a partner: its earn rates, not its commercial terms (fees)."""
    view = partner.view()
    return {field: view[field] for field in ("partner_id", "name", "currency", "earn_rate", "category_rates")}
