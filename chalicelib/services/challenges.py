"""Operator use cases on challenges (domain/challenges.py), the challenges a purchase sees (cached like the
campaigns), and a member's own challenges.

Cost: a purchase reads the challenges through the configuration cache (one Query per container and cache period);
a member's list reads their wallet head (1 GetItem); setting a member's target or enrolling reads and writes their
wallet head."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..domain.campaigns import Campaign, forget_ended_offers, offer_last_days
from ..domain.challenge_progress import ChallengeKind, SetTarget
from ..domain.challenges import (
    MAX_RUNNING,
    RETURNS_COUNTED,
    Challenge,
    ChallengePeriod,
    DerivedTarget,
    forget_ended_targets,
    most_running,
    progress_key,
)
from ..domain.effect import CONTROL, TREATED, in_control
from ..domain.errors import (
    InvalidRequest,
    NotFound,
    RuleViolation,
)
from ..domain.money import parse_amount, parse_rate
from ..domain.segments import Segment
from ..domain.settlement import OPERATOR
from ..domain.wallet import Wallet
from .campaigns import all_campaigns
from .measurement import check_measured
from .plans import require_plans
from .programs import current_program
from .requests import ChallengeRequest
from .runtime import Runtime, iso
from .segments import all_segments, require_segment, takes_in
from .wallet_writes import write_wallet


def all_challenges(rt: Runtime) -> list[Challenge]:
    return rt.cache.get("challenges", rt.store.directory.list_challenges)


def enrolments_kept(campaigns: list[Campaign], challenges: list[Challenge]) -> dict[str, str]:
    """What each enrolment in a member's wallet is kept to now: the last day of its offer, or of its opt-in
    challenge, as they stand (extended, they keep their enrolments longer)."""
    return offer_last_days(campaigns) | {c.key: c.last_day.isoformat() for c in challenges if c.opt_in}


def target_days(challenges: list[Challenge]) -> dict[str, str]:
    """The last day of each challenge, as it stands: what members' set targets are kept to."""
    return {c.challenge_id: c.last_day.isoformat() for c in challenges}


# ---- the operator ------------------------------------------------------------------------------------------------
def save_challenge(rt: Runtime, request: ChallengeRequest, *, create: bool) -> dict[str, Any]:
    challenge = _challenge_of(rt, request)
    stored = rt.store.directory.list_challenges()  # read now, not from the cache: the checks are about what is stored
    before = next((c for c in stored if c.challenge_id == challenge.challenge_id), None)
    if not create and before is None:
        raise NotFound(f"challenge {challenge.challenge_id} does not exist")
    if before is not None and before.starts_at <= rt.now():
        _check_started(before, challenge, rt.now())
    others = [c for c in stored if c.challenge_id != challenge.challenge_id]
    if most_running([*others, challenge]) > MAX_RUNNING:
        raise RuleViolation(
            f"at most {MAX_RUNNING} challenges at once, each counted until {RETURNS_COUNTED.days} days after it ends "
            "(a member's progress in each is kept in their wallet until then)",
            field="starts_at",
        )
    check_measured(rt, challenge.key, challenge.control_share, create=create, field="control_share")
    rt.store.directory.save_challenge(challenge, iso(rt.now()), create=create)
    rt.cache.forget("challenges")
    return challenge.to_dict()


def end_challenge(rt: Runtime, challenge_id: str) -> None:
    """End it now. One that has started is kept, ended (its end set to now): its members' completed periods keep
    their rewards and their returns undo them, and its id stays taken. One not started yet is deleted."""
    now = rt.now()
    found = rt.store.directory.get_challenge(challenge_id)
    if found is None:
        raise NotFound(f"challenge {challenge_id} does not exist")
    if found.starts_at <= now:
        ended = Challenge.from_dict({**found.to_dict(), "ends_at": iso(min(found.ends_at, now))})
        rt.store.directory.save_challenge(ended, iso(now), create=False)
    else:
        rt.store.directory.delete_challenge(challenge_id)
    rt.cache.forget("challenges")


