"""Tier review and re-evaluation of one member (the jobs call these for each member that is due)."""

from __future__ import annotations

from datetime import date, datetime

from ..domain.ledger import Entry, tier_entry
from ..domain.tiers import review, upgrade_if_earned
from ..domain.wallet import Wallet
from .operations import apply_to_wallet
from .programs import current_program
from .runtime import Runtime, iso


def review_member(rt: Runtime, member_id: str, as_of: date) -> list[Entry]:
    """Review a member whose review date has come; a member not (or no longer) due is left as is."""
    program = current_program(rt)

    def change(wallet: Wallet, now: datetime) -> list[Entry]:
        decision = review(wallet, program, as_of)
        return [] if decision is None else [tier_entry(wallet, decision, iso(now))]

    return apply_to_wallet(rt, member_id, change)


def reevaluate_member(rt: Runtime, member_id: str) -> list[Entry]:
    """After a rule change: upgrade whoever now earns a higher tier, reassign tiers that no longer exist.
    Nobody is lowered here: a tier is kept until its review date."""
    program = current_program(rt)

    def change(wallet: Wallet, now: datetime) -> list[Entry]:
        decision = upgrade_if_earned(wallet, program, now.date())
        return [] if decision is None else [tier_entry(wallet, decision, iso(now))]

    return apply_to_wallet(rt, member_id, change)
