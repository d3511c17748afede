"""The rewards catalogue: offerers (partners, the operator) publish rewards; members claim them with points; the
offerer fulfils or cancels the claim (domain/rewards.py says what each step means).

Costs, at any history: a claim is 2 GetItems (the reward as last written, the wallet) + 1 TransactWriteItems of
6 items (operation record, wallet, entry, claim, the reward's counter, the member's uses); a cancel 2 GetItems
(the claim, the wallet) + 1 TransactWriteItems of 6; a fulfilment 1 GetItem + 1 PutItem.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ..domain.cursors import decode_cursor, encode_cursor, refused
from ..domain.errors import ConcurrencyConflict, IdempotencyConflict, NotFound, RuleViolation
from ..domain.ledger import new_entry
from ..domain.movements import EntryType, OperationKind
from ..domain.program import OPERATOR
from ..domain.rewards import Channel, Claim, Reward, RewardStatus, RewardTerms, StockMove, is_reward_id
from ..domain.tiers import record_redemption
from ..domain.vouchers import is_code, new_code
from ..domain.wallet import Wallet
from ..store.rewards import ClaimCursor
from .operations import (
    Decide,
    Operation,
    Outcome,
    Reply,
    body_text,
    expire_due_lots,
    fingerprint,
    read_once_then_afresh,
    run_operation,
)
from .programs import current_program
from .requests import RewardClaimRequest, RewardCreate, RewardTermsDocument
from .reward_views import ClaimList, ClaimView, RewardPage, RewardView, claim_view, reward_view
from .runtime import Runtime, iso


# ---- publishing ------------------------------------------------------------------------------------
def publish_reward(rt: Runtime, offered_by: str, document: RewardCreate) -> Reply:
    """A new reward in the catalogue. Its id is the catalogue's (members claim by it): an id in use is refused,
    unless this is the same offerer sending the same terms again (a retried create answers as the first time)."""
    terms = _terms(rt, document)
    reward = Reward(document.reward_id, offered_by, terms)
    if rt.store.rewards.create(reward, iso(rt.now())):
        return Reply(201, body_text(reward_view(reward).model_dump(mode="json")))
    existing = rt.store.rewards.find(document.reward_id)
    if existing is not None and existing.offered_by == offered_by and existing.terms == terms:
        return Reply(201, body_text(reward_view(existing).model_dump(mode="json")), replayed=True)
    raise IdempotencyConflict(
        f"reward id {document.reward_id} is taken: choose another (PUT /v1/rewards/{{reward_id}} changes your own)",
        field="reward_id",
    )


def change_reward(rt: Runtime, offered_by: str, reward_id: str, document: RewardTermsDocument) -> RewardView:
    """New terms, whole, for one of the offerer's own rewards (withdraw it with status "withdrawn"). Claims made
    stay as they were; the stock counts the claims taken, so a stock below them closes the reward."""
    if not is_reward_id(reward_id):
        raise NotFound(f"reward {reward_id} not found among yours", field="reward_id")
    return reward_view(rt.store.rewards.replace_terms(reward_id, offered_by, _terms(rt, document), iso(rt.now())))


def _terms(rt: Runtime, document: RewardTermsDocument) -> RewardTerms:
    program = current_program(rt)
    unknown = sorted(set(document.tiers or ()) - {tier.name for tier in program.tiers})
    if unknown:
        raise RuleViolation(f"the programme has no tier {', '.join(unknown)}", field="tiers")
    return RewardTerms(
        name=document.name,
        description=document.description,
        points=document.points,
        stock=document.stock,
        per_member_limit=document.per_member_limit,
        valid_from=_to_milliseconds(document.valid_from),
        valid_until=_to_milliseconds(document.valid_until),
        channels=frozenset(Channel(c) for c in document.channels),
        tiers=None if document.tiers is None else frozenset(document.tiers),
        status=RewardStatus(document.status),
    )


def _to_milliseconds(moment: datetime) -> datetime:
    """In UTC, to the millisecond: what is stored and shown (a retried create compares equal to what was stored)."""
    utc = moment.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


# ---- the catalogue -----------------------------------------------------------------------------
def catalogue_for_member(rt: Runtime, member_id: str, limit: int, cursor: str | None) -> RewardPage:
    """What the member can claim now: active, inside its window, stock left, open to their tier, offered by an
    active partner. A page reads `limit` rewards and shows those the member can claim (it may show fewer: follow
    next_cursor)."""
    wallet = rt.store.wallets.load(member_id)  # their tier
    if wallet is None:
        raise NotFound("member not found")
    now = rt.now()
    rewards, after = rt.store.rewards.page(limit, _decode_cursor(cursor), None)
    claimable = [r for r in rewards if r.refusal(wallet.tier, now) is None and _offerer_active(rt, r.offered_by)]
    return RewardPage(rewards=[reward_view(r) for r in claimable], next_cursor=_encode_cursor(after))


def catalogue_for_offerer(rt: Runtime, offered_by: str | None, limit: int, cursor: str | None) -> RewardPage:
    """An offerer's own rewards in every state, with what was claimed (None: the operator sees them all)."""
    rewards, after = rt.store.rewards.page(limit, _decode_cursor(cursor), offered_by)
    return RewardPage(rewards=[reward_view(r) for r in rewards], next_cursor=_encode_cursor(after))


