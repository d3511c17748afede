"""What the rewards use cases answer, as typed values (pydantic: the OpenAPI document is written from them)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..domain.rewards import Claim, Reward
from ..domain.timefmt import iso


# defer_build: built when first used, not at import (see services/requests.py).
class View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)  # answers may gain fields (API.md)


class RewardView(View):
    reward_id: str
    offered_by: str = Field(description="the partner that honours it (or the operator)")
    name: str
    description: str
    points: int = Field(description="what a claim spends")
    stock: int | None = Field(description="claims it can take in all (null: no limit)")
    claimed: int = Field(description="claims taken and not cancelled")
    remaining: int | None = Field(description="claims left (null: no limit)")
    per_member_limit: int | None
    valid_from: str = Field(description="ISO 8601 UTC, milliseconds")
    valid_until: str = Field(description="claims are taken until this moment (excluded)")
    channels: list[Literal["store", "online"]] = Field(description="where the offerer honours the claim's code")
    tiers: list[str] | None = Field(description="the tiers that may claim (null: every member)")
    status: Literal["active", "withdrawn"]


class RewardPage(View):
    rewards: list[RewardView]
    next_cursor: str | None = Field(description="a page may hold fewer than limit: follow next_cursor until null")


class ClaimView(View):
    claim_id: str = Field(description="the member's own id for the claim")
    code: str = Field(description="what the member shows; the offerer fulfils or cancels the claim by it")
    reward_id: str
    reward_name: str
    offered_by: str
    points: int
    status: Literal["claimed", "fulfilled", "cancelled"]
    claimed_at: str = Field(description="ISO 8601 UTC, milliseconds")
    closed_at: str | None = Field(description="when it was fulfilled or cancelled")


class ClaimList(View):
    claims: list[ClaimView]
    next_cursor: str | None


def reward_view(reward: Reward) -> RewardView:
    terms = reward.terms
    return RewardView(
        reward_id=reward.reward_id,
        offered_by=reward.offered_by,
        name=terms.name,
        description=terms.description,
        points=terms.points,
        stock=terms.stock,
        claimed=reward.claimed,
        remaining=reward.remaining,
        per_member_limit=terms.per_member_limit,
        valid_from=iso(terms.valid_from),
        valid_until=iso(terms.valid_until),
        channels=[channel.value for channel in sorted(terms.channels)],
        tiers=None if terms.tiers is None else sorted(terms.tiers),
        status=terms.status.value,
    )


def claim_view(claim: Claim) -> ClaimView:
    return ClaimView(
        claim_id=claim.claim_id,
        code=claim.code,
        reward_id=claim.reward_id,
        reward_name=claim.reward_name,
        offered_by=claim.offered_by,
        points=claim.points,
        status=claim.status.value,
        claimed_at=claim.claimed_at,
        closed_at=claim.closed_at,
    )


class ClaimMade(ClaimView):
    entry_id: str = Field(description="the reward entry in the member's history")
    available_points: int


class ClaimCancelled(ClaimView):
    entry_id: str = Field(description="the reward_cancel entry in the member's history")
    points_given_back: int
    expired_points: int = Field(description="of those, points past their validity: expired at once")
