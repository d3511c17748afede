"""Partners, their API keys, the programme, operator keys and member identity aliases."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.campaigns import Campaign
from ..domain.challenges import Challenge
from ..domain.errors import AlreadyExists, ConcurrencyConflict, NotFound, RuleViolation
from ..domain.membership import Plan
from ..domain.program import ApiKey, KeyScope, Partner, Program, program_from_document
from ..domain.segments import Segment
from ..settings import Settings
from .errors import get_or_none, translated
from .models import (
    AliasItem,
    ApiKeyItem,
    CampaignItem,
    ChallengeItem,
    OperatorKeyItem,
    PartnerItem,
    PlanItem,
    ProgramItem,
    SegmentItem,
)
from .tables import connection

PROGRAM_PK = "PROGRAM"


def partner_pk(partner_id: str) -> str:
    return f"PARTNER#{partner_id}"


def key_pk(key_id: str) -> str:
    return f"KEY#{key_id}"


# ---- partners ----------------------------------------------------------------------------------
def create_partner(partner: Partner, created_at: str) -> None:
    item = _partner_item(partner, created_at=created_at, key_ids=[])
    try:
        with translated():
            item.save(condition=PartnerItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise AlreadyExists(f"partner {partner.partner_id} already exists", field="partner_id") from error
        raise


def get_partner(partner_id: str) -> Partner | None:
    item = _get_partner_item(partner_id)
    return None if item is None else _to_partner(item)


def list_partners() -> list[Partner]:
    with translated():
        return [_to_partner(item) for item in PartnerItem.partners.query("partner")]


def save_partner(partner: Partner, settings: Settings) -> list[str]:
    """Replace a partner's profile, over the version it was read at; its keys learn the new status in the same
    transaction. Returns the partner's key ids. ConcurrencyConflict: someone changed it since, read it again."""
    current = _get_partner_item(partner.partner_id)
    if current is None:
        raise NotFound(f"partner {partner.partner_id} does not exist")
    if (current.version or 0) != partner.version:
        raise ConcurrencyConflict()
    item = _partner_item(partner, created_at=current.created_at, key_ids=list(current.key_ids))
    item.version = current.version  # pynamodb: condition `version = read version` (or absent), then bump it
    try:
        with translated():
            with TransactWrite(connection=connection(settings)) as transaction:
                transaction.save(item)
                for key_id in current.key_ids:
                    transaction.update(
                        ApiKeyItem(pk=key_pk(key_id)),
                        actions=[ApiKeyItem.partner_status.set(partner.status)],
                        condition=ApiKeyItem.pk.exists(),
                    )
    except TransactWriteError as error:
        _raise_conflict_if_lost(error)
        raise
    return list(current.key_ids)


# A partner's status change rewrites its partner item and every active key in one transaction: bounding the
# active keys keeps that transaction far below DynamoDB's 100 items (revoked keys leave the list).
MAX_ACTIVE_KEYS = 25


def add_api_key(
    partner_id: str, key_id: str, secret_hash: str, scope: KeyScope, created_at: str, settings: Settings
) -> None:
    partner = _get_partner_item(partner_id)
    if partner is None:
        raise NotFound(f"partner {partner_id} does not exist")
    if len(partner.key_ids) >= MAX_ACTIVE_KEYS:
        raise RuleViolation(f"a partner has at most {MAX_ACTIVE_KEYS} active keys: revoke one first", field="key")
    key = ApiKeyItem(
        pk=key_pk(key_id),
        key_id=key_id,
        partner_id=partner_id,
        secret_hash=secret_hash,
        partner_status=partner.status,
        created_at=created_at,
        scope=scope.value,
    )
    try:
        with translated():
            with TransactWrite(connection=connection(settings)) as transaction:
                transaction.save(key, condition=ApiKeyItem.pk.does_not_exist())
                # Over the partner's version as read: a concurrent suspension cannot miss this key.
                transaction.update(partner, actions=[PartnerItem.key_ids.set(list(partner.key_ids) + [key_id])])
    except TransactWriteError as error:
        _raise_conflict_if_lost(error)
        raise


def revoke_api_key(partner_id: str, key_id: str, revoked_at: str, settings: Settings) -> None:
    """Mark the key revoked and take it off the partner's active keys, over the partner's version as read.
    NotFound: no such active key of this partner; ConcurrencyConflict: the partner changed meanwhile."""
    partner = _get_partner_item(partner_id)
    if partner is None or key_id not in partner.key_ids:
        raise NotFound(f"partner {partner_id} has no active key {key_id}")
    try:
        with translated():
            with TransactWrite(connection=connection(settings)) as transaction:
                transaction.update(
                    ApiKeyItem(pk=key_pk(key_id)),
                    actions=[ApiKeyItem.revoked_at.set(revoked_at)],
                    condition=(ApiKeyItem.partner_id == partner_id) & ApiKeyItem.revoked_at.does_not_exist(),
                )
                transaction.update(
                    partner, actions=[PartnerItem.key_ids.set([k for k in partner.key_ids if k != key_id])]
                )
    except TransactWriteError as error:
        _raise_conflict_if_lost(error)
        raise


