"""Wallet items <-> domain wallets: a head, and a vault for a broad history (the layout: wallet_state.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.expressions.condition import Condition

from ..domain.errors import ConcurrencyConflict
from ..domain.profile import Profile
from ..domain.tiers import adopt_legacy_tier
from ..domain.timefmt import iso
from ..domain.wallet import MonthActivity, TierBasis, Wallet
from .directory import card_alias, referral_alias
from .errors import get_or_none, translated
from .layout import DueIndex, due_shard
from .models import VaultItem, WalletItem
from .wallet_state import VaultContent, decode_state, encode_state, head_state, layout, raw_to_hold, wallet_from_state


def load_wallet(member_id: str, *, whole: bool = True, consistent: bool = True) -> Wallet | None:
    """The member's wallet. `whole=False` reads the head only (what an earn or a spend needs: 1 GetItem); the vault,
    when there is one, is then read only if the operation reaches it (WalletIncomplete). An eventually consistent
    read (`consistent=False`) may be a moment old: only for a write that its version condition protects, or a read
    whose answer a moment's delay cannot make wrong."""
    for _ in range(VAULT_READS):
        with translated():
            item = get_or_none(WalletItem, member_id, consistent_read=consistent)
            if item is None:
                return None
            if not whole or item.state is None or item.vault_version is None:
                return to_wallet(item)
            vault = get_or_none(VaultItem, member_id, consistent_read=consistent)
        if vault is not None and int(vault.version) == int(item.vault_version):
            return to_wallet(item, VaultContent.from_state(decode_state(vault.state)))
        # A write came between the head and the vault: read both again (the vault's version is the head's that
        # wrote it, never reused, so a match is the pair written together).
    raise ConcurrencyConflict(f"wallet {member_id} kept changing while it was read")


VAULT_READS = 3  # tries at reading a head and its vault of one moment


def to_wallet(item: WalletItem, vault: VaultContent | None = None) -> Wallet:
    if item.state is not None:
        vault_version = None if item.vault_version is None else int(item.vault_version)
        state = decode_state(item.state)
        wallet = wallet_from_state(item.member_id, item.version or 0, item.review_on, state, vault, vault_version)
    else:
        wallet = _legacy_wallet(item)
    adopt_legacy_tier(wallet)  # items written before upgrades recorded what reached the tier
    return wallet


