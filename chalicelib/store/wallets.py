"""Wallet items <-> domain wallets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.profile import Profile
from ..domain.tiers import adopt_legacy_tier
from ..domain.timefmt import iso
from ..domain.wallet import Hold, MonthActivity, Portion, TierBasis, Wallet
from .directory import card_alias, referral_alias
from .errors import get_or_none, translated
from .layout import DueIndex, due_shard
from .models import WalletItem


def load_wallet(member_id: str) -> Wallet | None:
    with translated():
        item = get_or_none(WalletItem, member_id, consistent_read=True)
    return None if item is None else to_wallet(item)


def to_wallet(item: WalletItem) -> Wallet:
    wallet = Wallet(
        member_id=item.member_id,
        card_number=item.card_number,
        tier=item.tier,
        tier_reached_on=item.tier_reached_on,
        review_on=item.review_on,
        status=item.status,
        version=item.version or 0,
        entry_seq=int(item.entry_seq),
        lots={tuple(key.split("|", 1)): int(points) for key, points in item.lots.items()},
        debts={issuer: int(points) for issuer, points in item.debts.items()},
        holds={hold.key: hold for hold in (_hold(key, raw) for key, raw in item.holds.items())},
        activity={month: MonthActivity(**raw) for month, raw in item.activity.items()},
        birth_date=item.birth_date,
        referral_code=item.referral_code,
        referred_by=item.referred_by,
        created_at=item.created_at,
        first_purchase_at=item.first_purchase_at,
        enrolled_by=item.enrolled_by,
        enrolled_channel=item.enrolled_channel,
        engagements=dict(item.engagements or {}),
        campaign_counts=dict(item.campaign_counts or {}),
        tier_floor=item.tier_floor,
        tier_floor_review_on=item.tier_floor_review_on,
        tier_basis=None if item.tier_basis is None else TierBasis.from_dict(item.tier_basis),
        aliases=list(item.aliases or []) or _derived_aliases(item),
        birth_date_recorded_on=item.birth_date_recorded_on,
        issued_today=(str(item.issued_today[0]), int(item.issued_today[1])) if item.issued_today else ("", 0),
        expired_tally={tuple(k.split("|", 1)): int(n) for k, n in (item.expired_tally or {}).items()},
        voucher_points={issuer: int(n) for issuer, n in (item.voucher_points or {}).items()},
        profile=Profile.from_dict(item.profile),
    )
    adopt_legacy_tier(wallet)  # items written before upgrades recorded what reached the tier
    return wallet


def _derived_aliases(item: WalletItem) -> list[str]:
    """Wallets written before they listed their identifiers: what can be derived (the card, the referral code)
    is released on closing like any other. Their e-mail and phone keys are keyed hashes that only the alias items
    know; a closed member has none left to derive."""
    if item.status in ("closed", "erased"):
        return []
    return [card_alias(item.card_number)] + ([referral_alias(item.referral_code)] if item.referral_code else [])


def to_item(wallet: Wallet) -> WalletItem:
    next_hold_expiry = wallet.next_hold_expiry()
    next_lot_expiry = min((expires_on for expires_on, _ in wallet.lots), default=None)
    item = WalletItem(
        member_id=wallet.member_id,
        entry_seq=wallet.entry_seq,
        status=wallet.status,
        card_number=wallet.card_number,
        tier=wallet.tier,
        tier_reached_on=wallet.tier_reached_on,
        review_on=wallet.review_on,
        lots={f"{expires_on}|{issuer}": points for (expires_on, issuer), points in wallet.lots.items()},
        debts=dict(wallet.debts),
        holds={key: _raw_hold(hold) for key, hold in wallet.holds.items()},
        activity={month: vars(figures) for month, figures in wallet.activity.items()},
        birth_date=wallet.birth_date,
        referral_code=wallet.referral_code,
        referred_by=wallet.referred_by,
        created_at=wallet.created_at,
        first_purchase_at=wallet.first_purchase_at,
        enrolled_by=wallet.enrolled_by,
        enrolled_channel=wallet.enrolled_channel,
        engagements=wallet.engagements,
        campaign_counts=wallet.campaign_counts,
        tier_floor=wallet.tier_floor,
        tier_floor_review_on=wallet.tier_floor_review_on,
        tier_basis=None if wallet.tier_basis is None else wallet.tier_basis.to_dict(),
        aliases=wallet.aliases,
        birth_date_recorded_on=wallet.birth_date_recorded_on,
        issued_today=list(wallet.issued_today) if wallet.issued_today[0] else None,
        expired_tally={f"{expires_on}|{issuer}": n for (expires_on, issuer), n in wallet.expired_tally.items()},
        voucher_points={issuer: n for issuer, n in wallet.voucher_points.items() if n},
        profile=wallet.profile.to_dict() if wallet.profile != Profile() else None,
        hold_shard=None if next_hold_expiry is None else due_shard(DueIndex.HOLDS, wallet.member_id),
        next_hold_expiry=None if next_hold_expiry is None else iso(next_hold_expiry),
        review_shard=None if wallet.review_on is None else due_shard(DueIndex.REVIEW, wallet.member_id),
        expiry_shard=None if next_lot_expiry is None else due_shard(DueIndex.EXPIRY, wallet.member_id),
        next_expiry=next_lot_expiry,
    )
    if wallet.version:  # pynamodb turns it into the condition `version = read version`, and bumps it
        item.version = wallet.version
    return item


ScanKey = dict[str, Any]  # DynamoDB's LastEvaluatedKey of a Scan page


def scan_wallets(segment: int, segments: int, limit: int, start: ScanKey | None) -> tuple[list[Wallet], ScanKey | None]:
    """One page of a parallel Scan segment, read consistently (the operator's reconciliation walks every wallet)."""
    with translated():
        page = WalletItem.scan(
            segment=segment,
            total_segments=segments,
            limit=limit,
            page_size=limit,
            last_evaluated_key=start,
            consistent_read=True,
        )
        wallets = [to_wallet(item) for item in page]
        return wallets, page.last_evaluated_key


def scan_member_ids(segment: int, segments: int, limit: int, start: ScanKey | None) -> tuple[list[str], ScanKey | None]:
    """One page of member ids of a parallel Scan segment (the full tier re-evaluation)."""
    with translated():
        page = WalletItem.scan(
            segment=segment,
            total_segments=segments,
            limit=limit,
            page_size=limit,
            last_evaluated_key=start,
            attributes_to_get=["member_id"],
        )
        member_ids = [item.member_id for item in page]
        return member_ids, page.last_evaluated_key


def load_wallets(member_ids: list[str]) -> list[Wallet]:
    """Several wallets (BatchGetItem, 100 a call), in no set order."""
    with translated():
        return [to_wallet(item) for item in WalletItem.batch_get(member_ids)]


def holds_due(shard: str, at: str) -> list[str]:
    """Members on `shard` with a hold expiring at or before `at` (one Query of the sparse index)."""
    with translated():
        return [item.member_id for item in WalletItem.holds_due.query(shard, WalletItem.next_hold_expiry <= at)]


def reviews_due(shard: str, on: str) -> list[str]:
    """Members on `shard` whose tier review date is on or before `on`."""
    with translated():
        return [item.member_id for item in WalletItem.reviews_due.query(shard, WalletItem.review_on <= on)]


def above_base_tier(shard: str, limit: int, start: ScanKey | None) -> tuple[list[str], ScanKey | None]:
    """A page of the members on `shard` of the reviews index: every member above the base tier (and nobody else),
    whatever their review date (a grant to an upper tier reads these, never the base tier's members)."""
    with translated():
        page = WalletItem.reviews_due.query(shard, limit=limit, page_size=limit, last_evaluated_key=start)
        member_ids = [item.member_id for item in page]
        return member_ids, page.last_evaluated_key


def expiries_due(shard: str, before: str) -> list[str]:
    """Members on `shard` with a lot whose validity ended before `before`."""
    with translated():
        return [item.member_id for item in WalletItem.expiries_due.query(shard, WalletItem.next_expiry < before)]


def _hold(key: str, raw: dict) -> Hold:  # type: ignore[type-arg]
    # Items written before holds were keyed by partner carry the bare hold id as their key.
    return Hold(
        hold_id=raw.get("hold_id") or key.removeprefix(f"{raw['partner_id']}#"),
        partner_id=raw["partner_id"],
        points=int(raw["points"]),
        expires_at=datetime.fromisoformat(raw["expires_at"].replace("Z", "+00:00")),
        portions=[Portion.from_dict(p) for p in raw["portions"]],
    )


def _raw_hold(hold: Hold) -> dict:  # type: ignore[type-arg]
    return {
        "hold_id": hold.hold_id,
        "partner_id": hold.partner_id,
        "points": hold.points,
        "expires_at": iso(hold.expires_at),
        "portions": [p.to_dict() for p in hold.portions],
    }