def get_api_key(key_id: str) -> ApiKey | None:
    with translated():
        item = get_or_none(ApiKeyItem, key_pk(key_id))
    if item is None:
        return None
    return ApiKey(
        item.key_id,
        item.partner_id,
        item.secret_hash,
        item.partner_status,
        item.revoked_at is not None,
        KeyScope(item.scope) if item.scope else KeyScope.ADMIN,
    )


def operator_key_exists(key_hash: str) -> bool:
    with translated():
        return get_or_none(OperatorKeyItem, f"OPKEY#{key_hash}") is not None


# ---- campaigns ---------------------------------------------------------------------------------
def save_campaign(document: dict[str, Any], updated_at: str, *, create: bool) -> None:
    """Create (refused if it exists) or replace (refused if it does not) a campaign."""
    item = CampaignItem(pk=f"CAMPAIGN#{document['campaign_id']}", document=document, updated_at=updated_at)
    _save_listed(item, CampaignItem.pk, f"campaign {document['campaign_id']}", "campaign_id", create=create)


def _save_listed(item: Any, pk: Any, what: str, field: str, *, create: bool) -> None:
    """A document of the listings index saved: created (refused if it exists) or replaced (refused if it does not)."""
    try:
        with translated():
            item.save(condition=pk.does_not_exist() if create else pk.exists())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        if create:
            raise AlreadyExists(f"{what} exists", field=field) from error
        raise NotFound(f"{what} does not exist") from error


def delete_campaign(campaign_id: str) -> None:
    try:
        with translated():
            CampaignItem(pk=f"CAMPAIGN#{campaign_id}").delete(condition=CampaignItem.pk.exists())
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise NotFound(f"campaign {campaign_id} does not exist") from error
        raise


def campaign_document(campaign_id: str) -> dict[str, Any] | None:
    """The campaign as the operator defined it (one GetItem)."""
    item = get_or_none(CampaignItem, f"CAMPAIGN#{campaign_id}", consistent_read=True)
    return None if item is None else dict(item.document)


def list_campaigns() -> list[Campaign]:
    return [Campaign.from_document(document) for document in campaign_documents()]


def campaign_documents() -> list[dict[str, Any]]:
    """Every campaign as defined (the listings index: one Query)."""
    with translated():
        return [dict(item.document) for item in CampaignItem.campaigns.query("campaign")]


# ---- segments ----------------------------------------------------------------------------------
def save_segment(segment: Segment, updated_at: str, *, create: bool) -> None:
    item = SegmentItem(pk=f"SEGMENT#{segment.segment_id}", document=segment.to_dict(), updated_at=updated_at)
    _save_listed(item, SegmentItem.pk, f"segment {segment.segment_id}", "segment_id", create=create)


def list_segments() -> list[Segment]:
    """Every segment (the listings index: one Query), as cached by the requests that evaluate them."""
    with translated():
        return [Segment.from_dict(item.document) for item in SegmentItem.segments.query("segment")]


def get_segment(segment_id: str) -> Segment | None:
    item = get_or_none(SegmentItem, f"SEGMENT#{segment_id}")
    return None if item is None else Segment.from_dict(item.document)


def set_count_job(segment: Segment, job_id: str) -> bool:
    """Name the count on the segment, if the segment still has the rules counted (False: it was replaced since)."""
    try:
        with translated():
            SegmentItem(pk=f"SEGMENT#{segment.segment_id}").update(
                actions=[SegmentItem.count_job.set(job_id)], condition=SegmentItem.document == segment.to_dict()
            )
        return True
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def segment_with_count(segment_id: str) -> tuple[Segment, str | None] | None:
    """The segment and its latest count's job id (one GetItem)."""
    item = get_or_none(SegmentItem, f"SEGMENT#{segment_id}")
    return None if item is None else (Segment.from_dict(item.document), item.count_job)


# ---- challenges --------------------------------------------------------------------------------
def save_challenge(challenge: Challenge, updated_at: str, *, create: bool) -> None:
    item = ChallengeItem(pk=f"CHALLENGE#{challenge.challenge_id}", document=challenge.to_dict(), updated_at=updated_at)
    _save_listed(item, ChallengeItem.pk, f"challenge {challenge.challenge_id}", "challenge_id", create=create)


def list_challenges() -> list[Challenge]:
    """Every challenge (the listings index: one Query), as cached by the purchases that count in them."""
    with translated():
        return [Challenge.from_dict(item.document) for item in ChallengeItem.challenges.query("challenge")]


