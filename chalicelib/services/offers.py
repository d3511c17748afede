"""Opt-in offers (GET /v1/me/offers, POST /v1/me/offers/{id}/enrolment): campaigns marked `opt_in` reward only the
members who enrolled in them. A member sees the running offers open to them (their tier and segment, evaluated on
their wallet) and enrols; the enrolment is kept in the wallet until the offer's last day, and the purchase that
earns from it decides on the wallet it reads anyway (no extra call).

Cost: the list reads the wallet head (1 GetItem) and the campaigns and segments through the cache; an enrolment
reads and writes the wallet head (1 GetItem, 1 conditional PutItem)."""

from __future__ import annotations

from typing import Any

from ..domain.campaigns import Campaign, forget_ended_offers
from ..domain.errors import ConcurrencyConflict, MemberInactive, NotFound, RetryLater, RuleViolation, TransientFailure
from ..domain.wallet import Wallet
from ..store.bookings import Booking
from .campaigns import all_campaigns
from .challenges import all_challenges, enrolments_kept
from .earning import open_to
from .runtime import Runtime, iso
from .segments import all_segments


def offers_for(rt: Runtime, member_id: str) -> list[dict[str, Any]]:
    wallet = rt.store.wallets.load(member_id, whole=False, consistent=False)
    if wallet is None:
        raise NotFound("member not found")
    return [_view(c, wallet) for c in _open_offers(rt, wallet)]


def enrol(rt: Runtime, member_id: str, offer_id: str) -> tuple[bool, dict[str, Any]]:
    """(enrolled now, the offer as the member sees it): enrolling twice changes nothing and answers the same."""
    for _ in range(rt.settings.write_attempts):
        wallet = rt.store.wallets.load(member_id)
        if wallet is None:
            raise NotFound("member not found")
        if not wallet.active:
            raise MemberInactive(f"this member is {wallet.status}")
        offer = next((c for c in _open_offers(rt, wallet) if c.campaign_id == offer_id), None)
        if offer is None:
            raise NotFound(f"no offer {offer_id} is open to you", field="offer_id")
        if offer_id in wallet.offers:
            return False, _view(offer, wallet)
        if offer.starts_at > rt.now():
            raise RuleViolation(f"offer {offer_id} opens at {iso(offer.starts_at)}", field="offer_id")
        kept = enrolments_kept(all_campaigns(rt), all_challenges(rt))
        forget_ended_offers(wallet.offers, rt.now().date().isoformat(), kept)
        wallet.offers[offer_id] = offer.ends_at.date().isoformat()
        try:
            rt.store.bookings.commit(Booking(wallet=wallet))
        except (ConcurrencyConflict, TransientFailure):
            continue  # a purchase landed meanwhile: enrol on what it wrote
        return True, _view(offer, wallet)
    raise RetryLater("your account is busy: enrol again")


def _open_offers(rt: Runtime, wallet: Wallet) -> list[Campaign]:
    """Opt-in campaigns not over yet whose tier filter and segment take this member in, by start."""
    now = rt.now()
    offers = [c for c in all_campaigns(rt) if c.opt_in and c.ends_at > now]
    segments = all_segments(rt) if any(c.segment for c in offers) else {}
    today = now.date()
    open_ones = [c for c in offers if open_to(c, segments, wallet, today)]
    return sorted(open_ones, key=lambda c: (c.starts_at, c.campaign_id))


def _view(offer: Campaign, wallet: Wallet) -> dict[str, Any]:
    return {
        "offer_id": offer.campaign_id,
        "name": offer.name,
        "starts_at": iso(offer.starts_at),
        "ends_at": iso(offer.ends_at),
        "partners": list(offer.partners),
        "categories": list(offer.categories),
        "channel": offer.channel,
        **({"multiplier": format(offer.multiplier, "f")} if offer.multiplier is not None else {"points": offer.points}),
        "max_per_member": offer.max_per_member,
        "enrolled": offer.campaign_id in wallet.offers,
    }
