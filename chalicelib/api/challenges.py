"""Challenges (issue 12): the operator defines them and sets members' own targets; members see their progress and
enrol in opt-in ones; the operator reads a measured challenge's effect."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from ..domain.errors import InvalidRequest
from ..services import challenges, effect
from ..services.operations import Reply, body_text
from ..services.requests import ChallengeRequest, ChallengeTargetRequest
from .queries import EffectThrough
from .responses import (
    Challenge,
    ChallengeEffect,
    ChallengeList,
    ChallengeTarget,
    MemberChallenge,
    MemberChallengeList,
)
from .routing import Call, Link, endpoint

challenges_api = Blueprint(__name__)


def _challenge_before(call: Call, params: dict[str, Any]) -> Any:
    found = call.rt.store.directory.get_challenge(params["challenge_id"])
    return None if found is None else found.to_dict()


@endpoint(
    challenges_api,
    "/v1/admin/challenges",
    "POST",
    audience="operator",
    status=201,
    response=Challenge,
    links=(Link("get_challenge", {"path.challenge_id": "challenge_id"}),),
)
def create_challenge(call: Call, body: ChallengeRequest) -> dict[str, Any]:
    """Define a challenge: a goal (purchases, spend, distinct partners, or a weekly streak) reached within each
    period, rewarded once per period with points of its funder. The target is the same for all (`target`), or each
    member's own (`targets`: "set" by the operator, or "derived" from their previous months). At most 20 run at once."""
    return challenges.save_challenge(call.rt, body, create=True)


@endpoint(
    challenges_api,
    "/v1/admin/challenges/{challenge_id}",
    "PUT",
    audience="operator",
    response=Challenge,
    audit_before=_challenge_before,
)
def replace_challenge(call: Call, challenge_id: str, body: ChallengeRequest) -> dict[str, Any]:
    """Replace a challenge (its id in the path and the body must agree). Once it has started, only its name, its end
    and its reward (for completions from then on) may change."""
    if body.challenge_id != challenge_id:
        raise InvalidRequest("challenge_id in the body differs from the path", field="challenge_id")
    return challenges.save_challenge(call.rt, body, create=False)


@endpoint(
    challenges_api,
    "/v1/admin/challenges/{challenge_id}",
    "DELETE",
    audience="operator",
    status=204,
    audit_before=_challenge_before,
)
def end_challenge(call: Call, challenge_id: str) -> Response:
    """End a challenge now (one not started yet is deleted). Rewards already booked stay, and a return that undoes
    a completion still takes its reward back."""
    challenges.end_challenge(call.rt, challenge_id)
    return Response(body="", status_code=204)


@endpoint(challenges_api, "/v1/admin/challenges", "GET", audience="operator", response=ChallengeList)
def list_challenges(call: Call) -> dict[str, Any]:
    """Every challenge, by id (ended ones included)."""
    return {"challenges": challenges.list_challenges(call.rt)}


@endpoint(challenges_api, "/v1/admin/challenges/{challenge_id}", "GET", audience="operator", response=Challenge)
def get_challenge(call: Call, challenge_id: str) -> dict[str, Any]:
    """One challenge."""
    return challenges.get_challenge(call.rt, challenge_id)


@endpoint(
    challenges_api,
    "/v1/admin/challenges/{challenge_id}/targets/{member_id}",
    "PUT",
    audience="operator",
    response=ChallengeTarget,
)
def set_challenge_target(call: Call, challenge_id: str, member_id: str, body: ChallengeTargetRequest) -> dict[str, Any]:
    """A member's own target in a challenge with `targets: "set"` (a sales agent's objective): a number, or money
    for spend. A period the member has already made progress in keeps the target it began with; the next takes this
    one. Sent again with the same target, it changes nothing."""
    return challenges.set_target(call.rt, challenge_id, member_id, body.target)


@endpoint(
    challenges_api,
    "/v1/admin/challenges/{challenge_id}/effect",
    "GET",
    audience="operator",
    response=ChallengeEffect,
    query=EffectThrough,
)
def challenge_effect(call: Call, challenge_id: str) -> dict[str, Any]:
    """What a challenge with a control group changed: members taking part against those it held out (who never see
    it), per customer, with 95 % intervals, and the cost of the rewards. As a campaign's effect."""
    through = EffectThrough.model_validate(dict(call.request.query_params or {}))
    return effect.challenge_effect(call.rt, challenge_id, through.to)


@endpoint(challenges_api, "/v1/me/challenges", "GET", audience="member", response=MemberChallengeList)
def my_challenges(call: Call) -> dict[str, Any]:
    """Your challenges not over yet: this period's target and progress, whether it is complete, and the periods whose
    reward you hold. An opt-in challenge counts your purchases once you enrolled."""
    return {"challenges": challenges.member_challenges(call.rt, call.member_id)}


@endpoint(
    challenges_api,
    "/v1/me/challenges/{challenge_id}/enrolment",
    "POST",
    audience="member",
    status=201,
    response=MemberChallenge,
)
def enrol_in_challenge(call: Call, challenge_id: str) -> Reply:
    """Enrol in an opt-in challenge open to you: your purchases from now on count in it. Enrolling again changes
    nothing: the same answer, with `Idempotent-Replay: true`."""
    enrolled, view = challenges.enrol(call.rt, call.member_id, challenge_id)
    return Reply(201, body_text(view), replayed=not enrolled)
