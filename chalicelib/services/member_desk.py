"""The operator's customer-service desk: a member's whole file (profile, wallet by issuer and expiry, debts, holds,
open voucher points, recent history), found by id or by card, email or phone. Reads only: 1 GetItem (the wallet,
+1 its vault for a broad history) + 1 Query (the recent entries), + 1 GetItem for a look-up by identifier, whatever
the history's length."""

from __future__ import annotations

from typing import Any

from ..domain.errors import InvalidRequest, NotFound
from ..services.requests import MemberRef, valid_member_id
from .members import member_overview, resolve_member
from .runtime import Runtime, iso

RECENT_ENTRIES = 10


def member_file(rt: Runtime, member_id: str) -> dict[str, Any]:
    wallet = rt.store.wallets.load(member_id) if valid_member_id(member_id) else None
    if wallet is None:
        raise NotFound(f"member {member_id} not found", field="member_id")
    entries, next_cursor = rt.store.ledger.list_entries(member_id, RECENT_ENTRIES, None)
    return {
        **member_overview(rt, member_id, wallet),
        "tier_reached_on": wallet.tier_reached_on,
        "created_at": wallet.created_at,
        "birth_date": wallet.birth_date,
        "referred_by": wallet.referred_by,
        "lots": [
            {"issuer": issuer, "expires_on": expires_on, "points": points}
            for (expires_on, issuer), points in sorted(wallet.lots.items())
        ],
        "debts": dict(sorted(wallet.debts.items())),
        "holds": [
            {"hold_id": h.hold_id, "partner_id": h.partner_id, "points": h.points, "expires_at": iso(h.expires_at)}
            for h in sorted(wallet.holds.values(), key=lambda h: h.expires_at)
        ],
        "voucher_points": {issuer: n for issuer, n in sorted(wallet.voucher_points.items()) if n},
        "recent_entries": [entry.public() for entry in entries],
        "more_entries": next_cursor is not None,
    }


def find_member_file(rt: Runtime, card_number: str | None, email: str | None, phone: str | None) -> dict[str, Any]:
    given = {k: v for k, v in (("card_number", card_number), ("email", email), ("phone", phone)) if v}
    if len(given) != 1:
        raise InvalidRequest("give exactly one of card_number, email, phone", field="card_number")
    return member_file(rt, resolve_member(rt, MemberRef.model_validate(given)))
