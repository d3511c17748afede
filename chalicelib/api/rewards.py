"""The rewards catalogue: offerers (partners, the operator) publish rewards and honour claims; members claim."""

from __future__ import annotations

from chalice.app import Blueprint

from ..services import rewards
from ..services.operations import Reply
from ..services.requests import RewardClaimRequest, RewardCreate, RewardTermsDocument
from ..services.reward_views import ClaimCancelled, ClaimList, ClaimMade, ClaimView, RewardPage, RewardView
from .queries import Page
from .routing import Call, Link, endpoint

rewards_api = Blueprint(__name__)

OFFERERS = ("partner", "operator")


@endpoint(
    rewards_api,
    "/v1/rewards",
    "GET",
    audience=("member", "partner", "operator"),
    query=Page,
    response=RewardPage,
    links=(Link("list_rewards", {"query.cursor": "next_cursor"}),),
)
def list_rewards(call: Call) -> RewardPage:
    """The catalogue open to the caller: to a member, what they can claim now; to a partner, its own rewards in
    every state with what was claimed; to the operator, every reward."""
    assert call.principal is not None
    if call.principal.kind == "member":
        return rewards.catalogue_for_member(call.rt, call.member_id, call.limit(), call.query("cursor"))
    offerer = None if call.principal.kind == "operator" else call.partner_id
    return rewards.catalogue_for_offerer(call.rt, offerer, call.limit(), call.query("cursor"))


@endpoint(rewards_api, "/v1/rewards", "POST", audience=OFFERERS, status=201, response=RewardView)
def publish_reward(call: Call, body: RewardCreate) -> Reply:
    """Publish a reward: a product or an experience for points, with its stock, per-member limit, window and
    channels (the reward id is the catalogue's: an id in use is refused)."""
    return rewards.publish_reward(call.rt, call.party_id, body)


@endpoint(rewards_api, "/v1/rewards/{reward_id}", "PUT", audience=OFFERERS, response=RewardView)
def change_reward(call: Call, reward_id: str, body: RewardTermsDocument) -> RewardView:
    """Replace one of your rewards' terms (status "withdrawn" takes it out of the catalogue; claims made stay)."""
    return rewards.change_reward(call.rt, call.party_id, reward_id, body)


@endpoint(
    rewards_api,
    "/v1/me/rewards/{reward_id}/claims",
    "POST",
    audience="member",
    status=201,
    response=ClaimMade,
    links=(Link("find_claim", {"path.code": "code"}),),
)
def claim_reward(call: Call, reward_id: str, body: RewardClaimRequest) -> Reply:
    """Claim a reward with points (once per claim_id): the answer's code is what the offerer honours."""
    return rewards.claim_reward(call.rt, call.member_id, reward_id, body)


@endpoint(
    rewards_api,
    "/v1/me/reward-claims",
    "GET",
    audience="member",
    query=Page,
    response=ClaimList,
    links=(Link("my_claims", {"query.cursor": "next_cursor"}),),
)
def my_claims(call: Call) -> ClaimList:
    """My reward claims, newest first, with their codes and status."""
    return rewards.member_claims(call.rt, call.member_id, call.limit(), call.query("cursor"))


@endpoint(rewards_api, "/v1/reward-claims/{code}", "GET", audience=OFFERERS, response=ClaimView)
def find_claim(call: Call, code: str) -> ClaimView:
    """A claim of one of your rewards, by the code the member shows."""
    return rewards.offerer_claim(call.rt, call.party_id, code)


@endpoint(rewards_api, "/v1/reward-claims/{code}/fulfil", "POST", audience=OFFERERS, response=ClaimView)
def fulfil_claim(call: Call, code: str) -> ClaimView:
    """The reward was handed over (again: the same answer). A cancelled claim cannot be fulfilled."""
    return rewards.fulfil_claim(call.rt, call.party_id, code)


@endpoint(rewards_api, "/v1/reward-claims/{code}/cancel", "POST", audience=OFFERERS, response=ClaimCancelled)
def cancel_claim(call: Call, code: str) -> Reply:
    """You cannot honour the claim: the member gets the points back, the stock gets the claim back (the operator
    may cancel any claim, for its offerer). A fulfilled claim cannot be cancelled."""
    return rewards.cancel_claim(call.rt, call.party_id, code)
