"""Operator use cases on campaigns, and the campaigns an earn sees (cached like the programme)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ..domain.campaigns import Campaign
from ..domain.challenges import PREFIX as CHALLENGE_PREFIX
from ..domain.errors import InvalidRequest, RuleViolation
from ..domain.membership import PREFIX as MEMBERSHIP_PREFIX
from ..domain.money import parse_rate
from ..domain.ownership import scoped
from ..domain.settlement import OPERATOR
from .measurement import check_measured
from .plans import require_plans
from .programs import current_program
from .requests import CampaignRequest
from .runtime import Runtime, iso
from .segments import require_segment


def all_campaigns(rt: Runtime) -> list[Campaign]:
    return rt.cache.get("campaigns", rt.store.directory.list_campaigns)


def save_campaign(rt: Runtime, request: CampaignRequest, *, create: bool, owner: str = OPERATOR) -> dict[str, Any]:
    """The operator's campaign, or a partner's (`owner`): stored under the partner's scoped id, naming the partner's
    scoped segment (domain/ownership.py), so two partners, or a partner and the operator, never share an id."""
    stored_id = scoped(owner, request.campaign_id)
    segment_id = None if request.segment is None else scoped(owner, request.segment)
    _check(rt, request, segment_id)
    _check_measurement(rt, request, stored_id, create=create)
    document = request.model_dump(mode="json", exclude_none=True)
    document["campaign_id"] = stored_id
    if segment_id is not None:
        document["segment"] = segment_id
    document["starts_at"], document["ends_at"] = iso(request.starts_at), iso(request.ends_at)
    if not request.opt_in:
        del document["opt_in"]  # shown when it is one: a campaign as it always was otherwise
    rt.store.directory.save_campaign(document, iso(rt.now()), create=create)
    rt.cache.forget("campaigns")
    return document


def delete_campaign(rt: Runtime, campaign_id: str) -> None:
    """End the campaign now. A measured one that has started is kept, ended (its end set to now): its report goes on
    naming it, and its id stays taken (its members' groups and figures belong to it)."""
    now = rt.now()
    document = rt.store.directory.campaign_document(campaign_id)
    found = None if document is None else Campaign.from_document(document)
    if document is not None and found is not None and found.measured and found.starts_at <= now:
        ended = {**document, "ends_at": iso(min(found.ends_at, now))}
        rt.store.directory.save_campaign(ended, iso(now), create=False)
    else:
        rt.store.directory.delete_campaign(campaign_id)
    rt.cache.forget("campaigns")


def public_campaigns(rt: Runtime, at: datetime) -> list[dict[str, Any]]:
    """What GET /v1/program publishes: campaigns running now or later, without their funding. A campaign for a
    segment, or one with a control group, is not for everyone to see: the members it targets earn it, and a held-out
    member would read a promise the programme does not keep for them. An opt-in offer is shown to the members it is
    open to (GET /v1/me/offers)."""
    return [
        {
            "campaign_id": c.campaign_id,
            "name": c.name,
            "starts_at": iso(c.starts_at),
            "ends_at": iso(c.ends_at),
            "partners": list(c.partners),
            "categories": list(c.categories),
            "channel": c.channel,
            "tiers": list(c.tiers),
            "max_per_member": c.max_per_member,
            **({"plans": list(c.plans)} if c.plans else {}),
            **({"multiplier": format(c.multiplier, "f")} if c.multiplier is not None else {"points": c.points}),
        }
        for c in sorted(all_campaigns(rt), key=lambda c: c.campaign_id)
        if c.ends_at > at and c.segment is None and not c.measured and not c.opt_in
    ]


def _check_measurement(rt: Runtime, request: CampaignRequest, stored_id: str, *, create: bool) -> None:
    """A member's group follows from the campaign id and its control share, and their figures from its days: once a
    campaign has started (or was ever measured) its control share and its start stay, and a measured id is not used
    again (services/measurement.py, which also bounds how many are measured at once)."""
    now = rt.now()
    campaigns = rt.store.directory.list_campaigns()  # read now, not from the cache: the check is about what is stored
    before = None if create else next((c for c in campaigns if c.campaign_id == stored_id), None)
    share = Decimal(request.control_share or 0)
    check_measured(rt, stored_id, share, create=create, field="campaign_id")
    if before is not None and (before.starts_at <= now or rt.store.settlements.effect_days(stored_id)):
        if before.control_share != share:
            raise RuleViolation(
                "control_share cannot change once the campaign has started (its groups would mix)",
                field="control_share",
            )
        if before.measured and before.starts_at != request.starts_at:
            raise RuleViolation("a measured campaign's start cannot move once it has started", field="starts_at")


def _check(rt: Runtime, request: CampaignRequest, segment_id: str | None) -> None:
    for prefix in (CHALLENGE_PREFIX, MEMBERSHIP_PREFIX):
        # A challenge's figures, enrolments and breakdown lines go by "challenge:<id>", a paid membership's multiplier
        # by "membership:<plan>": a campaign so named would read as one of them.
        if request.campaign_id.startswith(prefix):
            raise InvalidRequest(f"campaign ids do not begin with {prefix}", field="campaign_id")
    if request.multiplier is not None:
        multiplier = parse_rate(request.multiplier, "multiplier")
        if not Decimal(1) < multiplier <= Decimal(20):
            raise InvalidRequest("multiplier must be above 1 and at most 20", field="multiplier")
    known = {p.partner_id for p in rt.store.directory.list_partners()}
    if request.funder != OPERATOR and request.funder not in known:
        raise InvalidRequest(f"funder {request.funder} is neither the operator nor a partner", field="funder")
    for partner_id in request.partners or []:
        if partner_id not in known:
            raise InvalidRequest(f"{partner_id} is not a partner", field="partners")
    if request.control_share is not None:
        share = parse_rate(request.control_share, "control_share")
        if not Decimal("0.01") <= share <= Decimal("0.5"):
            raise InvalidRequest("control_share must be from 0.01 to 0.50", field="control_share")
    if segment_id is not None:
        require_segment(rt, segment_id)
    require_plans(rt, request.plans)
    if request.opt_in and request.control_share is not None:
        # Members who choose to enrol are not like those who do not: comparing them with a held-out group of the
        # targeted would measure the choosing, not the offer.
        raise InvalidRequest("an opt-in offer holds out no control group", field="control_share")
    tiers = {tier.name for tier in current_program(rt).tiers}
    for tier in request.tiers or []:
        if tier not in tiers:
            raise InvalidRequest(f"{tier} is not a tier of the programme", field="tiers")
