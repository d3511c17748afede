"""A change of a member's wallet head that books no entry (an enrolment, a target, a membership's renewal choice):
read the head, change it, write it over the version read, and do it again on the change of a purchase that landed
meanwhile."""

from __future__ import annotations

from collections.abc import Callable

from ..domain.errors import ConcurrencyConflict, MemberInactive, NotFound, RetryLater, TransientFailure
from ..domain.wallet import Wallet
from ..store.bookings import Booking
from .runtime import Runtime


def write_wallet(rt: Runtime, member_id: str, change: Callable[[Wallet], bool], *, allow_inactive: bool) -> None:
    """`change` returns False: nothing to write. 1 GetItem + 1 conditional PutItem, each again on a conflict."""
    for _ in range(rt.settings.write_attempts):
        wallet = rt.store.wallets.load(member_id)
        if wallet is None:
            raise NotFound(f"member {member_id} not found", field="member_id")
        if not wallet.active and not allow_inactive:
            raise MemberInactive(f"this member is {wallet.status}")
        if not change(wallet):
            return
        try:
            rt.store.bookings.commit(Booking(wallet=wallet))
        except (ConcurrencyConflict, TransientFailure):
            continue  # a purchase landed meanwhile: change what it wrote
        return
    raise RetryLater("the member's account is busy: try again")