def get_challenge(rt: Runtime, challenge_id: str) -> dict[str, Any]:
    found = rt.store.directory.get_challenge(challenge_id)
    if found is None:
        raise NotFound(f"challenge {challenge_id} does not exist")
    return found.to_dict()


def list_challenges(rt: Runtime) -> list[dict[str, Any]]:
    return [c.to_dict() for c in sorted(rt.store.directory.list_challenges(), key=lambda c: c.challenge_id)]


def set_target(rt: Runtime, challenge_id: str, member_id: str, raw_target: object) -> dict[str, Any]:
    """A member's own target in a challenge with targets "set" (a sales agent's objective): kept in their wallet until
    the challenge ends. A period the member has already made progress in keeps the target it began with (its
    completion is decided on it); the next one takes the new target."""
    challenge = rt.store.directory.get_challenge(challenge_id)
    if challenge is None:
        raise NotFound(f"challenge {challenge_id} does not exist")
    if challenge.targets != "set":
        raise RuleViolation(f"challenge {challenge_id} does not take targets set per member", field="challenge_id")
    if challenge.ends_at <= rt.now():
        raise RuleViolation(f"challenge {challenge_id} has ended", field="challenge_id")
    target = _target(rt, challenge.kind, raw_target, "target")
    if challenge.kind is ChallengeKind.STREAK and target > _weeks_spanned(challenge):
        raise InvalidRequest("the streak is longer than the weeks a period spans", field="target")
    entry = SetTarget(target, challenge.kind, challenge.last_day.isoformat())
    kept = target_days(all_challenges(rt))

    def change(wallet: Wallet) -> bool:
        forget_ended_targets(wallet.challenge_targets, rt.now().date().isoformat(), kept)
        if wallet.challenge_targets.get(challenge_id) == entry:
            return False
        wallet.challenge_targets[challenge_id] = entry
        return True

    write_wallet(rt, member_id, change, allow_inactive=True)
    return {"challenge_id": challenge_id, "member_id": member_id, "target": challenge.shown(target)}


# ---- the member --------------------------------------------------------------------------------------------------
def member_challenges(rt: Runtime, member_id: str) -> list[dict[str, Any]]:
    wallet = rt.store.wallets.load(member_id, whole=False, consistent=False)
    if wallet is None:
        raise NotFound("member not found")
    now = rt.now()
    return [_view(c, wallet, now, enrolled=c.key in wallet.offers) for c in _open_challenges(rt, wallet, now)]


def enrol(rt: Runtime, member_id: str, challenge_id: str) -> tuple[bool, dict[str, Any]]:
    """(enrolled now, the challenge as the member sees it): enrolling twice changes nothing and answers the same."""
    now = rt.now()
    enrolled_now = False
    seen: dict[str, Any] = {}

    def change(wallet: Wallet) -> bool:
        nonlocal enrolled_now, seen
        challenge = next((c for c in _open_challenges(rt, wallet, now) if c.challenge_id == challenge_id), None)
        if challenge is None or not challenge.opt_in:
            raise NotFound(f"no challenge {challenge_id} to enrol in is open to you", field="challenge_id")
        if challenge.key in wallet.offers:
            enrolled_now, seen = False, _view(challenge, wallet, now, enrolled=True)
            return False
        if challenge.starts_at > now:
            raise RuleViolation(f"challenge {challenge_id} opens at {iso(challenge.starts_at)}", field="challenge_id")
        forget_ended_offers(
            wallet.offers, now.date().isoformat(), enrolments_kept(all_campaigns(rt), all_challenges(rt))
        )
        wallet.offers[challenge.key] = challenge.last_day.isoformat()
        enrolled_now, seen = True, _view(challenge, wallet, now, enrolled=True)
        return True

    write_wallet(rt, member_id, change, allow_inactive=False)
    return enrolled_now, seen


@dataclass(frozen=True)
class TakingPart:
    """The challenges a purchase counts in for this member (tier, segment, enrolment, not held out), and the measured
    ones with the member's group in each and the last day their figures are kept."""

    playing: list[Challenge] = field(default_factory=list)
    measured: list[tuple[str, str]] = field(default_factory=list)
    kept_until: dict[str, str] = field(default_factory=dict)