def _legacy_wallet(item: WalletItem) -> Wallet:
    """A wallet written before `state`: its figures in attributes of their own, no vault."""
    return Wallet(
        member_id=item.member_id,
        card_number=item.card_number or "",
        tier=item.tier or "",
        tier_reached_on=item.tier_reached_on or "",
        review_on=item.review_on,
        status=item.status or "active",
        version=item.version or 0,
        entry_seq=int(item.entry_seq or 0),
        lots={tuple(key.split("|", 1)): int(points) for key, points in (item.lots or {}).items()},
        debts={issuer: int(points) for issuer, points in (item.debts or {}).items()},
        holds={hold.key: hold for hold in (raw_to_hold(key, raw) for key, raw in (item.holds or {}).items())},
        activity={month: MonthActivity(**raw) for month, raw in (item.activity or {}).items()},
        birth_date=item.birth_date,
        referral_code=item.referral_code,
        referred_by=item.referred_by,
        created_at=item.created_at or "",
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


def _derived_aliases(item: WalletItem) -> list[str]:
    """Wallets written before they listed their identifiers: what can be derived (the card, the referral code)
    is released on closing like any other. Their e-mail and phone keys are keyed hashes that only the alias items
    know; a closed member has none left to derive."""
    if item.status in ("closed", "erased") or not item.card_number:
        return []
    return [card_alias(item.card_number)] + ([referral_alias(item.referral_code)] if item.referral_code else [])


@dataclass(frozen=True)
class VaultWrite:
    """What a booking does to the wallet's vault: put it (over the version read, or new) or delete it."""

    item: VaultItem
    condition: Condition
    delete: bool = False


def to_items(wallet: Wallet) -> tuple[WalletItem, VaultWrite | None]:
    """The head item, and the vault's write when what it holds changed (WalletIncomplete: read the wallet whole)."""
    placed = layout(wallet)
    vault_version, vault_write = wallet.vault_version, None
    if placed.vault is not None and placed.vault.digest() != wallet.vault_digest:
        read = wallet.vault_version
        held = VaultItem.version == read if read is not None else VaultItem.member_id.does_not_exist()
        if placed.vault:
            vault_version = wallet.version + 1  # the head's version written with it: unique, even after a delete
            state = encode_state(placed.vault.state())
            vault_write = VaultWrite(VaultItem(member_id=wallet.member_id, version=vault_version, state=state), held)
        elif read is not None:
            vault_version, vault_write = None, VaultWrite(VaultItem(member_id=wallet.member_id), held, delete=True)
    next_hold_expiry = wallet.next_hold_expiry()
    lot_dates = [expires_on for expires_on, _ in wallet.lots] + list(wallet.vaulted_lots)
    if placed.vault is not None:
        lot_dates += [expires_on for expires_on, _ in placed.vault.lots]
    next_lot_expiry = min(lot_dates, default=None)
    item = WalletItem(
        member_id=wallet.member_id,
        state=encode_state(head_state(wallet, placed)),
        vault_version=vault_version,
        review_on=wallet.review_on,
        hold_shard=None if next_hold_expiry is None else due_shard(DueIndex.HOLDS, wallet.member_id),
        next_hold_expiry=None if next_hold_expiry is None else iso(next_hold_expiry),
        review_shard=None if wallet.review_on is None else due_shard(DueIndex.REVIEW, wallet.member_id),
        expiry_shard=None if next_lot_expiry is None else due_shard(DueIndex.EXPIRY, wallet.member_id),
        next_expiry=next_lot_expiry,
        membership_shard=None if wallet.membership is None else due_shard(DueIndex.MEMBERSHIPS, wallet.member_id),
        membership_due_on=None if wallet.membership is None else wallet.membership.due_on,
    )
    if wallet.version:  # pynamodb turns it into the condition `version = read version`, and bumps it
        item.version = wallet.version
    return item, vault_write


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
        heads = list(page)
        vaults = _vaults_of(heads)
        wallets = []
        for item in heads:
            if item.state is not None and item.vault_version is not None and item.member_id not in vaults:
                again = load_wallet(item.member_id)  # written between the page and its vaults: read it afresh
                wallets += [again] if again is not None else []
            else:
                wallets.append(to_wallet(item, vaults.get(item.member_id)))
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
    """Several wallets, heads only (BatchGetItem, 100 a call), in no set order: their figures and balances; lots
    in their vaults are counted by date (`vaulted_lots`), not listed."""
    with translated():
        return [to_wallet(item) for item in WalletItem.batch_get(member_ids)]


def _vaults_of(heads: list[WalletItem]) -> dict[str, VaultContent]:
    """The vaults of a page of heads (BatchGetItem, consistent): those of the version their head names (another
    version: the wallet was written in between, and is left out)."""
    wanted = {item.member_id: int(item.vault_version) for item in heads if item.state and item.vault_version}
    if not wanted:
        return {}
    found = VaultItem.batch_get(list(wanted), consistent_read=True)
    return {
        vault.member_id: VaultContent.from_state(decode_state(vault.state))
        for vault in found
        if int(vault.version) == wanted[vault.member_id]
    }


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


def memberships_due(shard: str, on: str) -> list[str]:
    """Members whose paid membership renews (or lapses), or gives its monthly voucher, on or before `on` (one Query
    of the sparse index)."""
    with translated():
        return [item.member_id for item in WalletItem.memberships_due.query(shard, WalletItem.membership_due_on <= on)]


def expiries_due(shard: str, before: str) -> list[str]:
    """Members on `shard` with a lot whose validity ended before `before`."""
    with translated():
        return [item.member_id for item in WalletItem.expiries_due.query(shard, WalletItem.next_expiry < before)]