def _offerer_active(rt: Runtime, offered_by: str) -> bool:
    """A suspended partner cannot honour a claim: its rewards are neither shown nor claimable (read cached, like
    its key's status)."""
    if offered_by == OPERATOR:
        return True
    partner = rt.cache.get(f"partner:{offered_by}", lambda: rt.store.directory.get_partner(offered_by))
    return partner is not None and partner.active


# ---- claims ------------------------------------------------------------------------------------
def claim_reward(rt: Runtime, member_id: str, reward_id: str, request: RewardClaimRequest) -> Reply:
    """The member spends the reward's points at its offerer (key member#reward_claim#claim_id): exactly once,
    never beyond the stock or the member's limit (conditions of the booking), points first to expire first."""
    operation = Operation(
        member_id,
        OperationKind.REWARD_CLAIM,
        request.claim_id,
        fingerprint(reward_id, request.model_dump(mode="json")),
    )

    def prepare() -> tuple[str, Decide]:
        first = rt.store.rewards.find(reward_id) if is_reward_id(reward_id) else None
        if first is None:
            raise NotFound(f"reward {reward_id} not found", field="reward_id")
        if not _offerer_active(rt, first.offered_by):
            raise RuleViolation(f"{first.offered_by} cannot honour rewards at the moment", field="reward_id")
        point_value = current_program(rt).point_value  # what the offerer is paid per point, as of now
        # A retry (the wallet changed meanwhile) reads the reward again: it may have been withdrawn or repriced.
        read_reward = read_once_then_afresh(first, lambda: rt.store.rewards.find(reward_id))

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            reward = read_reward()
            reward.check_claimable(wallet.tier, now)
            points = reward.terms.points
            spent = wallet.spend(points)
            if reward.offered_by != OPERATOR:
                record_redemption(wallet, now.date(), reward.offered_by)
            code = new_code()
            line = {
                "rule": EntryType.REWARD.value,
                "points": -points,
                "detail": f"{reward.terms.name} claimed from {reward.offered_by} (code {code})",
            }
            entry = new_entry(
                wallet,
                EntryType.REWARD,
                reward.offered_by,
                -points,
                breakdown=[line],
                attribution=spent,
                reference=code,
                booked_at=iso(now),
                point_value=point_value,
            )
            claim = Claim(
                code=code,
                claim_id=request.claim_id,
                member_id=wallet.member_id,
                reward_id=reward.reward_id,
                offered_by=reward.offered_by,
                reward_name=reward.terms.name,
                points=points,
                point_value=point_value,
                spent=tuple(spent),
                claimed_at=iso(now),
            )
            body = {
                **claim_view(claim).model_dump(mode="json"),
                "entry_id": entry.entry_id,
                "available_points": wallet.available,
            }
            move = StockMove(reward.reward_id, wallet.member_id, +1, reward.terms.per_member_limit)
            return Outcome(
                201, body, [entry], claims=[claim], stock_moves=[move], metrics={"RewardPointsClaimed": points}
            )

        return member_id, decide

    return run_operation(rt, operation, prepare)


def member_claims(rt: Runtime, member_id: str, limit: int, cursor: str | None) -> ClaimList:
    claims, after = rt.store.rewards.member_claims(member_id, limit, _decode_claim_cursor(cursor, member_id))
    return ClaimList(claims=[claim_view(c) for c in claims], next_cursor=_encode_claim_cursor(after, member_id))