def taking_part(challenges: list[Challenge], segments: dict[str, Segment], wallet: Wallet, on: date) -> TakingPart:
    """Of the challenges a purchase counts in (`challenges`), those that take this member in. A member measured in a
    challenge stays measured while it counts their purchases, as in a measured campaign (earning.purchase_for)."""
    taking = TakingPart()
    for challenge in challenges:
        targeted = _open_to(challenge, segments, wallet, on) and (
            not challenge.opt_in or challenge.key in wallet.offers
        )
        control = in_control(wallet.member_id, challenge.key, challenge.control_share)
        if challenge.measured and (targeted or challenge.key in wallet.campaign_measures):
            taking.measured.append((challenge.key, CONTROL if control else TREATED))
            taking.kept_until[challenge.key] = challenge.kept_until
        if targeted and not control:
            taking.playing.append(challenge)
    return taking


def _open_challenges(rt: Runtime, wallet: Wallet, now: datetime) -> list[Challenge]:
    """Challenges not over whose tier filter and segment take the member in, that hold them out of no control group
    and give them a target, by start."""
    running = [c for c in all_challenges(rt) if c.ends_at > now]
    segments = all_segments(rt) if any(c.segment for c in running) else {}
    today = now.date()
    shown_ones = [
        c
        for c in running
        if _open_to(c, segments, wallet, today) and not in_control(wallet.member_id, c.key, c.control_share)
    ]
    return sorted(shown_ones, key=lambda c: (c.starts_at, c.challenge_id))


def _open_to(challenge: Challenge, segments: dict[str, Segment], wallet: Wallet, on: date) -> bool:
    """Is the challenge the member's: its tier filter and segment take them in, and (targets set per member) the
    operator gave them a target? An opt-in one, before they enrol."""
    return takes_in(challenge.tiers, challenge.segment, segments, wallet, on, challenge.plans) and (
        challenge.targets != "set" or challenge.challenge_id in wallet.challenge_targets
    )


def _view(challenge: Challenge, wallet: Wallet, now: datetime, *, enrolled: bool) -> dict[str, Any]:
    at = max(now, challenge.starts_at)
    period = challenge.period_of(at)
    first, last = challenge.period_days(period)
    progress = wallet.challenges.get(progress_key(challenge.challenge_id, period))
    target = progress.target if progress is not None else challenge.target_for(wallet, period)
    value = progress.value if progress is not None else Decimal(0)
    completed = [
        {"period": key.rsplit("/", 1)[1], "points": p.reward.points, "completed_on": p.reward.booked_on}
        for key, p in sorted(wallet.challenges.items())
        if key.rsplit("/", 1)[0] == challenge.challenge_id and p.reward is not None
    ]
    return {
        "challenge_id": challenge.challenge_id,
        "name": challenge.name,
        "kind": challenge.kind.value,
        "starts_at": iso(challenge.starts_at),
        "ends_at": iso(challenge.ends_at),
        "partners": list(challenge.partners),
        "min_amount": format(challenge.min_amount, "f") if challenge.min_amount else None,
        "reward_points": challenge.reward_points,
        "opt_in": challenge.opt_in,
        "enrolled": enrolled if challenge.opt_in else None,
        "period": {"period": period, "from": first.isoformat(), "to": last.isoformat()},
        "target": None if target is None else challenge.shown(target),
        "progress": challenge.shown(value),
        "completed": progress is not None and progress.reward is not None,
        "rewarded": completed,
    }


