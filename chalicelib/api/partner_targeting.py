"""A partner's own targeting (issue 12): campaigns it funds itself on its own purchases, within the operator's
limits, for segments of its own customers, and what a measured one changed."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from ..domain.errors import InvalidRequest
from ..domain.program import KeyScope
from ..services import partner_campaigns
from ..services.requests import PartnerCampaignRequest, SegmentRequest
from .queries import EffectThrough
from .responses import Campaign, CampaignEffect, CampaignList, Segment, SegmentList
from .routing import Call, Link, endpoint

partner_targeting_api = Blueprint(__name__)

# Marketing spends the partner's money (its points): an admin key's business, not a till's or finance's.
ADMIN_ONLY: tuple[KeyScope, ...] = ()


@endpoint(
    partner_targeting_api,
    "/v1/campaigns",
    "POST",
    audience="partner",
    scopes=ADMIN_ONLY,
    status=201,
    response=Campaign,
    links=(Link("end_own_campaign", {"path.campaign_id": "campaign_id"}),),
)
def create_own_campaign(call: Call, body: PartnerCampaignRequest) -> dict[str, Any]:
    """Start a campaign on your own purchases, funded by you: a multiplier or fixed points, for your customers or a
    segment of them, within the limits the programme sets (`partner_campaigns` in GET /v1/program). The programme
    without them opens no campaigns to partners (422)."""
    return partner_campaigns.save_campaign(call.rt, call.partner_id, body, create=True)


@endpoint(
    partner_targeting_api,
    "/v1/campaigns/{campaign_id}",
    "PUT",
    audience="partner",
    scopes=ADMIN_ONLY,
    response=Campaign,
)
def replace_own_campaign(call: Call, campaign_id: str, body: PartnerCampaignRequest) -> dict[str, Any]:
    """Replace one of your campaigns (its id in the path and the body must agree)."""
    if body.campaign_id != campaign_id:
        raise InvalidRequest("campaign_id in the body differs from the path", field="campaign_id")
    return partner_campaigns.save_campaign(call.rt, call.partner_id, body, create=False)


@endpoint(
    partner_targeting_api, "/v1/campaigns/{campaign_id}", "DELETE", audience="partner", scopes=ADMIN_ONLY, status=204
)
def end_own_campaign(call: Call, campaign_id: str) -> Response:
    """End one of your campaigns now (a measured one that has started is kept, ended: its effect stays readable)."""
    partner_campaigns.end_campaign(call.rt, call.partner_id, campaign_id)
    return Response(body="", status_code=204)


@endpoint(partner_targeting_api, "/v1/campaigns", "GET", audience="partner", scopes=ADMIN_ONLY, response=CampaignList)
def list_own_campaigns(call: Call) -> dict[str, Any]:
    """Your campaigns, by id (ended measured ones included)."""
    return {"campaigns": partner_campaigns.list_campaigns(call.rt, call.partner_id)}


@endpoint(
    partner_targeting_api,
    "/v1/campaigns/{campaign_id}/effect",
    "GET",
    audience="partner",
    scopes=(KeyScope.FINANCE,),
    response=CampaignEffect,
    query=EffectThrough,
)
def own_campaign_effect(call: Call, campaign_id: str) -> dict[str, Any]:
    """What one of your campaigns with a control group changed: treated members against those it held out, per
    customer, with 95 % intervals, and the cost of the points (as GET /v1/admin/campaigns/{id}/effect)."""
    through = EffectThrough.model_validate(dict(call.request.query_params or {}))
    return partner_campaigns.campaign_effect(call.rt, call.partner_id, campaign_id, through.to)


@endpoint(
    partner_targeting_api,
    "/v1/segments",
    "POST",
    audience="partner",
    scopes=ADMIN_ONLY,
    status=201,
    response=Segment,
    links=(Link("get_own_segment", {"path.segment_id": "segment_id"}),),
)
def create_own_segment(call: Call, body: SegmentRequest) -> dict[str, Any]:
    """Define a segment of your own customers (members who bought from you within the year); its rules name no other
    partner. Your campaigns may then target it."""
    return partner_campaigns.save_segment(call.rt, call.partner_id, body, create=True)


@endpoint(
    partner_targeting_api, "/v1/segments/{segment_id}", "PUT", audience="partner", scopes=ADMIN_ONLY, response=Segment
)
def replace_own_segment(call: Call, segment_id: str, body: SegmentRequest) -> dict[str, Any]:
    """Replace one of your segments (its id in the path and the body must agree)."""
    if body.segment_id != segment_id:
        raise InvalidRequest("segment_id in the body differs from the path", field="segment_id")
    return partner_campaigns.save_segment(call.rt, call.partner_id, body, create=False)


@endpoint(partner_targeting_api, "/v1/segments", "GET", audience="partner", scopes=ADMIN_ONLY, response=SegmentList)
def list_own_segments(call: Call) -> dict[str, Any]:
    """Your segments, by id."""
    return {"segments": partner_campaigns.list_segments(call.rt, call.partner_id)}


@endpoint(
    partner_targeting_api, "/v1/segments/{segment_id}", "GET", audience="partner", scopes=ADMIN_ONLY, response=Segment
)
def get_own_segment(call: Call, segment_id: str) -> dict[str, Any]:
    """One of your segments."""
    return partner_campaigns.get_segment(call.rt, call.partner_id, segment_id)