def offerer_claim(rt: Runtime, party: str, code: str) -> ClaimView:
    """What a till sees when the member shows the code: only the offerer finds its claims (and the operator,
    which may cancel any)."""
    claim = _claim(rt, code)
    if party not in (claim.offered_by, OPERATOR):
        raise NotFound(f"claim {code} not found", field="code")
    return claim_view(claim)


def fulfil_claim(rt: Runtime, party: str, code: str) -> ClaimView:
    """The offerer hands the reward over (again: the same answer). No points move: they were spent on claiming."""
    for _ in range(rt.settings.conflict_attempts):
        claim = _claim(rt, code)
        fulfilled = claim.fulfil(party, iso(rt.now()))
        if fulfilled is claim:
            return claim_view(claim)
        try:
            rt.store.rewards.save_fulfilment(fulfilled)
            return claim_view(fulfilled)
        except ConcurrencyConflict:
            continue  # a cancel or another fulfilment came first: read what it did
    raise ConcurrencyConflict()


def cancel_claim(rt: Runtime, party: str, code: str) -> Reply:
    """The offerer (or the operator, for it) cannot honour the claim: the points go back to the member with the
    issuers and expiry they were spent with (those past their date go straight to breakage), the offerer gives the
    money back on the day's close at the claim's point value, and the stock and the member's count get the claim
    back. Once per claim."""
    operation = Operation(party, OperationKind.REWARD_CANCEL, code, fingerprint(code))

    def prepare() -> tuple[str, Decide]:
        first = _claim(rt, code)
        first.cancel(party, first.claimed_at)  # only the offerer, only a claim not yet fulfilled or cancelled
        read_claim = read_once_then_afresh(
            first, lambda: rt.store.rewards.find_claim(code)
        )  # a fulfilment may come first

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            claim = read_claim()
            cancelled = claim.cancel(party, iso(now))
            points = claim.points
            wallet.give_back(list(claim.spent))
            line = {
                "rule": EntryType.REWARD_CANCEL.value,
                "points": points,
                "detail": f"{claim.reward_name} from {claim.offered_by} cancelled: {points} points given back",
            }
            entry = new_entry(
                wallet,
                EntryType.REWARD_CANCEL,
                claim.offered_by,  # the redeemer that was paid gives it back, whoever cancels
                points,
                breakdown=[line],
                attribution=list(claim.spent),
                reference=code,
                booked_at=iso(now),
                point_value=claim.point_value,  # the money goes back at what the claim was paid
            )
            expired = expire_due_lots(wallet, now)
            body = {
                **claim_view(cancelled).model_dump(mode="json"),
                "entry_id": entry.entry_id,
                "points_given_back": points,
                "expired_points": -sum(e.points for e in expired),
            }
            move = StockMove(claim.reward_id, claim.member_id, -1, None)
            return Outcome(200, body, [entry, *expired], claims=[cancelled], stock_moves=[move])

        return first.member_id, decide

    return run_operation(rt, operation, prepare)


def _claim(rt: Runtime, code: str) -> Claim:
    claim = rt.store.rewards.find_claim(code) if is_code(code) else None
    if claim is None:
        raise NotFound(f"claim {code} not found", field="code")
    return claim


# ---- cursors -----------------------------------------------------------------------------------
def _encode_cursor(after: str | None) -> str | None:
    return None if after is None else encode_cursor({"r": after})


def _decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    after = decode_cursor(cursor).get("r")
    if not isinstance(after, str) or not is_reward_id(after):
        raise refused()
    return after


def _encode_claim_cursor(after: ClaimCursor | None, member_id: str) -> str | None:
    return None if after is None else encode_cursor({"m": member_id, "t": after.claimed_at, "c": after.code})


def _decode_claim_cursor(cursor: str | None, member_id: str) -> ClaimCursor | None:
    """Only what _encode_claim_cursor wrote for this member (a timestamp and a code of our forms)."""
    if cursor is None:
        return None
    fields = decode_cursor(cursor)
    claimed_at, code = fields.get("t"), fields.get("c")
    if fields.get("m") != member_id or not isinstance(claimed_at, str) or not TIMESTAMP.fullmatch(claimed_at):
        raise refused()
    if not isinstance(code, str) or not is_code(code):
        raise refused()
    return ClaimCursor(claimed_at, code)


TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
