"""Vouchers a member converts points into (POST /v1/me/vouchers), the member's list of them, and their spending
at a partner (POST /v1/vouchers/{code}/redemptions) and its void on a refund.

Converting is an operation the member starts, exactly once per request id (stored as member#voucher#id): the
denomination's points leave the lots first to expire first, the voucher keeps whose they were (its funding), and
the wallet counts them as open voucher points, still their issuers' liability, in the same transaction as the
voucher item and its ledger entry. Spending, voids and expiry settle what the funding says (domain/vouchers.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from ..domain.errors import NotFound, RuleViolation
from ..domain.ledger import Entry, new_entry
from ..domain.money import to_str
from ..domain.movements import EntryType, OperationKind
from ..domain.program import OPERATOR, Program, VoucherDenomination, VoucherRules
from ..domain.vouchers import Voucher, auto_conversion, convert, is_code
from ..domain.wallet import Wallet
from .burning import resolve_spender
from .operations import (
    Change,
    Decide,
    Operation,
    Outcome,
    Reply,
    apply_to_wallet,
    fingerprint,
    read_once_then_afresh,
    run_operation,
)
from .programs import current_program
from .requests import PartnerVoucherRequest, VoucherRequest, VoucherSpendRequest
from .runtime import Runtime, iso
from .voucher_views import VoucherList, voucher_view


def convert_points(rt: Runtime, member_id: str, request: VoucherRequest) -> Reply:
    """The member's own conversion, from their app (key member#voucher#request_id)."""
    operation = Operation(
        member_id, OperationKind.VOUCHER, request.request_id, fingerprint(request.model_dump(mode="json"))
    )
    return _conversion(rt, operation, lambda points: (member_id, []), request.denomination, OPERATOR)


def convert_at_partner(rt: Runtime, partner_id: str, request: PartnerVoucherRequest) -> Reply:
    """A till or web shop converts for the member, who consents as to any spending: their card, or a spend code
    from their app (used up). The partner prints or shows the code (key partner#voucher#request_id)."""
    operation = Operation(
        partner_id, OperationKind.VOUCHER, request.request_id, fingerprint(request.model_dump(mode="json"))
    )
    return _conversion(
        rt, operation, lambda points: resolve_spender(rt, request.member, points), request.denomination, partner_id
    )


def _conversion(
    rt: Runtime,
    operation: Operation,
    consenting_member: Callable[[int], tuple[str, list[str]]],
    points: int,
    at: str,
) -> Reply:
    def prepare() -> tuple[str, Decide]:
        program = current_program(rt)
        rules = _rules(program)
        denomination = rules.denomination(points)
        if denomination is None:
            offered = ", ".join(str(d.points) for d in rules.denominations)
            raise RuleViolation(
                f"{points} points is not a voucher denomination (offered: {offered})", field="denomination"
            )
        member_id, codes = consenting_member(denomination.points)

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            voucher, entry = book_conversion(wallet, program, rules, denomination, now, at=at)
            body = {
                **voucher_view(voucher).model_dump(mode="json"),
                "entry_id": entry.entry_id,
                "available_points": wallet.available,
            }
            metrics = {"PointsConverted": denomination.points}
            return Outcome(201, body, [entry], vouchers=[voucher], metrics=metrics, consumed_codes=codes)

        return member_id, decide

    return run_operation(rt, operation, prepare)


def book_conversion(
    wallet: Wallet,
    program: Program,
    rules: VoucherRules,
    denomination: VoucherDenomination,
    now: datetime,
    why: str = "",
    at: str = OPERATOR,
) -> tuple[Voucher, Entry]:
    """Convert in the wallet: the points leave the lots first to expire first (422 when not enough), the wallet
    counts them as open voucher points, and the `voucher` entry says so. The caller books the voucher with it."""
    taken = wallet.spend(denomination.points)
    voucher = convert(
        wallet.member_id, denomination, rules, taken, program.point_value, program.currency, iso(now), now.date()
    )
    wallet.move_to_vouchers(voucher.issuer_points, +1)
    detail = f"{denomination.points} points converted into a voucher of {to_str(voucher.value)} {voucher.currency}"
    entry = new_entry(
        wallet,
        EntryType.VOUCHER,
        at,  # the partner whose till converted, or the operator (the member's app, the programme's rule)
        -denomination.points,
        breakdown=[{"rule": "voucher", "points": -denomination.points, "detail": detail + why}],
        attribution=taken,
        reference=voucher.code,
        booked_at=iso(now),
    )
    return voucher, entry


# A purchase converts at most this many vouchers on its own (the transaction stays small; the next earn goes on).
MAX_AUTO_CONVERSIONS = 5


def convert_automatically(wallet: Wallet, program: Program, now: datetime) -> list[tuple[Voucher, Entry]]:
    """The programme's auto-conversion, inside the earn that reaches its threshold: while the available balance
    is at or above it, one voucher of its denomination (at most MAX_AUTO_CONVERSIONS per earn)."""
    booked: list[tuple[Voucher, Entry]] = []
    rules = program.vouchers
    while rules is not None and rules.auto_convert is not None and len(booked) < MAX_AUTO_CONVERSIONS:
        denomination = auto_conversion(rules, wallet.available)  # the threshold is at least its points (PUT)
        if denomination is None:
            break
        why = f" (automatically: the balance reached {rules.auto_convert[0]})"
        booked.append(book_conversion(wallet, program, rules, denomination, now, why))
    return booked