def get_challenge(challenge_id: str) -> Challenge | None:
    """The challenge as last written (one consistent GetItem: an operator's change decides on it)."""
    item = get_or_none(ChallengeItem, f"CHALLENGE#{challenge_id}", consistent_read=True)
    return None if item is None else Challenge.from_dict(item.document)


def delete_challenge(challenge_id: str) -> None:
    try:
        with translated():
            ChallengeItem(pk=f"CHALLENGE#{challenge_id}").delete(condition=ChallengeItem.pk.exists())
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise NotFound(f"challenge {challenge_id} does not exist") from error
        raise


# ---- paid membership plans ---------------------------------------------------------------------
def save_plan(plan: Plan, updated_at: str, *, create: bool) -> None:
    item = PlanItem(pk=f"PLAN#{plan.plan_id}", document=plan.to_dict(), updated_at=updated_at)
    _save_listed(item, PlanItem.pk, f"plan {plan.plan_id}", "plan_id", create=create)


def list_plans() -> list[Plan]:
    """Every plan (the listings index: one Query), as cached by the purchases and sales that read them."""
    with translated():
        return [Plan.from_dict(item.document) for item in PlanItem.plans.query("plan")]


def get_plan(plan_id: str) -> Plan | None:
    """The plan as last written (one consistent GetItem: a sale charges its fee, an operator's change decides)."""
    item = get_or_none(PlanItem, f"PLAN#{plan_id}", consistent_read=True)
    return None if item is None else Plan.from_dict(item.document)


# ---- programme ---------------------------------------------------------------------------------
def get_program(*, consistent: bool = False) -> Program | None:
    """The programme (`consistent`: as last written, for an operator's check; requests read it cached)."""
    with translated():
        item = get_or_none(ProgramItem, PROGRAM_PK, consistent_read=consistent)
    return None if item is None else program_from_document(item.document, item.version or 0)


def put_program(document: dict[str, Any], updated_at: str) -> int:
    """Store the whole programme; returns its new version."""
    with translated():
        current = get_or_none(ProgramItem, PROGRAM_PK, consistent_read=True)
        item = current or ProgramItem(pk=PROGRAM_PK)
        item.document = document
        item.updated_at = updated_at
        try:
            item.save()
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise ConcurrencyConflict() from error
            raise
    return int(item.version)


def _raise_conflict_if_lost(error: TransactWriteError) -> None:
    """A condition failed: another writer changed an item since it was read (or took the new key id)."""
    reasons = error.cancellation_reasons or []
    if any(reason is not None and reason.code == "ConditionalCheckFailed" for reason in reasons):
        raise ConcurrencyConflict() from error


# ---- identity aliases --------------------------------------------------------------------------
def card_alias(card_number: str) -> str:
    return f"CARD#{card_number}"


def referral_alias(code: str) -> str:
    return f"REF#{code.upper()}"


def user_alias(subject: str) -> str:
    """The member a signed-in user of the member user pool is linked to (Cognito's `sub`, never a chosen claim)."""
    return f"SUB#{subject}"


def find_member_id(alias_key: str) -> str | None:
    with translated():
        item = get_or_none(AliasItem, alias_key)
    return None if item is None else item.member_id


# ---- mapping -----------------------------------------------------------------------------------
def _get_partner_item(partner_id: str) -> PartnerItem | None:
    with translated():
        return get_or_none(PartnerItem, partner_pk(partner_id), consistent_read=True)


def _partner_item(partner: Partner, *, created_at: str, key_ids: list[str]) -> PartnerItem:
    return PartnerItem(
        pk=partner_pk(partner.partner_id),
        partner_id=partner.partner_id,
        name=partner.name,
        currency=partner.currency,
        earn_rate=None if partner.earn_rate is None else format(partner.earn_rate, "f"),
        category_rates={k: format(v, "f") for k, v in partner.category_rates.items()},
        cashback_percent=None if partner.cashback_percent is None else format(partner.cashback_percent, "f"),
        category_cashback_percent={k: format(v, "f") for k, v in partner.category_cashback_percent.items()},
        fee_per_point=format(partner.fee_per_point, "f"),
        status=partner.status,
        key_ids=key_ids,
        created_at=created_at,
    )


def _to_partner(item: PartnerItem) -> Partner:
    return Partner(
        partner_id=item.partner_id,
        name=item.name,
        currency=item.currency,
        earn_rate=None if item.earn_rate is None else Decimal(item.earn_rate),
        category_rates={k: Decimal(v) for k, v in (item.category_rates or {}).items()},
        cashback_percent=None if item.cashback_percent is None else Decimal(item.cashback_percent),
        category_cashback_percent={k: Decimal(v) for k, v in (item.category_cashback_percent or {}).items()},
        fee_per_point=Decimal(item.fee_per_point),
        status=item.status,
        version=item.version or 0,
    )
