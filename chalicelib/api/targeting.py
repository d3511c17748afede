"""Targeting and its measured effect (issue 12): the operator's segments, and what a campaign changed, treated
members against its control group."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from ..domain.errors import InvalidRequest, NotFound
from ..domain.program import KeyScope
from ..domain.segments import Segment as SegmentRule
from ..services import effect, sales_comparison, segment_counts, segments
from ..services.requests import SegmentRequest
from .queries import DateRange, EffectThrough
from .responses import CampaignEffect, SalesComparison, Segment, SegmentCountView, SegmentList
from .routing import Call, Link, endpoint

targeting_api = Blueprint(__name__)


def _segment_before(call: Call, params: dict[str, Any]) -> Any:
    found = call.rt.store.directory.get_segment(params["segment_id"])
    return None if found is None else found.to_dict()


@endpoint(
    targeting_api,
    "/v1/admin/segments",
    "POST",
    audience="operator",
    status=201,
    response=Segment,
    links=(Link("get_segment", {"path.segment_id": "segment_id"}),),
)
def create_segment(call: Call, body: SegmentRequest) -> dict[str, Any]:
    """Define a segment: members described by rules over their tier, age, interests, preferred partners and their
    purchases of the last months. Campaigns and grants can then target it. Its members are counted by a job, started
    now (`count`; on a stage without a queue it runs within this request)."""
    return _counted(call, segments.save_segment(call.rt, body, create=True))


def _counted(call: Call, saved: dict[str, Any]) -> dict[str, Any]:
    from ..jobs import segment_counts as count_job  # here, as the grants' job in start_grant

    job_id = count_job.start(call.rt, SegmentRule.from_dict(saved))
    return {**saved, "count": segment_counts.count_view(call.rt, job_id)}


@endpoint(
    targeting_api,
    "/v1/admin/segments/{segment_id}",
    "PUT",
    audience="operator",
    response=Segment,
    audit_before=_segment_before,
)
def replace_segment(call: Call, segment_id: str, body: SegmentRequest) -> dict[str, Any]:
    """Replace a segment's name and rules (its id in the path and the body must agree); its members are counted
    again."""
    if body.segment_id != segment_id:
        raise InvalidRequest("segment_id in the body differs from the path", field="segment_id")
    return _counted(call, segments.save_segment(call.rt, body, create=False))


@endpoint(targeting_api, "/v1/admin/segments", "GET", audience="operator", response=SegmentList)
def list_segments(call: Call) -> dict[str, Any]:
    """Every segment, by id."""
    return {"segments": segments.list_segments(call.rt)}


@endpoint(targeting_api, "/v1/admin/segments/{segment_id}", "GET", audience="operator", response=Segment)
def get_segment(call: Call, segment_id: str) -> dict[str, Any]:
    """One segment, and its latest count: its members when the count is done (null while it runs)."""
    return segment_counts.segment_with_count(call.rt, segment_id)


@endpoint(
    targeting_api,
    "/v1/admin/segments/{segment_id}/counts",
    "POST",
    audience="operator",
    status=202,
    response=SegmentCountView,
)
def count_segment(call: Call, segment_id: str) -> dict[str, Any]:
    """Count the segment's members again (wallets change: a segment over the last months moves every day). While a
    count of its rules is running, that count is the answer."""
    from ..jobs import segment_counts as count_job

    found = call.rt.store.directory.segment_with_count(segment_id)
    if found is None:
        raise NotFound(f"segment {segment_id} does not exist", field="segment_id")
    segment, job_id = found
    running = segment_counts.running_count(call.rt, segment, job_id)
    if running is not None:
        return running  # one count at a time: the one running over these rules
    view = segment_counts.count_view(call.rt, count_job.start(call.rt, segment))
    assert view is not None  # just recorded
    return view


@endpoint(
    targeting_api,
    "/v1/admin/campaigns/{campaign_id}/effect",
    "GET",
    audience="operator",
    response=CampaignEffect,
    query=EffectThrough,
)
def campaign_effect(call: Call, campaign_id: str) -> dict[str, Any]:
    """What the campaign changed: its treated members against its control group (members it held out, chosen by a
    hash of member and campaign), per customer (a targeted member with a qualifying purchase): spend, purchases,
    average basket, each with a 95 % confidence interval, and the cost of the points it issued. From the campaign's
    first day to `to` (default: every closed day), counted by the settlement close: one item per day, never the
    ledger. An ended (deleted) campaign keeps its figures."""
    through = EffectThrough.model_validate(dict(call.request.query_params or {}))
    return effect.campaign_effect(call.rt, campaign_id, through.to)


@endpoint(
    targeting_api,
    "/v1/reports/members-vs-non-members",
    "GET",
    audience="partner",
    query=DateRange,
    response=SalesComparison,
    scopes=(KeyScope.FINANCE,),
)
def members_vs_non_members(call: Call) -> dict[str, Any]:
    """This partner's members against its customers without a membership, over ?from=&to= (closed days, at most 92
    days): purchases, spend, the average basket with its 95 % interval, and the difference of baskets. Sales without
    a member are those posted with no `member` (POST /v1/transactions)."""
    return _comparison(call, call.partner_id)


@endpoint(
    targeting_api,
    "/v1/admin/partners/{partner_id}/members-vs-non-members",
    "GET",
    audience="operator",
    query=DateRange,
    response=SalesComparison,
)
def partner_members_vs_non_members(call: Call, partner_id: str) -> dict[str, Any]:
    """The same comparison for any partner."""
    return _comparison(call, partner_id)


def _comparison(call: Call, partner_id: str) -> dict[str, Any]:
    days = DateRange.model_validate(dict(call.request.query_params or {}))
    return sales_comparison.compare(call.rt, partner_id, days.from_, days.to)
