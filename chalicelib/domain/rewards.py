"""The rewards catalogue: a product or an experience a partner (or the operator) offers for points, and the claims
members make on it.

A claim spends the reward's points at its offerer, like a redemption there (each issuer pays the offerer its
points at the point value of the claim), and carries a code the offerer honours at its till or web shop. The
offerer fulfils the claim, or cancels it: the points go back to the member with the issuers and expiry they were
spent with, the money goes back on the day's close, and the reward's stock and the member's count get the claim
back. Stock and per-member limits are counters the booking moves under a condition (store/rewards.py), so no
number of concurrent claims takes more than there is. Pure: the store keeps rewards and claims, services book.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from .errors import ClaimNotOpen, NotFound, OutOfStock, RuleViolation
from .program import OPERATOR
from .timefmt import iso
from .wallet import Portion

REWARD_ID = re.compile(r"[a-z0-9][a-z0-9\-]{1,63}")  # requests take it (services/requests.RewardId)


def is_reward_id(text: str) -> bool:
    """An id a reward could have (anything else names none, and is never looked up)."""
    return REWARD_ID.fullmatch(text) is not None


class Channel(StrEnum):
    STORE = "store"
    ONLINE = "online"


class RewardStatus(StrEnum):
    ACTIVE = "active"  # claimable inside its window while stock lasts
    WITHDRAWN = "withdrawn"  # no new claims; claims made stay valid


@dataclass(frozen=True)
class RewardTerms:
    """What the offerer publishes, replaced whole by a PUT (the claims counter is not part of it)."""

    name: str
    description: str
    points: int
    stock: int | None  # how many claims it can take in all (cancelled ones are given back); None: no limit
    per_member_limit: int | None  # claims one member may hold (cancelled ones do not count); None: no limit
    valid_from: datetime
    valid_until: datetime  # claims are taken from valid_from up to (not including) valid_until
    channels: frozenset[Channel]  # where the offerer honours the claim's code
    tiers: frozenset[str] | None  # the tiers that may claim; None: every member
    status: RewardStatus = RewardStatus.ACTIVE


@dataclass(frozen=True)
class Reward:
    reward_id: str
    offered_by: str  # a partner id, or the operator
    terms: RewardTerms
    claimed: int = 0  # claims taken and not cancelled

    @property
    def remaining(self) -> int | None:
        """Claims left in stock (None: no limit). Never below 0, even if the offerer lowered the stock."""
        return None if self.terms.stock is None else max(0, self.terms.stock - self.claimed)

    def refusal(self, tier: str, now: datetime) -> RuleViolation | OutOfStock | None:
        """Why a member of `tier` cannot claim it at `now` (None: they can, as far as this read knows; the
        booking's conditions have the last word on stock and on the member's limit)."""
        terms = self.terms
        if terms.status is not RewardStatus.ACTIVE:
            return RuleViolation(f"reward {self.reward_id} is withdrawn", field="reward_id")
        if now < terms.valid_from:
            return RuleViolation(f"reward {self.reward_id} can be claimed from {iso(terms.valid_from)}")
        if now >= terms.valid_until:
            return RuleViolation(f"reward {self.reward_id} could be claimed until {iso(terms.valid_until)}")
        if terms.tiers is not None and tier not in terms.tiers:
            allowed = ", ".join(sorted(terms.tiers))
            return RuleViolation(f"reward {self.reward_id} is for members of tier {allowed}", field="reward_id")
        if self.remaining == 0:
            return OutOfStock(f"reward {self.reward_id} is out of stock", field="reward_id")
        return None

    def check_claimable(self, tier: str, now: datetime) -> None:
        refusal = self.refusal(tier, now)
        if refusal is not None:
            raise refusal


class ClaimStatus(StrEnum):
    CLAIMED = "claimed"  # points spent, the code waits to be honoured
    FULFILLED = "fulfilled"  # the offerer handed the reward over
    CANCELLED = "cancelled"  # the offerer could not: points given back


@dataclass(frozen=True)
class Claim:
    code: str  # what the member shows and the offerer honours (unguessable, like a voucher code)
    claim_id: str  # the member's own id for the request (unique per member only)
    member_id: str
    reward_id: str
    offered_by: str
    reward_name: str
    points: int
    point_value: Decimal  # what each point was worth when claimed: a cancel gives back at it
    spent: tuple[Portion, ...]  # the points' issuers and expiry, given back as they were on a cancel
    claimed_at: str
    status: ClaimStatus = ClaimStatus.CLAIMED
    closed_at: str | None = None  # when fulfilled or cancelled
    version: int = 0

    def _check_offerer(self, party: str) -> None:
        if party != self.offered_by:  # another partner learns nothing of it
            raise NotFound(f"claim {self.code} not found", field="code")

    def fulfil(self, party: str, at: str) -> Claim:
        """Handed over by its offerer; fulfilling again changes nothing (the till may repeat its call)."""
        self._check_offerer(party)
        if self.status is ClaimStatus.FULFILLED:
            return self
        if self.status is ClaimStatus.CANCELLED:
            raise ClaimNotOpen(f"claim {self.code} was cancelled on {self.closed_at}", field="code")
        return replace(self, status=ClaimStatus.FULFILLED, closed_at=at)

    def cancel(self, party: str, at: str) -> Claim:
        """Cancelled while not handed over, by its offerer or by the operator (customer service, an offerer that
        stopped trading): the caller gives the points back."""
        if party != OPERATOR:
            self._check_offerer(party)
        if self.status is not ClaimStatus.CLAIMED:
            raise ClaimNotOpen(f"claim {self.code} is {self.status.value} since {self.closed_at}", field="code")
        return replace(self, status=ClaimStatus.CANCELLED, closed_at=at)


@dataclass(frozen=True)
class StockMove:
    """A claim taken (+1) or given back (−1): the reward's counter under its stock (the stock as stored, compared in
    the write), and the member's under the per-member limit as the claim read it (None: none to keep)."""

    reward_id: str
    member_id: str
    delta: int
    per_member_limit: int | None
