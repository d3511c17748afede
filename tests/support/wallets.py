"""Wallets as stored: read whole, rewritten by a test, or written in the layout used before `state` (legacy)."""

from __future__ import annotations

from chalicelib.domain.profile import Profile
from chalicelib.domain.wallet import Wallet
from chalicelib.store.models import VaultItem, WalletItem
from chalicelib.store.wallet_state import _raw_hold, decode_state
from chalicelib.store.wallets import load_wallet, to_items


def stored_wallet(member_id: str) -> Wallet:
    """The member's wallet as last written, head and vault (consistent reads)."""
    wallet = load_wallet(member_id)
    assert wallet is not None, member_id
    return wallet


def rewrite(wallet: Wallet) -> None:
    """Store `wallet` as a test changed it, as a booking would (over the version it was read at)."""
    head, vault = to_items(wallet)
    head.save()
    if vault is not None:
        vault.item.delete() if vault.delete else vault.item.save()


def head_and_vault_states(member_id: str) -> tuple[dict, dict | None]:  # type: ignore[type-arg]
    """What the head's and the vault's `state` hold, decoded (as `coalition wallet decode` shows them)."""
    head = WalletItem.get(member_id, consistent_read=True)
    try:
        vault = VaultItem.get(member_id, consistent_read=True)
    except VaultItem.DoesNotExist:
        vault = None
    return decode_state(head.state), None if vault is None else decode_state(vault.state)


def put_legacy(wallet: Wallet, **overrides: object) -> None:
    """Write `wallet` as wallets were written before `state`: each figure an attribute of its own (and no vault).
    `overrides` set or remove (None) attributes, as an old item may lack them."""
    attributes: dict[str, object] = {
        "member_id": wallet.member_id,
        "entry_seq": wallet.entry_seq,
        "status": wallet.status,
        "card_number": wallet.card_number,
        "tier": wallet.tier,
        "tier_reached_on": wallet.tier_reached_on,
        "review_on": wallet.review_on,
        "lots": {f"{on}|{issuer}": n for (on, issuer), n in wallet.lots.items()},
        "debts": dict(wallet.debts),
        "holds": {key: _raw_hold(hold) for key, hold in wallet.holds.items()},
        "activity": {month: vars(figures) for month, figures in wallet.activity.items()},
        "birth_date": wallet.birth_date,
        "referral_code": wallet.referral_code,
        "referred_by": wallet.referred_by,
        "created_at": wallet.created_at,
        "first_purchase_at": wallet.first_purchase_at,
        "engagements": wallet.engagements,
        "campaign_counts": wallet.campaign_counts,
        "tier_floor": wallet.tier_floor,
        "tier_floor_review_on": wallet.tier_floor_review_on,
        "tier_basis": None if wallet.tier_basis is None else wallet.tier_basis.to_dict(),
        "aliases": wallet.aliases,
        "expired_tally": {f"{on}|{issuer}": n for (on, issuer), n in wallet.expired_tally.items()},
        "voucher_points": dict(wallet.voucher_points),
        "profile": wallet.profile.to_dict() if wallet.profile != Profile() else None,
    }
    attributes.update(overrides)
    item = WalletItem(**{name: value for name, value in attributes.items() if value is not None})
    item.version = wallet.version
    item.save()
