"""Segments (POST|PUT|GET /v1/admin/segments): the operator's groups of members, by rules over the wallet
(domain/segments.py). Campaigns and grants name them; a purchase evaluates the ones its campaigns name on the wallet
it has read, with the segments themselves read through the configuration cache (one Query per container and cache
period, as the campaigns are).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from ..domain.errors import InvalidRequest
from ..domain.membership import member_of
from ..domain.money import parse_amount
from ..domain.ownership import scoped
from ..domain.program import OPERATOR
from ..domain.segments import Segment, SegmentRules
from ..domain.wallet import Wallet
from .programs import current_program
from .requests import SegmentRequest
from .runtime import Runtime, iso


def all_segments(rt: Runtime) -> dict[str, Segment]:
    return rt.cache.get("segments", lambda: {s.segment_id: s for s in rt.store.directory.list_segments()})


def takes_in(
    tiers: tuple[str, ...],
    segment_id: str | None,
    segments: dict[str, Segment],
    wallet: Wallet,
    on: date,
    plans: tuple[str, ...] = (),
) -> bool:
    """Does a campaign's or a challenge's tier filter, segment and plans filter take this member in? A segment the
    cache does not know yet (defined a moment ago, in another container) takes in nobody until it does."""
    return (
        (not tiers or wallet.tier in tiers)
        and (segment_id is None or (segment_id in segments and segments[segment_id].matches(wallet, on)))
        and member_of(plans, wallet.membership, on)
    )


def save_segment(rt: Runtime, request: SegmentRequest, *, create: bool, owner: str = OPERATOR) -> dict[str, Any]:
    segment = Segment(scoped(owner, request.segment_id), request.name, _checked_rules(rt, request, owner), owner)
    rt.store.directory.save_segment(segment, iso(rt.now()), create=create)
    rt.cache.forget("segments")
    return segment.to_dict()


def list_segments(rt: Runtime) -> list[dict[str, Any]]:
    return [s.to_dict() for s in sorted(rt.store.directory.list_segments(), key=lambda s: s.segment_id)]


def require_segment(rt: Runtime, segment_id: str, field: str = "segment") -> Segment:
    """A segment that a campaign or a grant names: it must exist (read now, not from the cache)."""
    segment = rt.store.directory.get_segment(segment_id)
    if segment is None:
        raise InvalidRequest(f"segment {segment_id} does not exist", field=field)
    return segment


def _checked_rules(rt: Runtime, request: SegmentRequest, owner: str) -> SegmentRules:
    """The rules as the domain reads them, once every name in them is known: tiers, partners, amounts."""
    raw = request.rules.model_dump(mode="json", exclude_none=True)
    program = current_program(rt)
    for tier in raw.get("tiers", []):
        if not program.has_tier(tier):
            raise InvalidRequest(f"{tier} is not a tier of the programme", field="rules.tiers")
    spend = raw.get("spend")
    if spend is not None:  # amounts of the programme's currency, checked before the domain reads them
        bounds = [
            parse_amount(spend[b], program.currency, field=f"rules.spend.{b}") for b in ("min", "max") if b in spend
        ]
        if not bounds:
            raise InvalidRequest("rules.spend: give min, max or both", field="rules.spend")
        if len(bounds) == 2 and bounds[0] > bounds[1]:
            raise InvalidRequest("rules.spend: min must not be above max", field="rules.spend")
    rules = SegmentRules.from_dict(raw)
    known = {p.partner_id for p in rt.store.directory.list_partners()}
    for partner_id in sorted(rules.partners_named()):
        if partner_id not in known:
            raise InvalidRequest(f"{partner_id} is not a partner", field="rules")
        if owner != OPERATOR and partner_id != owner:
            raise InvalidRequest(f"a partner's segment names no other partner ({partner_id})", field="rules")
    return rules if owner == OPERATOR else _at_the_partner_only(rules, owner)


def _at_the_partner_only(rules: SegmentRules, owner: str) -> SegmentRules:
    """A partner's segment sees the member's purchases at the partner only: its purchases count there (whatever it
    names), and what the wallet keeps across partners only (spend by month, inactivity anywhere, distinct partners)
    is refused. Otherwise the purchase answer that shows its campaign would tell the partner what its customers do
    elsewhere."""
    across = {
        "distinct_partners": rules.distinct_partners,
        "spend": rules.spend,  # the wallet keeps spend by month, not by partner
        "inactive_months": rules.inactive_months,  # inactive at the partner: purchases {max: 0, months: N}
    }
    for name, rule in across.items():
        if rule is not None:
            raise InvalidRequest(
                f"a partner's segment cannot select by {name}: it counts other partners' sales", field=f"rules.{name}"
            )
    if rules.purchases is not None:
        rules = replace(rules, purchases=replace(rules.purchases, partners=(owner,)))
    return rules
