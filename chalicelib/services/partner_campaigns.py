"""A partner's own campaigns and segments (issue 12): campaigns it funds itself, on its own purchases only, within the
limits the operator sets in the programme (`partner_campaigns`), for its own customers or a segment of them.

They are stored as the operator's are, under the partner's scoped ids (domain/ownership.py), and a purchase applies
them as any campaign: funded by the partner, at the partner only. The partner sees its own ids; another partner's
campaign or segment is, to it, one that does not exist."""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal
from typing import Any

from ..domain.campaigns import MEASURED_AFTER_END, Campaign
from ..domain.errors import AlreadyExists, InvalidRequest, NotFound, RuleViolation
from ..domain.money import parse_rate
from ..domain.ownership import SEPARATOR, local, scoped
from ..domain.program import PartnerCampaignRules
from . import campaigns, effect, segments
from .measurement import MAX_MEASURED, measured_now
from .programs import current_program
from .requests import CampaignRequest, PartnerCampaignRequest, SegmentRequest
from .runtime import Runtime

# What one partner may have at once, whatever its limits: its campaigns not ended yet ride in GET /v1/program and in
# every purchase's cached list of campaigns; its segments in every purchase's cached list of segments.
MAX_OWN_CAMPAIGNS = 20
MAX_OWN_SEGMENTS = 20
# Partners' measured campaigns together hold at most half of the programme's measured slots (the operator keeps the
# other half whatever partners do).
PARTNERS_MEASURED = MAX_MEASURED // 2


def save_campaign(rt: Runtime, partner_id: str, request: PartnerCampaignRequest, *, create: bool) -> dict[str, Any]:
    rules = current_program(rt).partner_campaigns
    if rules is None:
        raise RuleViolation("the programme does not open campaigns to partners")
    stored_id = scoped(partner_id, request.campaign_id)
    own = _own(rt, partner_id)
    if create and any(c.campaign_id == stored_id for c in own):
        raise AlreadyExists(f"campaign {request.campaign_id} exists", field="campaign_id")
    if not create and not any(c.campaign_id == stored_id for c in own):
        raise NotFound(f"campaign {request.campaign_id} does not exist", field="campaign_id")
    if create and rt.store.settlements.effect_days(stored_id):
        raise RuleViolation(
            f"campaign {request.campaign_id} was measured before: give it a new id", field="campaign_id"
        )
    if request.segment is not None and rt.store.directory.get_segment(scoped(partner_id, request.segment)) is None:
        raise InvalidRequest(f"segment {request.segment} does not exist", field="segment")
    # The partner funds it and it applies at the partner only: what makes it the partner's own.
    as_campaign = CampaignRequest.model_validate(
        {**request.model_dump(mode="json", exclude_none=True), "funder": partner_id, "partners": [partner_id]}
    )
    _check_limits(rt, rules, [c for c in own if c.campaign_id != stored_id], _campaign(stored_id, as_campaign))
    return _view(partner_id, campaigns.save_campaign(rt, as_campaign, create=create, owner=partner_id))


def _campaign(stored_id: str, request: CampaignRequest) -> Campaign:
    """The campaign a request describes, its decimals checked first (the domain reads them as they are)."""
    multiplier = None if request.multiplier is None else parse_rate(request.multiplier, "multiplier")
    share = Decimal(0) if request.control_share is None else parse_rate(request.control_share, "control_share")
    document = request.model_dump(mode="json", exclude_none=True)
    return replace(
        Campaign.from_document({**document, "campaign_id": stored_id}), multiplier=multiplier, control_share=share
    )


def _check_limits(rt: Runtime, rules: PartnerCampaignRules, others: list[Campaign], new: Campaign) -> None:
    """The operator's limits, over the partner's campaigns as they would stand: at every moment of the new one's
    window, how many run, what their multipliers make together (they compound) and what fixed points they add; how
    many are not over yet; how many are measured (each until its figures are forgotten), and all partners' together."""
    now = rt.now()
    if len([c for c in others if c.ends_at > now]) + 1 > MAX_OWN_CAMPAIGNS:
        raise RuleViolation(f"at most {MAX_OWN_CAMPAIGNS} of your campaigns not over yet", field="campaign_id")
    everyone = [*others, new]
    for moment in sorted({new.starts_at, *(c.starts_at for c in others if new.active(c.starts_at))}):
        running = [c for c in everyone if c.active(moment)]
        if len(running) > rules.max_running:
            raise RuleViolation(f"at most {rules.max_running} of your campaigns run at once", field="starts_at")
        together = math.prod((c.multiplier for c in running if c.multiplier is not None), start=Decimal(1))
        if together > rules.max_multiplier:
            raise RuleViolation(
                f"your campaigns running together would multiply points by {together}: the programme allows partners "
                f"at most {rules.max_multiplier}",
                field="multiplier",
            )
        points = sum(c.points or 0 for c in running)
        if points > rules.max_points:
            raise RuleViolation(
                f"your campaigns running together would add {points} points: the programme allows partners at most "
                f"{rules.max_points}",
                field="points",
            )
    if not new.measured:
        return
    today = now.date().isoformat()
    kept = [c for c in others if c.measured and c.kept_until >= today]
    if len(kept) + 1 > rules.max_measured:
        raise RuleViolation(
            f"at most {rules.max_measured} of your campaigns with a control group (each counted from now until "
            f"{MEASURED_AFTER_END.days} days after it ends)",
            field="control_share",
        )
    partners_measured = [key for key in measured_now(rt) if SEPARATOR in key]
    if len(partners_measured) + 1 > PARTNERS_MEASURED:
        raise RuleViolation(
            f"partners' campaigns hold {PARTNERS_MEASURED} of the programme's measured places already",
            field="control_share",
        )


