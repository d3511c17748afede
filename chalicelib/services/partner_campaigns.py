"""A partner's own campaigns and segments (issue 12): campaigns it funds itself, on its own purchases only, within the
limits the operator sets in the programme (`partner_campaigns`), for its own customers or a segment of them.

They are stored as the operator's are, under the partner's scoped ids (domain/ownership.py), and a purchase applies
them as any campaign: funded by the partner, at the partner only. The partner sees its own ids; another partner's
campaign or segment is, to it, one that does not exist."""

from __future__ import annotations

from typing import Any

from ..domain.campaigns import MEASURED_AFTER_END, Campaign
from ..domain.errors import NotFound, RuleViolation
from ..domain.money import parse_rate
from ..domain.ownership import local, scoped
from ..domain.timefmt import most_at_once
from . import campaigns, effect, segments
from .programs import current_program
from .requests import CampaignRequest, PartnerCampaignRequest, SegmentRequest
from .runtime import Runtime


def save_campaign(rt: Runtime, partner_id: str, request: PartnerCampaignRequest, *, create: bool) -> dict[str, Any]:
    rules = current_program(rt).partner_campaigns
    if rules is None:
        raise RuleViolation("the programme does not open campaigns to partners")
    if request.multiplier is not None and parse_rate(request.multiplier, "multiplier") > rules.max_multiplier:
        most = rules.max_multiplier
        raise RuleViolation(f"the programme allows partners a multiplier of at most {most}", field="multiplier")
    if request.points is not None and request.points > rules.max_points:
        raise RuleViolation(f"the programme allows partners at most {rules.max_points} points", field="points")
    stored_id = scoped(partner_id, request.campaign_id)
    mine = [c for c in _own(rt, partner_id) if c.campaign_id != stored_id]
    window = (request.starts_at, request.ends_at)
    if most_at_once([(c.starts_at, c.ends_at) for c in mine] + [window]) > rules.max_running:
        raise RuleViolation(f"at most {rules.max_running} of your campaigns run at once", field="starts_at")
    if request.control_share is not None:
        measured = [(c.starts_at, c.ends_at + MEASURED_AFTER_END) for c in mine if c.measured]
        if most_at_once([*measured, window]) > rules.max_measured:
            raise RuleViolation(
                f"at most {rules.max_measured} of your campaigns with a control group at once (counted until "
                f"{MEASURED_AFTER_END.days} days after they end)",
                field="control_share",
            )
    # The partner funds it and it applies at the partner only: what makes it the partner's own.
    as_campaign = CampaignRequest.model_validate(
        {**request.model_dump(mode="json", exclude_none=True), "funder": partner_id, "partners": [partner_id]}
    )
    return _view(partner_id, campaigns.save_campaign(rt, as_campaign, create=create, owner=partner_id))


def end_campaign(rt: Runtime, partner_id: str, campaign_id: str) -> None:
    _require_own_campaign(rt, partner_id, campaign_id)
    campaigns.delete_campaign(rt, scoped(partner_id, campaign_id))


def list_campaigns(rt: Runtime, partner_id: str) -> list[dict[str, Any]]:
    documents = [rt.store.directory.campaign_document(c.campaign_id) for c in _own(rt, partner_id)]
    return [_view(partner_id, d) for d in sorted(filter(None, documents), key=lambda d: d["campaign_id"])]


def campaign_effect(rt: Runtime, partner_id: str, campaign_id: str, through: Any) -> dict[str, Any]:
    """The effect of one of the partner's measured campaigns (an ended one keeps its figures)."""
    stored_id = scoped(partner_id, campaign_id)
    report = effect.campaign_effect(rt, stored_id, through)  # 404 for an id the partner never had
    return {**report, "campaign_id": campaign_id}


def save_segment(rt: Runtime, partner_id: str, request: SegmentRequest, *, create: bool) -> dict[str, Any]:
    """A segment of the partner's own customers (members who bought there within the year): its rules name no other
    partner (services/segments.py). Not counted by a job: a count reads every member, which is the operator's call."""
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
