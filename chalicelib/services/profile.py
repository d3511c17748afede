"""PATCH /v1/me: a member changes what they tell about themself (name, preferred partners, interests, consents, birth
date). Not a movement of points: the wallet item is rewritten over the version read, with no entry and no operation
record (the same patch sent twice leaves the same profile). Cost: 1 GetItem + 1 TransactWriteItems of 1 item.

Birth date: a member may give it once (the birthday rule counts a birthday month once the date was known before the
month began: `birth_date_recorded_on`); changing a known date is customer service's job, so that nobody moves their
birthday from month to month for the bonus.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from ..domain.errors import (
    ConcurrencyConflict,
    InvalidRequest,
    MemberInactive,
    NotFound,
    RetryLater,
    RuleViolation,
    TransientFailure,
)
from ..domain.profile import Profile
from ..domain.wallet import Wallet
from ..store.bookings import Booking
from .requests import ProfilePatch
from .runtime import Runtime, iso


def update_profile(rt: Runtime, member_id: str, patch: ProfilePatch) -> Wallet:
    """The wallet as written."""
    if patch.preferred_partners:
        _check_partners(rt, patch.preferred_partners)
    if patch.birth_date is not None:
        check_birth_date(patch.birth_date, rt.now().date())
    for _ in range(rt.settings.write_attempts):
        wallet = rt.store.wallets.load(member_id)
        if wallet is None:
            raise NotFound("member not found")
        if wallet.status in ("closed", "erased"):  # nobody's profile any more (a link cached a few seconds)
            raise MemberInactive(f"this member is {wallet.status}")
        now = rt.now()
        wallet.profile = patched(wallet.profile, patch, iso(now))
        if patch.birth_date is not None and patch.birth_date.isoformat() != wallet.birth_date:
            if wallet.birth_date is not None:
                raise RuleViolation(
                    f"your birth date is {wallet.birth_date}: customer service corrects it", field="birth_date"
                )
            wallet.birth_date = patch.birth_date.isoformat()
            wallet.birth_date_recorded_on = now.date().isoformat()
        try:
            rt.store.bookings.commit(Booking(wallet=wallet))
        except (ConcurrencyConflict, TransientFailure):
            continue  # a purchase or another change landed meanwhile: apply the patch to what it wrote
        return wallet
    raise RetryLater("your account is busy: send the change again")


def patched(profile: Profile, patch: ProfilePatch, now: str) -> Profile:
    if "name" in patch.model_fields_set:  # null forgets it
        profile = replace(profile, name=patch.name)
    if patch.preferred_partners is not None:  # as ordered, each once
        profile = replace(profile, preferred_partners=tuple(dict.fromkeys(patch.preferred_partners)))
    if patch.interests is not None:
        profile = replace(profile, interests=tuple(dict.fromkeys(patch.interests)))
    if patch.consents is not None:
        profile = profile.with_consents({channel: choice.given for channel, choice in patch.consents.items()}, now)
    return profile


def check_birth_date(birth_date: date, today: date) -> None:
    if not (1900 <= birth_date.year and birth_date <= today):
        raise InvalidRequest("birth_date is not plausible", field="birth_date")


def _check_partners(rt: Runtime, wanted: list[str]) -> None:
    active = {p.partner_id for p in rt.cache.get("partners", rt.store.directory.list_partners) if p.active}
    unknown = [partner_id for partner_id in wanted if partner_id not in active]
    if unknown:
        raise RuleViolation(f"not partners of the programme: {', '.join(unknown)}", field="preferred_partners")
