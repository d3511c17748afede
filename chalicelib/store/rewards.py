"""The rewards table: catalogue rewards (REWARD#<id>), members' claims (CLAIM#<code>) and how many claims of a
reward each member holds (USES#<reward>#<member>). The store owns these key formats.

A reward's `claimed` counter is moved only by bookings, with ADD under a condition (never written whole): a claim
takes one while `claimed < stock`, so concurrent claims can never take more than the stock, and a PUT of the terms
cannot reset what was claimed. The member's uses move the same way under the per-member limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from ..domain.errors import NotFound
from ..domain.rewards import Channel, Claim, ClaimStatus, Reward, RewardStatus, RewardTerms, StockMove
from ..domain.timefmt import iso
from ..domain.wallet import Portion
from .errors import get_or_none, translated
from .models import ClaimItem, RewardItem, RewardUsesItem

CATALOGUE = "reward"  # the catalogue index's one partition: the catalogue is small and read a page at a time


def reward_key(reward_id: str) -> str:
    return f"REWARD#{reward_id}"


def claim_key(code: str) -> str:
    return f"CLAIM#{code}"


def uses_key(reward_id: str, member_id: str) -> str:
    return f"USES#{reward_id}#{member_id}"


# ---- the catalogue -----------------------------------------------------------------------------
def find_reward(reward_id: str) -> Reward | None:
    """As last written (a claim reads the stock and window it is about to take from)."""
    with translated():
        item = get_or_none(RewardItem, reward_key(reward_id), consistent_read=True)
    return None if item is None else _to_reward(item)


def create_reward(reward: Reward, at: str) -> bool:
    """Create it; False when a reward of that id exists already (the caller decides whether it is a replay)."""
    item = RewardItem(
        pk=reward_key(reward.reward_id),
        reward_id=reward.reward_id,
        offered_by=reward.offered_by,
        catalogue_of=reward.offered_by,
        terms=terms_to_dict(reward.terms),
        stock=reward.terms.stock,
        claimed=0,
        created_at=at,
        updated_at=at,
    )
    try:
        with translated():
            item.save(condition=RewardItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def replace_terms(reward_id: str, offered_by: str, terms: RewardTerms, at: str) -> Reward:
    """The offerer's new terms, whole; the claims counter is left as the claims made it."""
    actions: list[Action] = [
        RewardItem.terms.set(terms_to_dict(terms)),
        RewardItem.updated_at.set(at),
        RewardItem.stock.remove() if terms.stock is None else RewardItem.stock.set(terms.stock),
    ]
    item = RewardItem(pk=reward_key(reward_id))
    try:
        with translated():
            item.update(actions=actions, condition=RewardItem.pk.exists() & (RewardItem.offered_by == offered_by))
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise NotFound(f"reward {reward_id} not found among yours", field="reward_id") from error
        raise
    refreshed = find_reward(reward_id)
    assert refreshed is not None, "rewards are never deleted"
    return refreshed


def catalogue_page(limit: int, after: str | None, offered_by: str | None = None) -> tuple[list[Reward], str | None]:
    """One page of the catalogue (`offered_by`: of one offerer only) in reward id order: one Query of the keys, one
    BatchGetItem of the items as last written; the id the next page starts after (None: the last page). One item
    more than asked tells whether another page exists."""
    if offered_by is None:
        start = None if after is None else {"listing": {"S": CATALOGUE}, "pk": {"S": reward_key(after)}}
        query = RewardItem.catalogue.query(CATALOGUE, limit=limit + 1, last_evaluated_key=start)
    else:
        start = None if after is None else {"catalogue_of": {"S": offered_by}, "pk": {"S": reward_key(after)}}
        query = RewardItem.by_offerer.query(offered_by, limit=limit + 1, last_evaluated_key=start)
    with translated():
        keys = [item.pk for item in query]
        page = keys[:limit]
        found = {item.pk: item for item in RewardItem.batch_get(page, consistent_read=True)} if page else {}
    rewards = [_to_reward(found[key]) for key in page if key in found]
    return rewards, page[-1].removeprefix("REWARD#") if len(keys) > limit else None


# ---- claims ------------------------------------------------------------------------------------
def find_claim(code: str) -> Claim | None:
    with translated():
        item = get_or_none(ClaimItem, claim_key(code), consistent_read=True)
    return None if item is None else _to_claim(item)


