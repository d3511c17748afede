"""Paid membership (issue 12): the operator's plans, a partner's till selling one, the member's renewal choice."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from ..domain.errors import InvalidRequest
from ..services import memberships
from ..services.auth import partner_profile
from ..services.operations import Reply
from ..services.requests import MembershipChoice, MembershipSaleRequest, PlanRequest
from .responses import MembershipSale, MembershipView, Plan, PlanList
from .routing import Call, Link, endpoint

memberships_api = Blueprint(__name__)


def _plan_before(call: Call, params: dict[str, Any]) -> Any:
    found = call.rt.store.directory.get_plan(params["plan_id"])
    return None if found is None else found.to_dict()


@endpoint(
    memberships_api,
    "/v1/admin/plans",
    "POST",
    audience="operator",
    status=201,
    response=Plan,
    links=(Link("get_plan", {"path.plan_id": "plan_id"}),),
)
def create_plan(call: Call, body: PlanRequest) -> dict[str, Any]:
    """Define a paid membership plan: its fee per month or year (the operator's revenue, collected by the partner
    that sells it), and its earn multiplier (funded by the operator). Offers and challenges may be kept for members
    of given plans (their `plans`). At most 20 plans."""
    return memberships.save_plan(call.rt, body, create=True)


@endpoint(
    memberships_api,
    "/v1/admin/plans/{plan_id}",
    "PUT",
    audience="operator",
    response=Plan,
    audit_before=_plan_before,
)
def replace_plan(call: Call, plan_id: str, body: PlanRequest) -> dict[str, Any]:
    """Change a plan (its id in the path and the body must agree; its period never changes). Sales and renewals from
    now on pay the new fee and get the new multiplier; `on_sale: false` stops new sales, not renewals."""
    if body.plan_id != plan_id:
        raise InvalidRequest("plan_id in the body differs from the path", field="plan_id")
    return memberships.save_plan(call.rt, body, create=False)


@endpoint(memberships_api, "/v1/admin/plans", "GET", audience="operator", response=PlanList)
def list_plans(call: Call) -> dict[str, Any]:
    return {"plans": memberships.list_plans(call.rt)}


@endpoint(memberships_api, "/v1/admin/plans/{plan_id}", "GET", audience="operator", response=Plan)
def get_plan(call: Call, plan_id: str) -> dict[str, Any]:
    return memberships.get_plan(call.rt, plan_id)


@endpoint(memberships_api, "/v1/memberships", "POST", audience="partner", status=201, response=MembershipSale)
def sell_membership(call: Call, body: MembershipSaleRequest) -> Reply:
    """Sell a paid membership at the till, exactly once under `sale_id`, from today.

    The till collects the fee for the operator and pays it on the day's statement (send `fee` to be refused, 422,
    when the plan costs another amount now). A member whose membership is still running: 422 until it ends (its
    renewal is the job's). The plan's first monthly voucher, if any, comes with the sale."""
    return memberships.sell_membership(call.rt, partner_profile(call.rt, call.partner_id), body)


@endpoint(memberships_api, "/v1/me/membership", "PATCH", audience="member", response=MembershipView)
def choose_renewal(call: Call, body: MembershipChoice) -> dict[str, Any]:
    """Whether my paid membership renews when its period ends (off: it ends after the last day paid for). No
    membership: 404."""
    return memberships.choose_renewal(call.rt, call.member_id, body)