# ---- checks ------------------------------------------------------------------------------------------------------
def _challenge_of(rt: Runtime, request: ChallengeRequest) -> Challenge:
    kind = ChallengeKind(request.kind)
    known = {p.partner_id for p in rt.store.directory.list_partners()}
    funder = request.reward.funder
    if funder != OPERATOR and funder not in known:
        raise InvalidRequest(f"funder {funder} is neither the operator nor a partner", field="reward.funder")
    for partner_id in request.partners or []:
        if partner_id not in known:
            raise InvalidRequest(f"{partner_id} is not a partner", field="partners")
    tiers = {tier.name for tier in current_program(rt).tiers}
    for tier in request.tiers or []:
        if tier not in tiers:
            raise InvalidRequest(f"{tier} is not a tier of the programme", field="tiers")
    if request.segment is not None:
        require_segment(rt, request.segment)
    require_plans(rt, request.plans)
    share = Decimal(0)
    if request.control_share is not None:
        share = parse_rate(request.control_share, "control_share")
        if not Decimal("0.01") <= share <= Decimal("0.5"):
            raise InvalidRequest("control_share must be from 0.01 to 0.50", field="control_share")
        if request.opt_in:
            raise InvalidRequest("an opt-in challenge holds out no control group", field="control_share")
    min_amount = Decimal(0)
    if request.min_amount is not None:
        min_amount = parse_amount(request.min_amount, current_program(rt).currency, field="min_amount")
    derived = None
    if request.derived is not None:
        if kind not in (ChallengeKind.PURCHASES, ChallengeKind.SPEND):
            raise InvalidRequest("targets are derived for purchases and spend challenges", field="targets")
        if kind is ChallengeKind.SPEND and request.partners:
            raise InvalidRequest(
                "a spend target cannot be derived at given partners: the wallet keeps spend by month, not partner",
                field="derived",
            )
        factor = parse_rate(request.derived.factor, "derived.factor")
        if not Decimal("0.1") <= factor <= Decimal(10):
            raise InvalidRequest("derived.factor must be from 0.1 to 10", field="derived.factor")
        derived = DerivedTarget(request.derived.months, factor, _target(rt, kind, request.derived.minimum, "derived"))
    target = None if request.target is None else _target(rt, kind, request.target, "target")
    challenge = Challenge(
        challenge_id=request.challenge_id,
        name=request.name,
        kind=kind,
        period=ChallengePeriod(request.period),
        starts_at=request.starts_at,
        ends_at=request.ends_at,
        reward_points=request.reward.points,
        funder=funder,
        target=target,
        targets=request.targets,
        derived=derived,
        partners=tuple(request.partners or ()),
        min_amount=min_amount,
        tiers=tuple(request.tiers or ()),
        segment=request.segment,
        plans=tuple(request.plans or ()),
        control_share=share,
        opt_in=request.opt_in,
        currency=current_program(rt).currency,
    )
    if kind is ChallengeKind.STREAK and target is not None and target > _weeks_spanned(challenge):
        raise InvalidRequest("the streak is longer than the weeks a period spans", field="target")
    return challenge


def _target(rt: Runtime, kind: ChallengeKind, raw: object, field: str) -> Decimal:
    """A target of this kind: money for spend (a decimal string in the programme's currency), else a whole number."""
    if kind is ChallengeKind.SPEND:
        if not isinstance(raw, str):
            money = f'{field} of a spend challenge is money, a decimal string such as "300.00"'
            raise InvalidRequest(money, field=field)
        return parse_amount(raw, current_program(rt).currency, field=field)
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= 10_000:
        raise InvalidRequest(f"{field} of a {kind.value} challenge is a whole number from 1 to 10000", field=field)
    return Decimal(raw)


def _weeks_spanned(challenge: Challenge) -> int:
    """The most weeks one period of the challenge touches (its longest possible streak)."""
    if challenge.period is ChallengePeriod.WHOLE:
        first, last = challenge.starts_at.date(), challenge.last_day
        return (last.toordinal() - 1) // 7 - (first.toordinal() - 1) // 7 + 1
    return 6 if challenge.period is ChallengePeriod.MONTH else 14


def _check_started(before: Challenge, after: Challenge, now: datetime) -> None:
    """Once a challenge has started, members' progress and groups rest on what it counts and whom it takes: only its
    name, its end (not into the past: DELETE ends it now) and its reward (for completions from then on) may change."""
    if after.ends_at < now and after.ends_at != before.ends_at:
        raise RuleViolation("ends_at is in the past: end the challenge now with DELETE", field="ends_at")
    fixed = "kind period starts_at target targets derived partners min_amount tiers segment control_share opt_in"
    fixed += " currency plans"
    for name in fixed.split():
        if getattr(before, name) != getattr(after, name):
            raise RuleViolation(f"{name} cannot change once the challenge has started", field=name)
