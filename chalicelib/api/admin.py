"""Operator endpoints: partners, their keys, the programme, jobs, and the customer-service desk's member file."""

from __future__ import annotations

import uuid
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import TypeAdapter

from ..domain.campaigns import Campaign as CampaignRule
from ..domain.errors import InvalidRequest, NotFound
from ..domain.ledger import entry_number
from ..domain.program import program_document
from ..services import (
    adjustments,
    audit,
    campaigns,
    grants,
    late_credits,
    member_desk,
    members,
    partners,
    privacy,
    programs,
    reinstatements,
)
from ..services.operations import Reply
from ..services.requests import (
    AdjustmentRequest,
    CampaignRequest,
    GrantRequest,
    JobRequest,
    KeyRequest,
    LateCreditRequest,
    MemberPatch,
    PartnerCreate,
    PartnerPatch,
    ProgramDocument,
    ReinstatementRequest,
    valid_member_id,
)
from .queries import AuditRange, MemberLookup
from .responses import (
    Adjusted,
    AuditPage,
    Campaign,
    GrantStarted,
    IssuedKey,
    JobProgress,
    JobStarted,
    LateCredited,
    MemberFile,
    MemberStatus,
    PartnerView,
    Reinstated,
    SavedProgram,
)
from .routing import Call, Link, endpoint

admin_api = Blueprint(__name__)


@endpoint(
    admin_api,
    "/v1/admin/partners",
    "POST",
    audience="operator",
    status=201,
    response=PartnerView,
    links=tuple(
        Link(target, {"path.partner_id": "partner_id"}) for target in ("issue_key", "get_partner", "patch_partner")
    ),
)
def create_partner(call: Call, body: PartnerCreate) -> dict[str, Any]:
    """Onboard a partner."""
    return partners.create_partner(call.rt, body)


@endpoint(admin_api, "/v1/admin/partners/{partner_id}", "GET", audience="operator", response=PartnerView)
def get_partner(call: Call, partner_id: str) -> dict[str, Any]:
    """A partner's profile."""
    partner = call.rt.store.directory.get_partner(partner_id)
    if partner is None:
        raise NotFound(f"partner {partner_id} does not exist")
    return partner.view()


def _partner_before(call: Call, params: dict[str, Any]) -> Any:
    partner = call.rt.store.directory.get_partner(params["partner_id"])
    return None if partner is None else partner.view()


def _program_before(call: Call, params: dict[str, Any]) -> Any:
    program = call.rt.store.directory.get_program(consistent=True)
    return None if program is None else program_document(program)


def _campaign_before(call: Call, params: dict[str, Any]) -> Any:
    """The campaign as stored before a replacement or an end (the campaigns' listing: one Query)."""
    found = next((c for c in call.rt.store.directory.list_campaigns() if c.campaign_id == params["campaign_id"]), None)
    return None if found is None else TypeAdapter(CampaignRule).dump_python(found, mode="json")


def _balance_before(call: Call, params: dict[str, Any]) -> Any:
    wallet = call.rt.store.wallets.load(params["member_id"]) if valid_member_id(params["member_id"]) else None
    if wallet is None:
        return None
    return {"status": wallet.status, "available_points": wallet.available, "owed_points": wallet.debt_points}


@endpoint(
    admin_api,
    "/v1/admin/partners/{partner_id}",
    "PATCH",
    audience="operator",
    response=PartnerView,
    audit_before=_partner_before,
)
def patch_partner(call: Call, partner_id: str, body: PartnerPatch) -> dict[str, Any]:
    """Change a partner (status "suspended" stops its keys)."""
    return partners.update_partner(call.rt, partner_id, body)


@endpoint(
    admin_api,
    "/v1/admin/partners/{partner_id}/keys",
    "POST",
    audience="operator",
    status=201,
    response=IssuedKey,
    links=(Link("revoke_key", {"path.partner_id": "partner_id", "path.key_id": "key_id"}),),
)
def issue_key(call: Call, partner_id: str, body: KeyRequest) -> dict[str, str]:
    """Issue an API key (shown this once) with its scope: till, finance or admin (the default)."""
    return partners.issue_api_key(call.rt, partner_id, body.scope)


@endpoint(admin_api, "/v1/admin/partners/{partner_id}/keys/{key_id}", "DELETE", audience="operator", status=204)
def revoke_key(call: Call, partner_id: str, key_id: str) -> Response:
    """Revoke an API key."""
    partners.revoke_api_key(call.rt, partner_id, key_id)
    return Response(body="", status_code=204)


