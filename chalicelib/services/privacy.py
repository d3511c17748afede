"""A member's data rights: everything held about them (GET /v1/me/export), and erasure (DELETE /v1/me, or the
operator's DELETE /v1/admin/members/{id} on request).

Erasure keeps the ledger true and forgets the person:
- first, the member's user in the member pool is deleted, so they can no longer sign in (see erase_member: why first);
- open holds are released (entries `void`), and every remaining point is forfeited as breakage of its issuer, settled
  as expiry is (entry `forfeit`, remembered like expired points so that a later return does not take them again);
- the personal data on the member item go (card number, birth date, referral code and referrer, profile), its
  identifier aliases (card, email and phone hashes, referral code, the sign-in link) are deleted in the same
  transaction, and the status becomes `erased` (an entry of its own): partners no longer find the member, and every
  operation naming its id is refused;
- the ledger, vouchers and claims stay under the pseudonymous member id (no personal data in them), so settlements
  and the reconciliation stay true; a correction that reaches the member later (a partner's reversal, a cancelled
  claim) forfeits what it gives back in its own booking (services/operations.py).
Cost: 2 GetItem (the wallet read, then read again to write), 1 AdminDeleteUser, 1 TransactWriteItems (the wallet, the
entries, the aliases deleted).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.errors import NotFound
from ..domain.ledger import Entry, new_entry
from ..domain.movements import EntryType
from ..domain.profile import Profile
from ..domain.program import OPERATOR
from ..domain.wallet import Wallet
from .members import member_entries, member_overview
from .operations import ERASED, apply_to_wallet, forfeit_all, release_hold
from .requests import valid_member_id
from .runtime import Runtime, iso
from .vouchers import list_vouchers

EXPORT_ENTRIES = 100  # the rest of the history: GET /v1/me/entries from the export's next_cursor
EXPORT_VOUCHERS = 100  # the newest; more_vouchers says there are older ones (customer service lists them all)


def export_member(rt: Runtime, member_id: str) -> dict[str, Any]:
    """Everything held about the member, machine-readable: the account and profile, the identifiers (as held: emails
    and phones only as keyed hashes), the wallet in full, the vouchers, and the history (its first page here, the rest
    through next_cursor)."""
    wallet = _wallet(rt, member_id)
    overview = member_overview(rt, member_id, wallet)
    history = member_entries(rt, member_id, EXPORT_ENTRIES, None)
    vouchers = list_vouchers(rt, member_id, EXPORT_VOUCHERS + 1).model_dump(mode="json")["vouchers"]
    return {
        "exported_at": iso(rt.now()),
        "member": {
            **overview,
            "tier_reached_on": wallet.tier_reached_on,
            "created_at": wallet.created_at,
            "referred_by": wallet.referred_by,
            "birth_date_recorded_on": wallet.birth_date_recorded_on,
        },
        "identifiers": [_identifier(alias) for alias in wallet.aliases],
        "wallet": {
            "lots": [
                {"issuer": issuer, "expires_on": expires_on, "points": points}
                for (expires_on, issuer), points in sorted(wallet.lots.items())
            ],
            "debts": dict(wallet.debts),
            "holds": [
                {"hold_id": h.hold_id, "partner_id": h.partner_id, "points": h.points, "expires_at": iso(h.expires_at)}
                for h in wallet.holds.values()
            ],
            "voucher_points": dict(wallet.voucher_points),
            "activity": {month: vars(figures) for month, figures in sorted(wallet.activity.items())},
            "engagements": wallet.engagements,
            "campaign_counts": wallet.campaign_counts,
            "offers": dict(wallet.offers),
            "campaign_measures": {
                campaign: {"spend": format(r.spend, "f"), "purchases": r.purchases, "kept_until": r.kept_until}
                for campaign, r in wallet.campaign_measures.items()
            },
            "challenges": {key: progress.to_dict() for key, progress in sorted(wallet.challenges.items())},
            "challenge_targets": {c: format(t.target, "f") for c, t in sorted(wallet.challenge_targets.items())},
            "membership": None if wallet.membership is None else wallet.membership.to_dict(),
        },
        "vouchers": vouchers[:EXPORT_VOUCHERS],
        "more_vouchers": len(vouchers) > EXPORT_VOUCHERS,
        "entries": history["entries"],
        "next_cursor": history["next_cursor"],
    }


def erase_member(rt: Runtime, member_id: str) -> list[str]:
    """Erase the member (once: an erased member is left as it is). Returns the pool subjects deleted.

    The sign-in goes first: the link to it lives in the member's aliases, which the erasure deletes, so a sign-in
    deletion that failed after them could never be found again; deleted first, a failure answers 503 and a repeat
    finds the link still there (deleting a user already gone is no error)."""
    wallet = _wallet(rt, member_id)  # 404 for an unknown member
    subjects = [alias.removeprefix("SUB#") for alias in wallet.aliases if alias.startswith("SUB#")]
    for subject in subjects:
        rt.store.member_pool.delete_user(subject)
        rt.cache.forget(f"user:{subject}")  # this container forgets the link at once (others within a key's cache)

    def erase(wallet: Wallet, now: datetime) -> list[Entry]:
        if wallet.status == ERASED:
            return []
        entries = [release_hold(wallet, hold_key, "erasure", now) for hold_key in list(wallet.holds)]
        entries += forfeit_all(wallet, now)
        _forget_the_person(wallet)
        line = {"rule": EntryType.STATUS.value, "points": 0, "detail": f"account {wallet.status} -> {ERASED}"}
        wallet.status = ERASED
        entries.append(new_entry(wallet, EntryType.STATUS, OPERATOR, 0, breakdown=[line], booked_at=iso(now)))
        return entries

    apply_to_wallet(rt, member_id, erase, releasing_identifiers=True)
    return subjects


def _forget_the_person(wallet: Wallet) -> None:
    wallet.card_number = ""
    wallet.birth_date = None
    wallet.birth_date_recorded_on = None
    wallet.referral_code = None
    wallet.referred_by = None
    wallet.profile = Profile()


def _identifier(alias: str) -> dict[str, str]:
    kind, _, value = alias.partition("#")
    names = {"CARD": "card_number", "EMAIL": "email", "PHONE": "phone", "REF": "referral_code", "SUB": "sign_in"}
    held_as = "keyed hash (HMAC-SHA256)" if kind in ("EMAIL", "PHONE") else "as is"
    return {"kind": names.get(kind, kind.lower()), "value": value, "held_as": held_as}


def _wallet(rt: Runtime, member_id: str) -> Wallet:
    wallet = rt.store.wallets.load(member_id) if valid_member_id(member_id) else None
    if wallet is None:
        raise NotFound("member not found")
    return wallet