def member_claims(member_id: str, limit: int, after: ClaimCursor | None) -> tuple[list[Claim], ClaimCursor | None]:
    """The member's newest claims first, a page at a time (one Query of limit + 1: whether more exist)."""
    start = None
    if after is not None:
        start = {
            "member_id": {"S": member_id},
            "claimed_at": {"S": after.claimed_at},
            "pk": {"S": claim_key(after.code)},
        }
    with translated():
        items = list(
            ClaimItem.by_member.query(member_id, scan_index_forward=False, limit=limit + 1, last_evaluated_key=start)
        )
    claims = [_to_claim(item) for item in items[:limit]]
    more = len(items) > limit
    return claims, ClaimCursor(claims[-1].claimed_at, claims[-1].code) if more else None


@dataclass(frozen=True)
class ClaimCursor:
    """Where a page of a member's claims ended (the index's sort key, and the item's key for a tie)."""

    claimed_at: str
    code: str


def save_fulfilment(claim: Claim) -> None:
    """A claim fulfilled, over the version read (ConcurrencyConflict: a cancel came first; read again)."""
    with translated():
        claim_item(claim).save()


def claim_item(claim: Claim) -> ClaimItem:
    item = ClaimItem(
        pk=claim_key(claim.code),
        code=claim.code,
        claim_id=claim.claim_id,
        member_id=claim.member_id,
        reward_id=claim.reward_id,
        offered_by=claim.offered_by,
        reward_name=claim.reward_name,
        points=claim.points,
        point_value=format(claim.point_value, "f"),
        spent=[p.to_dict() for p in claim.spent],
        claimed_at=claim.claimed_at,
        status=claim.status.value,
        closed_at=claim.closed_at,
    )
    if claim.version:  # written over the version read; a new claim carries none (created only if absent)
        item.version = claim.version
    return item


def stock_updates(move: StockMove) -> list[tuple[str, Model, list[Action], Condition | None]]:
    """The counter updates a claim (+1) or a cancel (−1) books, each with what its condition failing means. The
    member's uses are counted whether or not a limit is in force, so a limit the offerer adds later holds."""
    reward = RewardItem(pk=reward_key(move.reward_id))
    uses = RewardUsesItem(pk=uses_key(move.reward_id, move.member_id))
    if move.delta < 0:
        return [
            ("conflict", reward, [RewardItem.claimed.add(move.delta)], RewardItem.pk.exists()),
            ("conflict", uses, [RewardUsesItem.uses.add(move.delta)], RewardUsesItem.pk.exists()),
        ]
    in_stock = RewardItem.stock.does_not_exist() | (RewardItem.claimed < RewardItem.stock)
    below_limit = None
    if move.per_member_limit is not None:
        below_limit = RewardUsesItem.uses.does_not_exist() | (RewardUsesItem.uses < move.per_member_limit)
    return [
        ("out_of_stock", reward, [RewardItem.claimed.add(move.delta)], RewardItem.pk.exists() & in_stock),
        ("claim_limit", uses, [RewardUsesItem.uses.add(move.delta)], below_limit),
    ]


# ---- (de)serialising ---------------------------------------------------------------------------
def terms_to_dict(terms: RewardTerms) -> dict[str, Any]:
    return {
        "name": terms.name,
        "description": terms.description,
        "points": terms.points,
        "stock": terms.stock,
        "per_member_limit": terms.per_member_limit,
        "valid_from": iso(terms.valid_from),
        "valid_until": iso(terms.valid_until),
        "channels": sorted(terms.channels),
        "tiers": None if terms.tiers is None else sorted(terms.tiers),
        "status": terms.status.value,
    }


def terms_from_dict(raw: dict[str, Any]) -> RewardTerms:
    return RewardTerms(
        name=raw["name"],
        description=raw["description"],
        points=int(raw["points"]),
        stock=None if raw["stock"] is None else int(raw["stock"]),
        per_member_limit=None if raw["per_member_limit"] is None else int(raw["per_member_limit"]),
        valid_from=datetime.fromisoformat(raw["valid_from"]),
        valid_until=datetime.fromisoformat(raw["valid_until"]),
        channels=frozenset(Channel(c) for c in raw["channels"]),
        tiers=None if raw["tiers"] is None else frozenset(raw["tiers"]),
        status=RewardStatus(raw["status"]),
    )


def _to_reward(item: RewardItem) -> Reward:
    return Reward(item.reward_id, item.offered_by, terms_from_dict(item.terms), int(item.claimed or 0))


def _to_claim(item: ClaimItem) -> Claim:
    return Claim(
        code=item.code,
        claim_id=item.claim_id,
        member_id=item.member_id,
        reward_id=item.reward_id,
        offered_by=item.offered_by,
        reward_name=item.reward_name,
        points=int(item.points),
        point_value=Decimal(item.point_value),
        spent=tuple(Portion.from_dict(p) for p in item.spent),
        claimed_at=item.claimed_at,
        status=ClaimStatus(item.status),
        closed_at=item.closed_at,
        version=item.version or 0,
    )