@endpoint(admin_api, "/v1/admin/members/{member_id}", "GET", audience="operator", response=MemberFile)
def member_file(call: Call, member_id: str) -> dict[str, Any]:
    """A member's whole file for customer service: profile, wallet by issuer and expiry, debts, holds, open voucher
    points and the latest entries."""
    return member_desk.member_file(call.rt, member_id)


@endpoint(
    admin_api,
    "/v1/admin/members",
    "GET",
    audience="operator",
    query=MemberLookup,
    response=MemberFile,
    links=(Link("patch_member", {"path.member_id": "member_id"}),),
)
def find_member_file(call: Call) -> dict[str, Any]:
    """A member's file found by card number, email or phone (exactly one)."""
    return member_desk.find_member_file(call.rt, call.query("card_number"), call.query("email"), call.query("phone"))


@endpoint(
    admin_api,
    "/v1/admin/members/{member_id}/adjustments",
    "POST",
    audience="operator",
    status=201,
    response=Adjusted,
    audit_before=_balance_before,
)
def adjust_points(call: Call, member_id: str, body: AdjustmentRequest) -> Reply:
    """Credit (+) or debit (−) a member's points with a reason, funded or absorbed by a named issuer (once per
    adjustment_id; settled as that issuer's issuance or return)."""
    return adjustments.adjust_points(call.rt, member_id, body)


def _expiry_before(call: Call, params: dict[str, Any]) -> Any:
    """The balance, and the expiry the reinstatement names as stored (None: not an entry of this member)."""
    before = _balance_before(call, params)
    if before is None:
        return None
    body: ReinstatementRequest = params["body"]
    seq = entry_number(params["member_id"], body.expiry_entry_id)
    expiry = None if seq is None else call.rt.store.ledger.get_entry(params["member_id"], seq)
    if expiry is not None:
        before["expiry"] = {
            "entry_id": expiry.entry_id,
            "type": expiry.type.value,
            "points": expiry.points,
            "attribution": [p.to_dict() for p in expiry.attribution],
            "booked_at": expiry.booked_at,
        }
    return before


@endpoint(
    admin_api,
    "/v1/admin/members/{member_id}/reinstatements",
    "POST",
    audience="operator",
    status=201,
    response=Reinstated,
    audit_before=_expiry_before,
)
def reinstate_points(call: Call, member_id: str, body: ReinstatementRequest) -> Reply:
    """Give back the points of one expiry of the member (a goodwill gesture), as the liability of the issuers that
    let them expire, valid as points earned today; once per reinstatement_id and once per expiry."""
    return reinstatements.reinstate_points(call.rt, member_id, body)


@endpoint(
    admin_api,
    "/v1/admin/members/{member_id}/late-credits",
    "POST",
    audience="operator",
    status=201,
    response=LateCredited,
    audit_before=_balance_before,
)
def credit_late_purchase(call: Call, member_id: str, body: LateCreditRequest) -> Reply:
    """Credit a purchase older than the partner's posting window, on its receipt, as that partner's purchase (its
    points, its fee); once per late_credit_id, and once per purchase: posted by the partner or credited late."""
    return late_credits.credit_late_purchase(call.rt, member_id, body)


@endpoint(
    admin_api,
    "/v1/admin/members/{member_id}",
    "PATCH",
    audience="operator",
    response=MemberStatus,
    audit_before=_balance_before,
)
def patch_member(call: Call, member_id: str, body: MemberPatch) -> dict[str, Any]:
    """Suspend, close or reactivate a member."""
    return members.set_member_status(call.rt, member_id, body.status)


@endpoint(
    admin_api, "/v1/admin/members/{member_id}", "DELETE", audience="operator", status=204, audit_before=_balance_before
)
def erase_member(call: Call, member_id: str) -> Response:
    """Erase a member on request (as DELETE /v1/me does): personal data and identifiers removed, remaining points
    forfeited as breakage of their issuers, the sign-in deleted; the ledger stays under the pseudonymous id."""
    privacy.erase_member(call.rt, member_id)
    return Response(body="", status_code=204)


@endpoint(
    admin_api, "/v1/admin/program", "PUT", audience="operator", response=SavedProgram, audit_before=_program_before
)
def put_program(call: Call, body: ProgramDocument) -> dict[str, Any]:
    """Replace the whole programme."""
    return programs.set_program(call.rt, body)


