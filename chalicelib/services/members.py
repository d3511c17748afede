"""Members: enrolment, recognition by card/email/phone, and what a member sees of themself."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from ..domain.errors import (
    AlreadyEnrolled,
    ConcurrencyConflict,
    IdentifierTaken,
    InvalidRequest,
    MemberExists,
    MemberInactive,
    NotFound,
    RetryLater,
    RuleViolation,
    TransientFailure,
)
from ..domain.ledger import Entry, EntryFilter, new_entry
from ..domain.membership import membership_view
from ..domain.movements import EntryType
from ..domain.program import OPERATOR, Program
from ..domain.spend_codes import SpendCode
from ..domain.tiers import metric_value
from ..domain.vouchers import CENT
from ..domain.wallet import Wallet
from ..settings import Settings
from ..store import directory
from ..store.bookings import Booking
from .operations import apply_to_wallet
from .profile import check_birth_date
from .programs import current_program, decimal_or_int
from .requests import EnrolRequest, MemberRef, SpendCodeRequest, valid_member_id
from .runtime import Runtime, iso

SOON_DAYS = 60  # "expiring soon" in a member's overview


def alias_for(settings: Settings, kind: str, value: str) -> str:
    """The directory key of an identifier: card numbers as they are, emails and phones as keyed hashes."""
    if kind == "card_number":
        return directory.card_alias(value)
    normalised = value.strip().lower() if kind == "email" else value.strip()
    digest = hmac.new(settings.pii_hmac_key.get_secret_value().encode(), normalised.encode(), hashlib.sha256)
    return f"{kind.upper()}#{digest.hexdigest()}"


def resolve_member(rt: Runtime, ref: MemberRef) -> str:
    """member_id as given (checked when the wallet is read), or one alias read for card/email/phone."""
    if ref.member_id is not None:
        if not valid_member_id(ref.member_id):
            raise NotFound("member not found", field="member.member_id")
        return ref.member_id
    if ref.spend_code is not None:  # recognises the member; only a spending consumes it (services/burning.py)
        return live_spend_code(rt, ref.spend_code).member_id
    kind, value = next(
        (k, v) for k, v in (("card_number", ref.card_number), ("email", ref.email), ("phone", ref.phone)) if v
    )
    member_id = rt.store.directory.find_member_id(alias_for(rt.settings, kind, value))
    if member_id is None:
        raise NotFound(f"no member with this {kind}", field=f"member.{kind}")
    return member_id


def live_spend_code(rt: Runtime, code: str) -> SpendCode:
    """The spend code, if it exists and is within its minutes (DynamoDB's TTL deletes expired ones only later)."""
    spend_code = rt.store.spend_codes.find(code)
    if spend_code is None:
        raise NotFound("no such spend code (used, or never issued)", field="member.spend_code")
    spend_code.check_live(rt.now())
    return spend_code


def issue_spend_code(rt: Runtime, member_id: str, request: SpendCodeRequest) -> dict[str, Any]:
    """A code the member's app shows at a till for a few minutes: one spending of up to `points_max` points."""
    wallet = rt.store.wallets.load(member_id)
    if wallet is None or not wallet.active:
        raise MemberInactive("only an active member can spend points")
    for _ in range(3):  # 10^12 codes: a clash with a live one is all but impossible; draw again if it happens
        spend_code = SpendCode.issue(member_id, request.points_max, rt.now())
        try:
            rt.store.spend_codes.save(spend_code)
        except ConcurrencyConflict:
            continue
        return {"code": spend_code.code, "points_max": spend_code.points_max, "expires_at": spend_code.expires_at}
    raise RetryLater("could not draw a free spend code; retry")


def enrol_member(
    rt: Runtime, enrolled_by: str, request: EnrolRequest, *, user_subject: str | None = None
) -> dict[str, Any]:
    """A new member, at a partner's till (`enrolled_by`: the partner; no rule depends on it yet) or online
    (`user_subject`: the signed-in user it is linked to, its SUB# alias written in the member's own transaction, so
    that one user never enrols two members)."""
    program = current_program(rt)
    if request.birth_date is not None:
        check_birth_date(request.birth_date, rt.now().date())
    referrer = None
    if request.referral_code is not None:
        referrer = rt.store.directory.find_member_id(directory.referral_alias(request.referral_code))
        if referrer is None:
            raise RuleViolation("no member has this referral code", field="referral_code")
    for _ in range(rt.settings.write_attempts):
        card = request.card_number or generate_card_number()
        wallet = new_wallet(program, card, rt.now(), request, enrolled_by)
        wallet.referred_by = referrer
        aliases = [alias_for(rt.settings, "card_number", card), directory.referral_alias(wallet.referral_code or "")]
        if request.email:
            aliases.append(alias_for(rt.settings, "email", request.email))
        if request.phone:
            aliases.append(alias_for(rt.settings, "phone", request.phone))
        if user_subject is not None:  # first: a user enrolling twice at once is told so, not that the email is taken
            aliases.insert(0, directory.user_alias(user_subject))
        wallet.aliases = aliases  # kept (as keys, no clear PII) so that closing can release them
        try:
            rt.store.bookings.commit(Booking(wallet=wallet, new_aliases=aliases))
        except IdentifierTaken as taken:
            if taken.alias_key.startswith("REF#") or (
                request.card_number is None and taken.alias_key.startswith("CARD#")
            ):
                continue  # a generated card number or referral code collided: draw another
            if taken.alias_key.startswith("SUB#"):
                raise AlreadyEnrolled(
                    "you are a member already: GET /v1/me", member_id=rt.store.directory.find_member_id(taken.alias_key)
                ) from None
            existing = rt.store.directory.find_member_id(taken.alias_key)
            raise MemberExists(
                "a member with this identifier already exists",
                field=taken.alias_key.split("#")[0].lower(),
                member_id=existing,
            ) from None
        except TransientFailure:
            continue
        return {
            "member_id": wallet.member_id,
            "card_number": card,
            "tier": wallet.tier,
            "referral_code": wallet.referral_code,
        }
    raise RetryLater("could not enrol the member now; retry")


def new_wallet(program: Program, card: str, now: datetime, request: EnrolRequest, enrolled_by: str) -> Wallet:
    """`enrolled_by`: the partner at whose till or site the member enrolled, or "online" (the member app); the
    channel is the one the partner names (default: its store), "online" for the app."""
    today = now.date()
    return Wallet(
        member_id=f"m_{secrets.token_hex(10)}",
        card_number=card,
        tier=program.base_tier.name,
        tier_reached_on=today.isoformat(),
        review_on=None,
        birth_date=None if request.birth_date is None else request.birth_date.isoformat(),
        birth_date_recorded_on=None if request.birth_date is None else today.isoformat(),
        referral_code=generate_referral_code(),
        created_at=iso(now),
        enrolled_by=enrolled_by,
        enrolled_channel=request.channel or ("online" if enrolled_by == "online" else "store"),
    )


def generate_referral_code() -> str:
    """8 characters a member can read out: no 0/O or 1/I to confuse."""
    return "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))


def generate_card_number() -> str:
    """16 digits starting with 9 (no card scheme uses it), the last one a Luhn check digit."""
    body = "9" + "".join(secrets.choice("0123456789") for _ in range(14))
    return body + luhn_digit(body)


def luhn_digit(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return str((10 - total % 10) % 10)


def find_member(rt: Runtime, ref: MemberRef) -> dict[str, Any]:
    wallet = _wallet(rt, resolve_member(rt, ref), at_a_glance=True)
    return {"member_id": wallet.member_id, "tier": wallet.tier, "available_points": wallet.available_at(rt.now())}


def member_overview(rt: Runtime, member_id: str, wallet: Wallet | None = None) -> dict[str, Any]:
    """GET /v1/me: one GetItem, whatever the history's length (none when the caller read the wallet)."""
    wallet = wallet or _wallet(rt, member_id, at_a_glance=True)
    program = current_program(rt)
    now = rt.now()
    available, held = wallet.available_at(now), wallet.held_at(now)
    return {
        "member_id": wallet.member_id,
        "card_number": wallet.card_number,
        "referral_code": wallet.referral_code,
        "status": wallet.status,
        "tier": wallet.tier,
        "available_points": available,
        "held_points": held,
        "owed_points": wallet.debt_points,
        "available_value": format(points_value(available, program.point_value), "f"),
        "held_value": format(points_value(held, program.point_value), "f"),
        "currency": program.currency,
        "expiring": [{"on": on, "points": points} for on, points in wallet.expiring()[:12]],
        "expiring_soon": expiring_soon(wallet, program, now.date()),
        "tier_progress": tier_progress(wallet, program, now),
        **wallet.profile.to_dict(),
        "birth_date": wallet.birth_date,
        "membership": membership_view(wallet.membership, program.currency, now.date()),
    }


def expiring_soon(wallet: Wallet, program: Program, today: date) -> dict[str, Any]:
    """Points whose validity ends within SOON_DAYS (a lot is valid through its date)."""
    last = (today + timedelta(days=SOON_DAYS)).isoformat()
    soon = [(on, points) for on, points in wallet.expiring() if on <= last]
    points = sum(points for _, points in soon)
    return {
        "within_days": SOON_DAYS,
        "points": points,
        "value": format(points_value(points, program.point_value), "f"),
        "first_on": soon[0][0] if soon else None,
    }


def points_value(points: int, point_value: Decimal) -> Decimal:
    """What points are worth at the point value now, in cents rounded down: never more than a redemption of them
    is valued at (settlement values a redemption line to the cent, half up, which is never less)."""
    return (points * point_value).quantize(CENT, rounding=ROUND_DOWN)


def tier_progress(wallet: Wallet, program: Program, now: datetime) -> dict[str, Any]:
    current = metric_value(wallet, program.tier_metric, now.date())
    rank = program.tier_rank(wallet.tier)
    above = program.tiers[rank + 1] if rank + 1 < len(program.tiers) else None
    return {
        "metric": program.tier_metric,
        "current": decimal_or_int(current),
        "next_tier": None if above is None else above.name,
        "needed": 0 if above is None else decimal_or_int(max(above.threshold - current, 0 * current)),
        "review_on": wallet.review_on,
        "keep": keep_tier(wallet, program),
    }


def keep_tier(wallet: Wallet, program: Program) -> dict[str, Any] | None:
    """What the next review asks to keep the tier: it weighs the metric over the 12 months to the review date, so
    what was earned in months before that window no longer counts; what is recorded in the window already does."""
    if wallet.review_on is None or not program.has_tier(wallet.tier):
        return None
    review_on = date.fromisoformat(wallet.review_on)
    threshold = program.tiers[program.tier_rank(wallet.tier)].threshold
    counted = metric_value(wallet, program.tier_metric, review_on)
    return {
        "tier": wallet.tier,
        "threshold": decimal_or_int(threshold),
        "counted": decimal_or_int(counted),
        "needed": decimal_or_int(max(threshold - counted, 0 * counted)),
        "by": wallet.review_on,
    }


def member_entries(
    rt: Runtime, member_id: str, limit: int, cursor: str | None, wanted: EntryFilter | None = None
) -> dict[str, Any]:
    """A page of the member's history, each entry with the name of the partner it was booked at (the partners'
    list is read cached, as GET /v1/program reads it: one Query per container and minute, not per request).
    A filtered page reads at most a bounded run of entries and may hold fewer than `limit`: next_cursor reads on."""
    if wanted is not None and wanted.first_day and wanted.last_day and wanted.first_day > wanted.last_day:
        raise InvalidRequest("from must not be after to", field="from")
    entries, next_cursor = rt.store.ledger.list_entries(member_id, limit, cursor, wanted)
    names = partner_names(rt) if entries else {}
    return {
        "entries": [
            {**entry.public(), "partner_name": names.get(entry.partner_id, entry.partner_id)} for entry in entries
        ],
        "next_cursor": next_cursor,
    }


def partner_names(rt: Runtime) -> dict[str, str]:
    """Partner id -> the name a member knows it by; the operator's entries (expiry, tiers, the programme's bonuses)
    are the programme's."""
    partners = rt.cache.get("partners", rt.store.directory.list_partners)
    return {OPERATOR: "the programme", **{p.partner_id: p.name for p in partners}}


def _wallet(rt: Runtime, member_id: str, *, at_a_glance: bool = False) -> Wallet:
    """The member's wallet. `at_a_glance`: its head, read eventually consistent, for what is only shown (GET /v1/me,
    a partner's lookup): a balance a moment old is the balance of a moment ago, and the head holds every figure shown
    (the vault's lots are counted by date). An unknown member is confirmed on a consistent read."""
    if not valid_member_id(member_id):
        raise NotFound("member not found")
    wallet = rt.store.wallets.load(member_id, whole=not at_a_glance, consistent=not at_a_glance)
    if wallet is None and at_a_glance:  # enrolled a moment ago, perhaps
        wallet = rt.store.wallets.load(member_id, whole=False)
    if wallet is None:
        raise NotFound("member not found")
    return wallet


def set_member_status(rt: Runtime, member_id: str, status: str) -> dict[str, Any]:
    """Suspend, close or reactivate a member: partner operations on an inactive member are refused
    (422 member_inactive); the change is an entry of its own in the member's history. Closing is final:
    the member's card, email, phone and referral code are released (partners no longer find the member, and
    the identifiers can enrol someone else); returns and reversals of past operations still apply."""
    final = ("closed", "erased")  # an erased member was closed and forgotten: no status change reaches it
    current = _wallet(rt, member_id).status  # 404 for an unknown member
    if current in final and status != current:
        raise RuleViolation(f"this member is {current}: enrol the person again", field="status")

    def change(wallet: Wallet, now: datetime) -> list[Entry]:
        if wallet.status == status:
            return []
        if wallet.status in final:
            raise RuleViolation(f"this member is {wallet.status}: enrol the person again", field="status")
        line = {
            "rule": EntryType.STATUS.value,
            "points": 0,
            "detail": f"account {wallet.status} -> {status} (operator)",
        }
        wallet.status = status
        return [new_entry(wallet, EntryType.STATUS, "operator", 0, breakdown=[line], booked_at=iso(now))]

    apply_to_wallet(rt, member_id, change, releasing_identifiers=status == "closed")
    return {"member_id": member_id, "status": status}  # set now, or already so
