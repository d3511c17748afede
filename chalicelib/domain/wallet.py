"""A member's wallet: lots of points by (expiry date, issuer), debts to issuers, and open holds.

Every mutation here is pure and returns the attribution of what it moved, so that each ledger entry
can say whose liability it touched. Invariants kept by every method:
- lots and debts are positive; a member never has both a lot and a debt of the same issuer
  (new points of an issuer first pay off the debt to it);
- available = max(0, Σ lots − Σ debts); nothing can be spent beyond it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from .challenge_progress import Progress, SetTarget
from .effect import Running
from .errors import HoldNotOpen, InsufficientPoints
from .membership import Membership
from .profile import Profile

NO_EXPIRY = "9999-12-31"  # sorts after every real date: debts and held lots without a date go last
TALLY_DAYS = 400  # expired points are remembered this long after their date (returns come far sooner)


class WalletIncomplete(Exception):
    """The operation reaches what a wallet read without its vault does not hold (lots that expire sooner than the
    ones loaded, the tally of expired points): read the wallet whole and decide again. Not a refusal: nothing is
    answered from it, and the wallet it was raised on is discarded."""


@dataclass(frozen=True, order=True)
class Portion:
    """Points of one issuer (with the expiry of the lot they came from, if any)."""

    expires_on: str
    issuer: str
    points: int

    def to_dict(self) -> dict[str, object]:
        return {"issuer": self.issuer, "expires_on": self.expires_on, "points": self.points}

    @classmethod
    def from_dict(cls, raw: dict[str, object]) -> Portion:
        return cls(str(raw["expires_on"]), str(raw["issuer"]), int(raw["points"]))  # type: ignore[call-overload]


def reversal_portions(spent: list[Portion], already_reversed: int, points: int) -> list[Portion]:
    """The portions a reversal of `points` gives back, from what a redemption spent (in the order it took
    them). Reversals give back last-taken first (the latest expiry), so repeated partial reversals walk
    the same list without overlap and, together, never exceed what was spent."""
    skip, left, given = already_reversed, points, []
    for portion in reversed(spent):
        available = portion.points - min(skip, portion.points)
        skip = max(0, skip - portion.points)
        take = min(available, left)
        if take:
            given.append(Portion(portion.expires_on, portion.issuer, take))
            left -= take
    return given


def hold_key(partner_id: str, hold_id: str) -> str:
    """Holds belong to the partner that opened them: two partners may use the same hold id on one member."""
    return f"{partner_id}#{hold_id}"


@dataclass
class Hold:
    hold_id: str
    partner_id: str
    points: int
    expires_at: datetime
    portions: list[Portion]

    @property
    def key(self) -> str:
        return hold_key(self.partner_id, self.hold_id)


@dataclass
class MonthActivity:
    qualifying_points: int = 0
    spend: str = "0"
    purchases: int = 0
    partners: list[str] = field(default_factory=list)  # where the member bought
    redeemed_at: list[str] = field(default_factory=list)  # where the member spent points
    # Purchases at each partner of `partners` not returned whole: at 0 the partner no longer counts for tiers (it
    # stays in `partners`, where the member bought). A partner listed without a count (a month written before counts
    # were kept) has an unknown count: it keeps counting, and no return takes it out.
    partner_purchases: dict[str, int] = field(default_factory=dict)

    def counted_partners(self) -> list[str]:
        """The partners this month counts for the distinct-partners metric."""
        return [p for p in self.partners if self.partner_purchases.get(p, 1) > 0]


@dataclass
class TierBasis:
    """What reached the tier held now, recorded by the upgrade: the metric's value then, the wallet's entry number
    then (purchases booked up to it were counted) and the day (the 12 months counted end with its month). For
    distinct partners, also the purchases counted per partner, for the partners whose count is known. Returns of
    purchases it counted take their part out of it."""

    metric: str
    value: Decimal
    seq: int
    on: str
    partners: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "value": str(self.value),
            "seq": self.seq,
            "on": self.on,
            "partners": self.partners,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TierBasis:
        partners = {str(p): int(n) for p, n in (raw.get("partners") or {}).items()}
        return cls(str(raw["metric"]), Decimal(str(raw["value"])), int(raw["seq"]), str(raw["on"]), partners)


@dataclass
class Wallet:
    member_id: str
    card_number: str
    tier: str
    tier_reached_on: str
    review_on: str | None  # None on the base tier: nothing to review
    status: str = "active"
    version: int = 0
    entry_seq: int = 0
    lots: dict[tuple[str, str], int] = field(default_factory=dict)  # (expires_on, issuer) -> points
    debts: dict[str, int] = field(default_factory=dict)  # issuer -> points owed back
    holds: dict[str, Hold] = field(default_factory=dict)  # hold_key(partner, hold id) -> hold
    activity: dict[str, MonthActivity] = field(default_factory=dict)  # "YYYY-MM" -> figures
    birth_date: str | None = None
    referral_code: str | None = None  # the member's own code, to share
    referred_by: str | None = None  # the member whose code they enrolled with
    created_at: str = ""
    first_purchase_at: str | None = None
    # Who enrolled the member and through which channel (None: enrolled before it was kept): partners' reports count
    # the members they enrolled, by channel.
    enrolled_by: str | None = None
    enrolled_channel: str | None = None
    engagements: dict[str, dict[str, Any]] = field(default_factory=dict)  # type -> {total, days: {day: n}}
    campaign_counts: dict[str, int] = field(default_factory=dict)  # campaign id -> times it rewarded the member
    # Measured campaigns (with a control group) -> the member's figures in them so far: domain/effect.py
    campaign_measures: dict[str, Running] = field(default_factory=dict)
    offers: dict[str, str] = field(default_factory=dict)  # opt-in offers enrolled in -> the offer's last day
    # Challenges (domain/challenges.py): the member's progress by "<challenge id>/<period>", and the targets the
    # operator set them, by challenge id.
    challenges: dict[str, Progress] = field(default_factory=dict)
    challenge_targets: dict[str, SetTarget] = field(default_factory=dict)
    # The member's paid membership (domain/membership.py), until it lapses (None: none).
    membership: Membership | None = None
    # The tier kept whatever purchases are returned: the base tier at enrolment, then what a review decided
    # (None: the base tier). A return lowers the tier to no less than this. A wallet written before upgrades
    # recorded their basis takes its tier as its floor when read (tiers.adopt_legacy_tier).
    tier_floor: str | None = None
    tier_floor_review_on: str | None = None
    # What reached the tier by an upgrade (None once a review decided it, or on the base tier): a return lowers the
    # tier only when it takes out of this a part that leaves it below the tier's threshold.
    tier_basis: TierBasis | None = None
    # Directory keys of the member's identifiers (card, email/phone hashes, referral code): released on closing.
    aliases: list[str] = field(default_factory=list)
    birth_date_recorded_on: str | None = None  # a birthday month counts once the date was known before it began
    issued_today: tuple[str, int] = ("", 0)  # (booking day, points credited that day): the daily earning limit
    # Points that expired, by (expiry date, issuer), for a year after: a late return must not take them again,
    # but must still take back (as a debt) what was spent before that date.
    expired_tally: dict[tuple[str, str], int] = field(default_factory=dict)
    # Points of open vouchers by issuer: still their issuers' liability (invariant 2), no longer the member's.
    voucher_points: dict[str, int] = field(default_factory=dict)
    profile: Profile = field(default_factory=Profile)  # what the member tells about themself (GET|PATCH /v1/me)
    # A broad history (many issuers × many expiry months) keeps its middle lots and its expired tally in a vault item
    # that the usual earn and spend never read or write (store/wallet_state.py). Read without it, `complete` is
    # False and `vaulted_lots` counts, by expiry date, the points it holds: they are in the balance and the expiry
    # calendar, and any movement that would reach them raises WalletIncomplete.
    complete: bool = True
    vaulted_lots: dict[str, int] = field(default_factory=dict)
    vault_version: int | None = None  # the vault item's version (None: the wallet has no vault)
    vault_digest: str = ""  # what the vault held when read: it is written again only when that changes

    # ---- figures -----------------------------------------------------------------------------
    @property
    def lot_points(self) -> int:
        return sum(self.lots.values()) + sum(self.vaulted_lots.values())

    @property
    def debt_points(self) -> int:
        return sum(self.debts.values())

    @property
    def available(self) -> int:
        return max(0, self.lot_points - self.debt_points)

    @property
    def held(self) -> int:
        return sum(hold.points for hold in self.holds.values())

    @property
    def balance(self) -> int:
        """What the ledger entries of this member add up to: lots − debts + held."""
        return self.lot_points - self.debt_points + self.held

    def held_at(self, now: datetime) -> int:
        return sum(h.points for h in self.holds.values() if h.expires_at > now)

    def available_at(self, now: datetime) -> int:
        """Available as it will be once the holds expired by `now` are released (for read paths)."""
        released = sum(h.points for h in self.holds.values() if h.expires_at <= now)
        return max(0, self.lot_points + released - self.debt_points)

    def expiring(self) -> list[tuple[str, int]]:
        by_date: dict[str, int] = dict(self.vaulted_lots)
        for (expires_on, _issuer), points in self.lots.items():
            by_date[expires_on] = by_date.get(expires_on, 0) + points
        return sorted(by_date.items())

    @property
    def active(self) -> bool:
        return self.status == "active"

    # ---- movements ---------------------------------------------------------------------------
    def credit(self, issuer: str, points: int, expires_on: str) -> None:
        """New points of `issuer`: they pay off any debt to that issuer first, the rest becomes a lot."""
        if points <= 0:
            return
        key = (expires_on, issuer)
        self.lots[key] = self.lots.get(key, 0) + points
        self._net_debt(issuer)

    def move_to_vouchers(self, issuer_points: dict[str, int], sign: int) -> None:
        """Open voucher points by issuer: +1 a voucher converted (or open again after a void), −1 spent or expired."""
        for issuer, points in issuer_points.items():
            left = self.voucher_points.get(issuer, 0) + sign * points
            if left:
                self.voucher_points[issuer] = left
            else:
                self.voucher_points.pop(issuer, None)

    def spend(self, points: int) -> list[Portion]:
        """Consume lots first-to-expire first (ties by issuer id); never beyond what is available."""
        if points > self.available:
            raise InsufficientPoints(f"{points} points requested but only {self.available} available", field="points")
        taken: list[Portion] = []
        remaining = points
        for key in sorted(self.lots):
            if remaining == 0:
                break
            self._require_loaded_through(key[0])
            take = min(remaining, self.lots[key])
            self._take_from_lot(key, take)
            taken.append(Portion(key[0], key[1], take))
            remaining -= take
        if remaining:
            self._require_whole("the points left to spend are in the vault")
        return taken

    def claw_back(self, issuer: str, points: int) -> list[Portion]:
        """Take back `points` of `issuer` (a return): from its lots FIFO, the rest becomes a debt."""
        if self.vaulted_lots:
            self._require_whole("the issuer's earliest lots may be in the vault")
        taken: list[Portion] = []
        remaining = points
        for key in sorted(k for k in self.lots if k[1] == issuer):
            if remaining == 0:
                break
            take = min(remaining, self.lots[key])
            self._take_from_lot(key, take)
            taken.append(Portion(key[0], issuer, take))
            remaining -= take
        if remaining:
            self.debts[issuer] = self.debts.get(issuer, 0) + remaining
            taken.append(Portion(NO_EXPIRY, issuer, remaining))
        return taken

    def give_back(self, portions: list[Portion]) -> None:
        """Points spent earlier come back with their issuer and expiry (a reversal of a redemption)."""
        for portion in portions:
            self.credit(portion.issuer, portion.points, portion.expires_on)

    def place_hold(self, hold_id: str, partner_id: str, points: int, expires_at: datetime) -> Hold:
        hold = Hold(hold_id, partner_id, points, expires_at, self.spend(points))
        self.holds[hold.key] = hold
        return hold

    def open_hold(self, partner_id: str, hold_id: str, now: datetime) -> Hold:
        hold = self.holds.get(hold_key(partner_id, hold_id))
        if hold is None or hold.expires_at <= now:
            raise HoldNotOpen(f"hold {hold_id} is not open (captured, voided or expired)")
        return hold

    def release_hold(self, key: str) -> Hold:
        """Give the held points back to their lots (void or expiry)."""
        hold = self.holds.pop(key)
        self.give_back(hold.portions)
        return hold

    def capture_hold(self, key: str, points: int) -> tuple[Hold, list[Portion]]:
        """Spend `points` of the hold (first-to-expire first); the rest goes back to the lots. Held points are
        protected while held: they are spent even if their lot's validity ended meanwhile."""
        hold = self.holds.pop(key)
        captured: list[Portion] = []
        remaining = points
        for portion in sorted(hold.portions):
            take = min(remaining, portion.points)
            if take:
                captured.append(Portion(portion.expires_on, portion.issuer, take))
                remaining -= take
            if portion.points > take:
                self.credit(portion.issuer, portion.points - take, portion.expires_on)
        return hold, captured

    def expire_lots(self, as_of: str) -> list[Portion]:
        """Remove the lots whose validity ended before `as_of` (an ISO date): their points expire."""
        if any(expires_on < as_of for expires_on, _ in self.lots) or any(on < as_of for on in self.vaulted_lots):
            self._require_whole("expired points are counted in the vault's tally")
        expired = [
            Portion(expires_on, issuer, points)
            for (expires_on, issuer), points in sorted(self.lots.items())
            if expires_on < as_of
        ]
        for portion in expired:
            del self.lots[(portion.expires_on, portion.issuer)]
            key = (portion.expires_on, portion.issuer)
            self.expired_tally[key] = self.expired_tally.get(key, 0) + portion.points
        horizon = (date.fromisoformat(as_of) - timedelta(days=TALLY_DAYS)).isoformat()
        for key in [k for k in self.expired_tally if k[0] < horizon]:
            del self.expired_tally[key]
        return expired

    def forfeit_lots(self) -> list[Portion]:
        """Every lot, forfeited (the member is erased): gone as expired points go, and remembered as they are, so that
        a purchase returned later does not take the same points back again."""
        self._require_whole("every lot is forfeited")
        forfeited = [Portion(expires_on, issuer, points) for (expires_on, issuer), points in sorted(self.lots.items())]
        for portion in forfeited:
            key = (portion.expires_on, portion.issuer)
            self.expired_tally[key] = self.expired_tally.get(key, 0) + portion.points
        self.lots.clear()
        return forfeited

    def already_expired(self, expires_on: str, issuer: str, points: int) -> int:
        """How many of `points` of `issuer` valid until `expires_on` expired already (and are not taken again)."""
        self._require_whole("the tally of expired points is in the vault")
        key = (expires_on, issuer)
        gone = min(points, self.expired_tally.get(key, 0))
        if gone:
            self.expired_tally[key] -= gone
            if not self.expired_tally[key]:
                del self.expired_tally[key]
        return gone

    def count_issued(self, today: str, points: int) -> int:
        """Add to the points credited on `today` (booking day); returns the day's total."""
        day, total = self.issued_today
        self.issued_today = (today, (total if day == today else 0) + points)
        return self.issued_today[1]

    def expired_holds(self, now: datetime) -> list[Hold]:
        return sorted((h for h in self.holds.values() if h.expires_at <= now), key=lambda h: h.expires_at)

    def next_hold_expiry(self) -> datetime | None:
        return min((h.expires_at for h in self.holds.values()), default=None)

    # ---- internals ---------------------------------------------------------------------------
    def _require_whole(self, why: str) -> None:
        if not self.complete:
            raise WalletIncomplete(why)

    def _require_loaded_through(self, expires_on: str) -> None:
        """Lots are spent first-to-expire first: none in the vault may expire on or before the one taken now."""
        if self.vaulted_lots and min(self.vaulted_lots) <= expires_on:
            raise WalletIncomplete("lots in the vault expire first")

    def _take_from_lot(self, key: tuple[str, str], points: int) -> None:
        left = self.lots[key] - points
        if left:
            self.lots[key] = left
        else:
            del self.lots[key]

    def _net_debt(self, issuer: str) -> None:
        debt = self.debts.get(issuer, 0)
        for key in sorted(k for k in self.lots if k[1] == issuer):
            if debt == 0:
                break
            pay = min(debt, self.lots[key])
            self._take_from_lot(key, pay)
            debt -= pay
        if debt:
            self.debts[issuer] = debt
        else:
            self.debts.pop(issuer, None)