def end_campaign(rt: Runtime, partner_id: str, campaign_id: str) -> None:
    _require_own_campaign(rt, partner_id, campaign_id)
    campaigns.delete_campaign(rt, scoped(partner_id, campaign_id))


def list_campaigns(rt: Runtime, partner_id: str) -> list[dict[str, Any]]:
    """One Query, whatever the number of campaigns."""
    own = [d for d in rt.store.directory.campaign_documents() if local(partner_id, d["campaign_id"]) is not None]
    return [_view(partner_id, d) for d in sorted(own, key=lambda d: d["campaign_id"])]


def campaign_effect(rt: Runtime, partner_id: str, campaign_id: str, through: Any) -> dict[str, Any]:
    """The effect of one of the partner's measured campaigns (an ended one keeps its figures)."""
    stored_id = scoped(partner_id, campaign_id)
    report = effect.campaign_effect(rt, stored_id, through)  # 404 for an id the partner never had
    return {**report, "campaign_id": campaign_id}


def save_segment(rt: Runtime, partner_id: str, request: SegmentRequest, *, create: bool) -> dict[str, Any]:
    """A segment of the partner's own customers (members who bought there within the year): its rules see only
    purchases at the partner (services/segments.py). Not counted by a job: a count reads every member, which is the
    operator's call."""
    stored_id = scoped(partner_id, request.segment_id)
    own = [s for s in rt.store.directory.list_segments() if local(partner_id, s.segment_id) is not None]
    exists = any(s.segment_id == stored_id for s in own)
    if create and exists:
        raise AlreadyExists(f"segment {request.segment_id} exists", field="segment_id")
    if not create and not exists:
        raise NotFound(f"segment {request.segment_id} does not exist", field="segment_id")
    if create and len(own) >= MAX_OWN_SEGMENTS:
        raise RuleViolation(f"at most {MAX_OWN_SEGMENTS} segments of your own", field="segment_id")
    return _segment_view(partner_id, segments.save_segment(rt, request, create=create, owner=partner_id))


def list_segments(rt: Runtime, partner_id: str) -> list[dict[str, Any]]:
    own = [s for s in segments.list_segments(rt) if local(partner_id, s["segment_id"]) is not None]
    return [_segment_view(partner_id, s) for s in own]


def get_segment(rt: Runtime, partner_id: str, segment_id: str) -> dict[str, Any]:
    found = rt.store.directory.get_segment(scoped(partner_id, segment_id))
    if found is None:
        raise NotFound(f"segment {segment_id} does not exist", field="segment_id")
    return _segment_view(partner_id, found.to_dict())


def _own(rt: Runtime, partner_id: str) -> list[Campaign]:
    """The partner's campaigns as stored (read now, not from the cache: the checks are about what is stored)."""
    return [c for c in rt.store.directory.list_campaigns() if local(partner_id, c.campaign_id) is not None]


def _require_own_campaign(rt: Runtime, partner_id: str, campaign_id: str) -> None:
    if rt.store.directory.campaign_document(scoped(partner_id, campaign_id)) is None:
        raise NotFound(f"campaign {campaign_id} does not exist", field="campaign_id")


def _view(partner_id: str, document: dict[str, Any]) -> dict[str, Any]:
    """A stored campaign as its partner sees it: its own ids."""
    view = {**document, "campaign_id": local(partner_id, document["campaign_id"])}
    if document.get("segment"):
        view["segment"] = local(partner_id, document["segment"])
    return view


def _segment_view(partner_id: str, segment: dict[str, Any]) -> dict[str, Any]:
    return {**segment, "segment_id": local(partner_id, segment["segment_id"])}