def spend_voucher(rt: Runtime, partner_id: str, code: str, request: VoucherSpendRequest) -> Reply:
    """Spent once, at a partner it is usable at, until its last day: its issuers pay the partner their points at
    the conversion's point value, the bonus funder the rest of the face value (settled on the day's close)."""
    operation = Operation(
        partner_id,
        OperationKind.VOUCHER_REDEMPTION,
        request.redemption_id,
        fingerprint(code, request.model_dump(mode="json")),
    )

    def prepare() -> tuple[str, Decide]:
        voucher = _voucher(rt, code)
        read_voucher = read_once_then_afresh(
            voucher, lambda: rt.store.vouchers.find(code)
        )  # spends race on its version

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            current = read_voucher()
            spent = current.spend(partner_id, request.redemption_id, iso(now), now.date())
            wallet.move_to_vouchers(current.issuer_points, -1)
            entry = _voucher_entry(wallet, EntryType.VOUCHER_SPEND, partner_id, current, request.redemption_id, now)
            body = {
                "redemption_id": request.redemption_id,
                "code": code,
                "value": to_str(current.value),
                "currency": current.currency,
                "entry_id": entry.entry_id,
            }
            return Outcome(201, body, [entry], vouchers=[spent], metrics={"VouchersSpent": 1})

        return voucher.member_id, decide

    return run_operation(rt, operation, prepare)


def void_voucher_spend(rt: Runtime, partner_id: str, code: str, redemption_id: str) -> Reply:
    """The partner that took the voucher refunds the purchase: the voucher is open again until its expiry, and
    the money it moved goes back on the day's close."""
    operation = Operation(partner_id, OperationKind.VOUCHER_VOID, redemption_id, fingerprint(code, redemption_id))

    def prepare() -> tuple[str, Decide]:
        voucher = _voucher(rt, code)
        read_voucher = read_once_then_afresh(voucher, lambda: rt.store.vouchers.find(code))

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            current = read_voucher()
            reopened = current.void(partner_id, redemption_id)
            wallet.move_to_vouchers(current.issuer_points, +1)
            entry = _voucher_entry(wallet, EntryType.VOUCHER_VOID, partner_id, current, redemption_id, now)
            body = {
                **voucher_view(reopened).model_dump(mode="json"),
                "redemption_id": redemption_id,
                "entry_id": entry.entry_id,
            }
            return Outcome(200, body, [entry], vouchers=[reopened])

        return voucher.member_id, decide

    return run_operation(rt, operation, prepare)


def expire_voucher(rt: Runtime, code: str, as_of: date) -> int:
    """An open voucher whose last day is before `as_of` expires: its points are breakage of their issuers (the
    bonus was never paid). Returns the points expired (0: nothing due, or done already)."""
    voucher = rt.store.vouchers.find(code)
    if voucher is None or voucher.expire(as_of) is None:
        return 0
    read_voucher = read_once_then_afresh(voucher, lambda: rt.store.vouchers.find(code))  # a spend may come first

    def change(wallet: Wallet, now: datetime) -> Change:
        current = read_voucher()
        expired = current.expire(as_of)
        if expired is None:
            return Change([])
        wallet.move_to_vouchers(current.issuer_points, -1)
        detail = f"voucher {code} of {to_str(current.value)} {current.currency} expired after {current.expires_on}"
        entry = new_entry(
            wallet,
            EntryType.VOUCHER_EXPIRE,
            OPERATOR,
            0,
            breakdown=[{"rule": "voucher_expire", "points": 0, "detail": detail}],
            attribution=current.portions(),
            reference=code,
            booked_at=iso(now),
        )
        return Change([entry], [expired])

    entries = apply_to_wallet(rt, voucher.member_id, change)
    return sum(p.points for e in entries if e.type is EntryType.VOUCHER_EXPIRE for p in e.attribution)


def _voucher(rt: Runtime, code: str) -> Voucher:
    voucher = rt.store.vouchers.find(code) if is_code(code) else None
    if voucher is None:
        raise NotFound(f"voucher {code} not found", field="code")
    return voucher


def _voucher_entry(
    wallet: Wallet, type: EntryType, partner_id: str, voucher: Voucher, redemption_id: str, now: datetime
) -> Entry:
    """No points of the member move (they left the lots at the conversion): the issuers' liability does, each
    issuer paying its share of the face value (whole cents, fixed at the conversion), with the bonus its funder
    pays."""
    what = "spent" if type is EntryType.VOUCHER_SPEND else "refunded: open again"
    detail = f"voucher {voucher.code} of {to_str(voucher.value)} {voucher.currency} {what} at {partner_id}"
    return new_entry(
        wallet,
        type,
        partner_id,
        0,
        breakdown=[{"rule": type.value, "points": 0, "detail": detail}],
        attribution=voucher.portions(),
        reference=redemption_id,
        booked_at=iso(now),
        bonuses=voucher.bonuses,
        values={share.party: share.value for share in voucher.funding if share.points},  # settled as they are
    )


def list_vouchers(rt: Runtime, member_id: str, limit: int) -> VoucherList:
    return VoucherList(vouchers=[voucher_view(v) for v in rt.store.vouchers.of_member(member_id, limit)])


def _rules(program: Program) -> VoucherRules:
    if program.vouchers is None:
        raise RuleViolation("the programme offers no vouchers", field="denomination")
    return program.vouchers
