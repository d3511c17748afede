"""How a wallet is laid out in DynamoDB: a small head item that every operation reads and writes, and, for a broad
history, a vault item that the usual earn and spend never touch.

Why: DynamoDB bills a write by the whole item (the larger of before and after, rounded up to 1 KB, twice in a
transaction). A wallet grows with the breadth of a history: lots by expiry month × issuer (24 × 20 = 480), 12
months of activity by partner, a year of expired points by date × issuer. Kept in one item, a member with 20
issuers over 24 months paid 28 WCU per earn instead of 6. Split:

- the head (members table): the wallet's own figures, compacted into one binary attribute `state`, with the lots
  that earn and spend use: those of the first expiry date (spent first) and of the last (where new points go), and of
  the next dates while HEAD_LOTS allows; and, per expiry date, the points the vault holds (for the balance and the
  calendar). Dates are kept whole, so every lot in the vault expires after every lot spent from the head;
- the vault (wallet_vaults table): the other lots and the tally of expired points. It is read only when an operation
  reaches them (domain.wallet.WalletIncomplete): a spend past the front lots, a return, an expiry, an erasure, and
  rewritten only when what it holds changes. A wallet that fits in the head has no vault.

The head records the version of the vault it matches, and both are written in one transaction under the head's
version: a vault read with a head of another moment is refused (ConcurrencyConflict), never combined.

`state` is the JSON of the domain's own field names, deflated with a preset dictionary of those names: readable
with `decode_state` (the CLI's `coalition wallet decode` and the tests use it), at a fraction of the size.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ..domain.challenge_progress import BookedReward, ChallengeKind, Progress, SetTarget
from ..domain.effect import Running
from ..domain.membership import Membership
from ..domain.profile import Profile
from ..domain.timefmt import add_months, end_of_month, iso
from ..domain.wallet import Hold, MonthActivity, Portion, TierBasis, Wallet, WalletIncomplete
from .packing import pack, unpack

HEAD_LOTS = 40  # lots the head holds, beyond its first and last expiry dates (which it always holds whole)
HEAD_TALLY = 12  # expired-tally entries a wallet without a vault keeps in its head

FORMAT_V1 = b"\x01"
# The preset dictionary of format 1: the names and fragments every state repeats. Stored wallets were deflated with
# it: never change it; a new dictionary is a new format byte.
_DICTIONARY_V1 = (  # a head's state as head_state writes it (keys sorted), with the values most heads share
    b'{"activity":{"-01":[,".00",1,[[0,1]],[]]},"aliases":["CARD#","REF#","EMAIL#","PHONE#"],"birth_date":null,'
    b'"birth_date_recorded_on":null,"campaign_counts":{},"card_number":"","created_at":"T00:00:00.000Z","debts":{},'
    b'"engagements":{},"enrolled_by":"","enrolled_channel":"store","online","entry_seq":,"expired_tally":{},'
    b'"first_purchase_at":"T00:00:00.000Z","holds":{"#":{"expires_at":"","hold_id":"","partner_id":"","points":,'
    b'"portions":[{"expires_on":"","issuer":"","points":}]}},"issued_today":["",],"lots":{"-30":[[0,],[1,]],"-31":'
    b'[[0,]]},"names":[""],"profile":null,"referral_code":"","referred_by":null,"status":"active","tier":"member",'
    b'"tier_basis":{"metric":"qualifying_points","on":"","partners":{},"seq":,"value":""},"tier_floor":"member",'
    b'"tier_floor_review_on":null,"tier_reached_on":"","vaulted_lots":{"-31":[]},"voucher_points":{}}'
)


def encode_state(state: dict[str, Any]) -> bytes:
    return pack(state, FORMAT_V1, _DICTIONARY_V1)


def decode_state(blob: bytes) -> dict[str, Any]:
    """The JSON a head's or a vault's `state` holds (for people debugging, the reconciliation and tests)."""
    decoded: dict[str, Any] = unpack(blob, {FORMAT_V1: _DICTIONARY_V1})
    return decoded


@dataclass(frozen=True)
class VaultContent:
    """What a vault holds: lots and expired points, by (expiry date, issuer)."""

    lots: dict[tuple[str, str], int] = field(default_factory=dict)
    expired_tally: dict[tuple[str, str], int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.lots or self.expired_tally)

    def state(self) -> dict[str, Any]:
        return {"lots": _keyed(self.lots), "expired_tally": _keyed(self.expired_tally)}

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.state(), sort_keys=True).encode()).hexdigest()[:32]

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> VaultContent:
        return cls(_unkeyed(state.get("lots")), _unkeyed(state.get("expired_tally")))


@dataclass(frozen=True)
class Layout:
    """Where a wallet's lots and tally go: the head's part, and the vault's (None: the vault is not known, the
    wallet was read without it and keeps it as it is)."""

    head_lots: dict[tuple[str, str], int]
    head_tally: dict[tuple[str, str], int]
    vault: VaultContent | None


def layout(wallet: Wallet) -> Layout:
    """Split a wallet between head and vault. Read without its vault, a wallet keeps what it loaded in the head:
    `WalletIncomplete` when that no longer fits (read whole, it is split again)."""
    if not wallet.complete:
        if len(wallet.lots) > HEAD_LOTS and len({on for on, _ in wallet.lots}) > 2:
            raise WalletIncomplete("the head is full: its middle lots go to the vault")
        return Layout(dict(wallet.lots), {}, None)
    if len(wallet.lots) <= HEAD_LOTS and len(wallet.expired_tally) <= HEAD_TALLY:
        return Layout(dict(wallet.lots), dict(wallet.expired_tally), VaultContent())
    kept = _head_dates(wallet.lots) if len(wallet.lots) > HEAD_LOTS else {on for on, _ in wallet.lots}
    head = {key: points for key, points in wallet.lots.items() if key[0] in kept}
    vault_lots = {key: points for key, points in wallet.lots.items() if key[0] not in kept}
    return Layout(head, {}, VaultContent(vault_lots, dict(wallet.expired_tally)))


def _head_dates(lots: dict[tuple[str, str], int]) -> set[str]:
    """The first and the last expiry dates, then the next ones from the first while the head holds HEAD_LOTS."""
    per_date: dict[str, int] = {}
    for on, _issuer in lots:
        per_date[on] = per_date.get(on, 0) + 1
    dates = sorted(per_date)
    kept = {dates[0], dates[-1]}
    count = sum(per_date[on] for on in kept)
    for on in dates[1:-1]:
        if count + per_date[on] > HEAD_LOTS:
            break
        kept.add(on)
        count += per_date[on]
    return kept


def head_state(wallet: Wallet, placed: Layout) -> dict[str, Any]:
    """The head's `state`: every figure of the wallet but its key, its versions, its review date (an attribute of its
    own, indexed) and what the vault holds."""
    vaulted = dict(wallet.vaulted_lots) if placed.vault is None else _by_date(placed.vault.lots)
    names = _Names()
    return {
        "card_number": wallet.card_number,
        "tier": wallet.tier,
        "tier_reached_on": wallet.tier_reached_on,
        "status": wallet.status,
        "entry_seq": wallet.entry_seq,
        "lots": _lots_state(placed.head_lots, names),
        "vaulted_lots": _month_end_runs(vaulted),
        "debts": dict(wallet.debts),
        "holds": {key: _raw_hold(hold) for key, hold in wallet.holds.items()},
        "activity": _activity_state(wallet.activity, names),
        "birth_date": wallet.birth_date,
        "referral_code": wallet.referral_code,
        "referred_by": wallet.referred_by,
        "created_at": wallet.created_at,
        "first_purchase_at": wallet.first_purchase_at,
        "enrolled_by": wallet.enrolled_by,
        "enrolled_channel": wallet.enrolled_channel,
        "engagements": wallet.engagements,
        "campaign_counts": wallet.campaign_counts,
        "tier_floor": wallet.tier_floor,
        "tier_floor_review_on": wallet.tier_floor_review_on,
        "tier_basis": None if wallet.tier_basis is None else wallet.tier_basis.to_dict(),
        "aliases": wallet.aliases,
        "birth_date_recorded_on": wallet.birth_date_recorded_on,
        "issued_today": list(wallet.issued_today) if wallet.issued_today[0] else None,
        "expired_tally": _keyed(placed.head_tally),
        "voucher_points": {issuer: n for issuer, n in wallet.voucher_points.items() if n},
        "profile": wallet.profile.to_dict() if wallet.profile != Profile() else None,
        **({"campaign_measures": _measures_state(wallet.campaign_measures)} if wallet.campaign_measures else {}),
        **({"offers": dict(wallet.offers)} if wallet.offers else {}),
        **({"challenges": _challenges_state(wallet.challenges, names)} if wallet.challenges else {}),
        **({"challenge_targets": _targets_state(wallet.challenge_targets)} if wallet.challenge_targets else {}),
        **({"membership": wallet.membership.to_list()} if wallet.membership is not None else {}),
        "names": names.listed,  # the partners that lots and activity name by position
    }


def wallet_from_state(
    member_id: str,
    version: int,
    review_on: str | None,
    state: dict[str, Any],
    vault: VaultContent | None,
    vault_version: int | None,
) -> Wallet:
    """The wallet a head's state describes; with its vault's content when read whole (`vault` None: not read)."""
    names = state.get("names") or []
    lots = _lots_of(state.get("lots"), names)
    tally = _unkeyed(state.get("expired_tally"))
    vaulted = _dates_of_runs(state.get("vaulted_lots") or {})
    complete = vault is not None or vault_version is None
    if vault is not None:
        for key, points in vault.lots.items():  # a lot given back to the head while the vault was not read
            lots[key] = lots.get(key, 0) + points
        for key, points in vault.expired_tally.items():
            tally[key] = tally.get(key, 0) + points
        vaulted = {}
    issued = state.get("issued_today")
    return Wallet(
        member_id=member_id,
        card_number=state["card_number"],
        tier=state["tier"],
        tier_reached_on=state["tier_reached_on"],
        review_on=review_on,
        status=state.get("status", "active"),
        version=version,
        entry_seq=int(state.get("entry_seq", 0)),
        lots=lots,
        debts={issuer: int(n) for issuer, n in (state.get("debts") or {}).items()},
        holds={key: raw_to_hold(key, raw) for key, raw in (state.get("holds") or {}).items()},
        activity=_activity_of(state.get("activity"), names),
        birth_date=state.get("birth_date"),
        referral_code=state.get("referral_code"),
        referred_by=state.get("referred_by"),
        created_at=state.get("created_at", ""),
        first_purchase_at=state.get("first_purchase_at"),
        enrolled_by=state.get("enrolled_by"),
        enrolled_channel=state.get("enrolled_channel"),
        engagements=dict(state.get("engagements") or {}),
        campaign_counts=dict(state.get("campaign_counts") or {}),
        campaign_measures=_measures_of(state.get("campaign_measures")),
        offers={str(o): str(last_day) for o, last_day in (state.get("offers") or {}).items()},
        challenges=_challenges_of(state.get("challenges"), names),
        challenge_targets={
            str(c): SetTarget(Decimal(t), ChallengeKind(kind), str(last_day))
            for c, (t, kind, last_day) in (state.get("challenge_targets") or {}).items()
        },
        membership=None if state.get("membership") is None else Membership.from_list(state["membership"]),
        tier_floor=state.get("tier_floor"),
        tier_floor_review_on=state.get("tier_floor_review_on"),
        tier_basis=None if state.get("tier_basis") is None else TierBasis.from_dict(state["tier_basis"]),
        aliases=list(state.get("aliases") or []),
        birth_date_recorded_on=state.get("birth_date_recorded_on"),
        issued_today=(str(issued[0]), int(issued[1])) if issued else ("", 0),
        expired_tally=tally,
        voucher_points={issuer: int(n) for issuer, n in (state.get("voucher_points") or {}).items()},
        profile=Profile.from_dict(state.get("profile")),
        complete=complete,
        vaulted_lots=vaulted,
        vault_version=vault_version,
        vault_digest="" if vault is None else vault.digest(),
    )


class _Names:
    """Partners named once in a head's state, then by position: twenty issuers over two expiry dates and twelve
    months would otherwise repeat their names some 300 times."""

    def __init__(self) -> None:
        self.listed: list[str] = []
        self._position: dict[str, int] = {}

    def at(self, partner: str) -> int:
        if partner not in self._position:
            self._position[partner] = len(self.listed)
            self.listed.append(partner)
        return self._position[partner]


def _lots_state(lots: dict[tuple[str, str], int], names: _Names) -> dict[str, list[list[int]]]:
    """Lots by expiry date: [[partner, points], …] (the issuers of each date in the same order, which deflates well)."""
    by_date: dict[str, list[list[int]]] = {}
    for (on, issuer), points in sorted(lots.items()):
        by_date.setdefault(on, []).append([names.at(issuer), points])
    return by_date


def _lots_of(raw: dict[str, list[list[int]]] | None, names: list[str]) -> dict[tuple[str, str], int]:
    return {(on, names[p]): int(points) for on, pairs in (raw or {}).items() for p, points in pairs}


def _activity_state(activity: dict[str, MonthActivity], names: _Names) -> dict[str, Any]:
    """Months of activity by position: each month [qualifying points, spend, purchases, [[partner, purchases counted
    or None (not known)] where bought, in order], [partner] where points were spent]. Twelve months at twenty
    partners repeat the same positions and counts: they deflate to a few bytes."""
    at = names.at
    months = {}
    for month, figures in activity.items():
        counts = dict(figures.partner_purchases)
        bought = [[at(p), counts.pop(p, None)] for p in figures.partners]
        uncounted = {str(at(p)): n for p, n in counts.items()}  # counts of a partner not listed (none are written)
        row: list[Any] = [figures.qualifying_points, figures.spend, figures.purchases, bought]
        row.append([at(p) for p in figures.redeemed_at])
        months[month] = row + ([uncounted] if uncounted else [])
    return months


def _activity_of(raw: dict[str, Any] | None, names: list[str]) -> dict[str, MonthActivity]:
    activity = {}
    for month, row in (raw or {}).items():
        qualifying, spend, purchases, bought, redeemed = row[:5]
        counts = {names[p]: n for p, n in bought if n is not None}
        counts.update({names[int(p)]: n for p, n in (row[5] if len(row) > 5 else {}).items()})
        activity[month] = MonthActivity(
            qualifying_points=qualifying,
            spend=spend,
            purchases=purchases,
            partners=[names[p] for p, _ in bought],
            redeemed_at=[names[p] for p in redeemed],
            partner_purchases=counts,
        )
    return activity


def _challenges_state(progress: dict[str, Progress], names: _Names) -> dict[str, list[Any]]:
    """Each period's progress as [kind, target, kept until, purchases, spend, {partner: n}, {week: n}, reward], the
    partners by position, the reward as [points, funder, fee, expires on, booked on] or null."""
    return {
        key: [
            p.kind.value,
            format(p.target, "f"),
            p.until,
            p.purchases,
            format(p.spend, "f"),
            {str(names.at(partner)): n for partner, n in p.partners.items()},
            {str(week): n for week, n in p.weeks.items()},
            None
            if p.reward is None
            else [
                p.reward.points,
                p.reward.funder,
                format(p.reward.fee_per_point, "f"),
                p.reward.expires_on,
                p.reward.booked_on,
            ],
        ]
        for key, p in progress.items()
    }


def _targets_state(targets: dict[str, SetTarget]) -> dict[str, list[str]]:
    return {c: [format(t.target, "f"), t.kind.value, t.last_day] for c, t in targets.items()}


def _challenges_of(raw: dict[str, list[Any]] | None, names: list[str]) -> dict[str, Progress]:
    progress = {}
    for key, (kind, target, until, purchases, spend, partners, weeks, reward) in (raw or {}).items():
        progress[key] = Progress(
            ChallengeKind(kind),
            Decimal(target),
            str(until),
            int(purchases),
            Decimal(spend),
            {names[int(p)]: int(n) for p, n in partners.items()},
            {int(w): int(n) for w, n in weeks.items()},
            None
            if reward is None
            else BookedReward(int(reward[0]), str(reward[1]), Decimal(reward[2]), str(reward[3]), str(reward[4])),
        )
    return progress


def _measures_state(measures: dict[str, Running]) -> dict[str, list[Any]]:
    return {c: [format(r.spend, "f"), r.purchases, r.kept_until] for c, r in measures.items()}


def _measures_of(raw: dict[str, list[Any]] | None) -> dict[str, Running]:
    """[spend, purchases, kept until]; written by the first version without the date: kept until the campaign's
    current end says otherwise (services/earning.py)."""
    return {
        c: Running(Decimal(row[0]), int(row[1]), str(row[2]) if len(row) > 2 else "9999-12-31")
        for c, row in (raw or {}).items()
    }


def raw_to_hold(key: str, raw: dict[str, Any]) -> Hold:
    # Items written before holds were keyed by partner carry the bare hold id as their key.
    return Hold(
        hold_id=raw.get("hold_id") or key.removeprefix(f"{raw['partner_id']}#"),
        partner_id=raw["partner_id"],
        points=int(raw["points"]),
        expires_at=datetime.fromisoformat(raw["expires_at"].replace("Z", "+00:00")),
        portions=[Portion.from_dict(p) for p in raw["portions"]],
    )


def _raw_hold(hold: Hold) -> dict[str, Any]:
    return {
        "hold_id": hold.hold_id,
        "partner_id": hold.partner_id,
        "points": hold.points,
        "expires_at": iso(hold.expires_at),
        "portions": [p.to_dict() for p in hold.portions],
    }


def _month_end_runs(by_date: dict[str, int]) -> dict[str, list[int]]:
    """Points by date as runs of consecutive month ends ({first date: [points, points of the next month end, …]}):
    expiry dates are month ends, and 23 dates said as one cost a tenth of their bytes."""
    runs: dict[str, list[int]] = {}
    start, expected = "", ""
    for on in sorted(by_date):
        if on != expected:
            start = on
            runs[start] = []
        runs[start].append(by_date[on])
        expected = _next_month_end(on)
    return runs


def _dates_of_runs(runs: dict[str, list[int]]) -> dict[str, int]:
    by_date = {}
    for start, totals in runs.items():
        on = start
        for points in totals:
            by_date[on] = int(points)
            on = _next_month_end(on)
    return by_date


def _next_month_end(on: str) -> str:
    day = date.fromisoformat(on)
    if day == date.max or (day + timedelta(days=1)).month == day.month:  # no month end follows it in a run
        return ""
    return end_of_month(add_months(day.replace(day=1), 1)).isoformat()


def _keyed(by_date_issuer: dict[tuple[str, str], int]) -> dict[str, int]:
    return {f"{on}|{issuer}": n for (on, issuer), n in by_date_issuer.items()}


def _unkeyed(raw: dict[str, Any] | None) -> dict[tuple[str, str], int]:
    result: dict[tuple[str, str], int] = {}
    for key, n in (raw or {}).items():
        on, issuer = key.split("|", 1)
        result[(on, issuer)] = int(n)
    return result


def _by_date(lots: dict[tuple[str, str], int]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for (on, _issuer), n in lots.items():
        totals[on] = totals.get(on, 0) + n
    return totals