@endpoint(admin_api, "/v1/admin/jobs/{job}", "POST", audience="operator", status=202, response=JobStarted)
def run_job(call: Call, job: str, body: JobRequest) -> dict[str, Any]:
    """Run a scheduled job now."""
    from ..jobs import dispatch  # here: every job's module, which no other admin route needs (issue 11)

    if job not in dispatch.JOBS:
        raise NotFound(f"unknown job {job}; known: {', '.join(sorted(dispatch.JOBS))}")
    return {"job_id": f"{job}-{uuid.uuid4().hex[:12]}", **dispatch.fan_out(call.rt, job, body.as_of)}


@endpoint(
    admin_api,
    "/v1/admin/grants",
    "POST",
    audience="operator",
    status=202,
    response=GrantStarted,
    links=(Link("job_progress", {"path.job": "job_id"}),),
)
def start_grant(call: Call, body: GrantRequest) -> Reply:
    """Credit points to every member, to a tier's members or to listed members, funded by a partner or the operator
    (a job; once per grant_id and member). Members suspended or closed, and ids that are no member, are skipped."""
    from ..jobs import grants as grant_job  # here, as dispatch in run_job

    return grant_job.start(call.rt, body)


# The same path as POST /v1/admin/jobs/{job} (one variable name per path segment): here it is a job's id.
@endpoint(admin_api, "/v1/admin/jobs/{job}", "GET", audience="operator", response=JobProgress)
def job_progress(call: Call, job: str) -> dict[str, Any]:
    """A grant job's progress: members gone through, credited and skipped, points credited, shards done."""
    return grants.job_progress(call.rt, job)


CAMPAIGN_LINKS = (
    Link("replace_campaign", {"path.campaign_id": "campaign_id", "body.campaign_id": "campaign_id"}),
    Link("delete_campaign", {"path.campaign_id": "campaign_id"}),
)


@endpoint(
    admin_api,
    "/v1/admin/campaigns",
    "POST",
    audience="operator",
    status=201,
    response=Campaign,
    links=CAMPAIGN_LINKS,
)
def create_campaign(call: Call, body: CampaignRequest) -> dict[str, Any]:
    """Start a campaign: a multiplier or fixed points on matching purchases, funded by a partner or the operator."""
    return campaigns.save_campaign(call.rt, body, create=True)


@endpoint(
    admin_api,
    "/v1/admin/offers",
    "POST",
    audience="operator",
    status=201,
    response=Campaign,
    links=CAMPAIGN_LINKS,
)
def create_offer(call: Call, body: CampaignRequest) -> dict[str, Any]:
    """Start an opt-in offer: a campaign that only members who enrol earn (POST /v1/me/offers/{id}/enrolment). The
    body is a campaign's; `opt_in` is implied. It is then a campaign like any other (replaced, ended, listed there)."""
    if "opt_in" in body.model_fields_set and not body.opt_in:
        raise InvalidRequest("an offer is opt-in: leave opt_in out, or true", field="opt_in")
    return campaigns.save_campaign(call.rt, body.model_copy(update={"opt_in": True}), create=True)


@endpoint(
    admin_api,
    "/v1/admin/campaigns/{campaign_id}",
    "PUT",
    audience="operator",
    response=Campaign,
    audit_before=_campaign_before,
)
def replace_campaign(call: Call, campaign_id: str, body: CampaignRequest) -> dict[str, Any]:
    """Replace a campaign (its id in the path and the body must agree)."""
    if body.campaign_id != campaign_id:
        raise InvalidRequest("campaign_id in the body differs from the path", field="campaign_id")
    return campaigns.save_campaign(call.rt, body, create=False)


@endpoint(
    admin_api,
    "/v1/admin/campaigns/{campaign_id}",
    "DELETE",
    audience="operator",
    status=204,
    audit_before=_campaign_before,
)
def delete_campaign(call: Call, campaign_id: str) -> Response:
    """End a campaign now."""
    campaigns.delete_campaign(call.rt, campaign_id)
    return Response(body="", status_code=204)


@endpoint(
    admin_api,
    "/v1/admin/audit",
    "GET",
    audience="operator",
    query=AuditRange,
    response=AuditPage,
    links=(Link("audit_trail", {"query.cursor": "next_cursor"}),),
)
def audit_trail(call: Call) -> dict[str, Any]:
    """Operator actions from..to (at most 92 days), in the order they happened: who, when, what, before, after."""
    query = AuditRange.model_validate(dict(call.request.query_params or {}))
    return audit.audit_page(call.rt, query.from_, query.to, call.limit(), call.query("cursor"))
