"""Operator use cases on partners and their API keys."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import replace
from decimal import Decimal
from typing import Any

from ..domain.errors import CurrencyMismatch, InvalidRequest, NotFound
from ..domain.money import parse_currency, parse_percent, parse_rate
from ..domain.program import DEFAULT_PROGRAM, RESERVED_PARTNER_IDS, KeyScope, Partner
from . import settlement
from .requests import PartnerCreate, PartnerPatch
from .retrying import until_written
from .runtime import Runtime, iso


def create_partner(rt: Runtime, request: PartnerCreate) -> dict[str, Any]:
    _refuse_reserved(request.partner_id)
    currency = parse_currency(request.currency)
    # One coalition, one currency: points are settled, fees charged and amounts compared (tier spend, the
    # first-purchase minimum) in the programme's currency, and the coalition keeps no exchange rates.
    # Read afresh, not from this container's cache: the programme may have changed currency a moment ago.
    program_currency = (rt.store.directory.get_program(consistent=True) or DEFAULT_PROGRAM).currency
    if currency != program_currency:
        raise CurrencyMismatch(
            f"the programme trades in {program_currency}: a partner in {currency} needs its own programme",
            field="currency",
        )
    if request.earn_rate is None and request.cashback_percent is None:
        raise InvalidRequest(
            "give the base rate as earn_rate (points per currency unit) or as cashback_percent", field="earn_rate"
        )
    base = _base_rate(request.earn_rate, request.cashback_percent)
    categories = _category_changes(request.category_rates, request.category_cashback_percent)
    partner = Partner(
        partner_id=request.partner_id,
        name=request.name,
        currency=currency,
        earn_rate=base["earn_rate"],
        cashback_percent=base["cashback_percent"],
        category_rates=categories.get("category_rates", {}),
        category_cashback_percent=categories.get("category_cashback_percent", {}),
        fee_per_point=_fee(request.fee_per_point),
    )
    rt.store.directory.create_partner(partner, iso(rt.now()))
    settlement.mark_epoch(rt)
    rt.cache.forget("partners")
    return partner.view()


def _refuse_reserved(partner_id: str) -> None:
    if partner_id in RESERVED_PARTNER_IDS:
        raise InvalidRequest(
            f"{partner_id!r} is reserved (the system uses it as a party, file or keyword); choose another partner_id",
            field="partner_id",
        )


def update_partner(rt: Runtime, partner_id: str, patch: PartnerPatch) -> dict[str, Any]:
    changes = _changes(patch)
    updated, key_ids = until_written(rt, lambda: _apply(rt, partner_id, changes), f"partner {partner_id}")
    # Each cached key holds the partner's status: forget them too, so that a suspension stops the keys
    # at once here (other warm containers drop them within key_cache_seconds).
    for key in ("partners", f"partner:{partner_id}", *(f"key:{key_id}" for key_id in key_ids)):
        rt.cache.forget(key)
    return updated.view()


def _changes(patch: PartnerPatch) -> dict[str, Any]:
    """The fields the patch sets, parsed (once: a retry re-applies them to a fresh read)."""
    changes: dict[str, Any] = {}
    if patch.name is not None:
        changes["name"] = patch.name
    if patch.status is not None:
        changes["status"] = patch.status
    if patch.earn_rate is not None or patch.cashback_percent is not None:
        changes.update(_base_rate(patch.earn_rate, patch.cashback_percent))  # the one given replaces the other
    changes.update(_category_changes(patch.category_rates, patch.category_cashback_percent))
    if patch.fee_per_point is not None:
        changes["fee_per_point"] = _fee(patch.fee_per_point)
    return changes


def _apply(rt: Runtime, partner_id: str, changes: dict[str, Any]) -> tuple[Partner, list[str]]:
    current = rt.store.directory.get_partner(partner_id)
    if current is None:
        raise NotFound(f"partner {partner_id} does not exist")
    updated = replace(current, **changes)
    # A category given in one form leaves the other one (as the base rate does), the rest of which stays.
    if "category_rates" in changes and "category_cashback_percent" not in changes:
        kept = {c: p for c, p in current.category_cashback_percent.items() if c not in updated.category_rates}
        updated = replace(updated, category_cashback_percent=kept)
    if "category_cashback_percent" in changes and "category_rates" not in changes:
        rates = {c: r for c, r in current.category_rates.items() if c not in updated.category_cashback_percent}
        updated = replace(updated, category_rates=rates)
    return updated, rt.store.directory.save_partner(updated)


def issue_api_key(rt: Runtime, partner_id: str, scope: KeyScope = KeyScope.ADMIN) -> dict[str, str]:
    """The key is shown once: only a hash of its secret is stored."""
    return until_written(rt, lambda: _new_api_key(rt, partner_id, scope), f"partner {partner_id}")


def _new_api_key(rt: Runtime, partner_id: str, scope: KeyScope) -> dict[str, str]:
    key_id = secrets.token_hex(6)  # drawn again on a retry: a lost write may also be a key id already taken
    secret = secrets.token_hex(24)
    rt.store.directory.add_api_key(partner_id, key_id, secret_hash(secret), scope, iso(rt.now()))
    return {"key_id": key_id, "partner_id": partner_id, "scope": scope.value, "api_key": f"ck_{key_id}_{secret}"}


def revoke_api_key(rt: Runtime, partner_id: str, key_id: str) -> None:
    revoked = iso(rt.now())
    until_written(rt, lambda: rt.store.directory.revoke_api_key(partner_id, key_id, revoked), f"partner {partner_id}")
    rt.cache.forget(f"key:{key_id}")


def secret_hash(secret: str) -> str:
    # The secret is 192 random bits: a plain SHA-256 cannot be brute-forced, no slow hash needed.
    return hashlib.sha256(secret.encode()).hexdigest()


def _base_rate(earn_rate: str | None, cashback_percent: str | None) -> dict[str, Decimal | None]:
    """The base rate in the one form given (the other cleared): points per unit, or a % back."""
    if earn_rate is not None and cashback_percent is not None:
        raise InvalidRequest("give earn_rate or cashback_percent, not both", field="cashback_percent")
    if cashback_percent is not None:
        return {"earn_rate": None, "cashback_percent": parse_percent(cashback_percent, "cashback_percent")}
    return {"earn_rate": parse_rate(earn_rate, "earn_rate"), "cashback_percent": None}


def _category_changes(rates: dict[str, str] | None, percents: dict[str, str] | None) -> dict[str, dict[str, Decimal]]:
    """The category rates given, in either form; one category in both forms is refused."""
    changes: dict[str, dict[str, Decimal]] = {}
    if rates is not None:
        changes["category_rates"] = {c: parse_rate(rate, f"category_rates.{c}") for c, rate in rates.items()}
    if percents is not None:
        changes["category_cashback_percent"] = {
            c: parse_percent(percent, f"category_cashback_percent.{c}") for c, percent in percents.items()
        }
    both = sorted(set(rates or {}) & set(percents or {}))
    if both:
        category = both[0]
        raise InvalidRequest(
            f"{category} has a rate in category_rates and in category_cashback_percent: give one",
            field=f"category_cashback_percent.{category}",
        )
    return changes


def _fee(raw: str | None) -> Decimal:
    return Decimal(0) if raw is None else parse_rate(raw, "fee_per_point")
