"""Spending points: direct redemption, and holds that are captured (fully or partly) or voided.

Only the card or a spend code from the member's app may spend: an email, a phone number or a member id
recognises a member (any partner may know or learn them) but is no consent to spend their points. A redemption
or capture keeps the attribution of what it spent and the point value it settles at on its operation record
(SpendingFacts), so that a reversal gives back exactly those points, at that value.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..domain.errors import InvalidRequest, NotFound, RuleViolation
from ..domain.ledger import new_entry, operation_key
from ..domain.movements import EntryType, OperationKind
from ..domain.spending import SpendingFacts
from ..domain.tiers import record_redemption
from ..domain.wallet import Wallet
from .members import live_spend_code, resolve_member
from .operations import Decide, Operation, Outcome, Reply, expire_due_lots, fingerprint, run_operation
from .programs import current_program
from .requests import CaptureRequest, HoldRequest, MemberRef, RedemptionRequest
from .runtime import Runtime, iso


def redeem_points(rt: Runtime, partner_id: str, request: RedemptionRequest) -> Reply:
    operation = Operation(
        partner_id, OperationKind.REDEMPTION, request.redemption_id, fingerprint(request.model_dump(mode="json"))
    )

    def prepare() -> tuple[str, Decide]:
        member_id, codes = resolve_spender(rt, request.member, request.points)
        point_value = current_program(rt).point_value  # what the redeemer is paid per point, as of now

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            spent = wallet.spend(request.points)
            record_redemption(wallet, now.date(), partner_id)
            entry = new_entry(
                wallet,
                EntryType.REDEEM,
                partner_id,
                -request.points,
                attribution=spent,
                reference=request.redemption_id,
                booked_at=iso(now),
                point_value=point_value,
            )
            body = {
                "entry_id": entry.entry_id,
                "redemption_id": request.redemption_id,
                "member_id": wallet.member_id,
                "points": request.points,
                "available_points": wallet.available,
            }
            facts = SpendingFacts.of(spent, point_value)
            return Outcome(
                201,
                body,
                [entry],
                facts.to_dict(),
                metrics={"PointsRedeemed": request.points},
                consumed_codes=codes,
            )

        return member_id, decide

    return run_operation(rt, operation, prepare)


def place_hold(rt: Runtime, partner_id: str, request: HoldRequest) -> Reply:
    operation = Operation(partner_id, OperationKind.HOLD, request.hold_id, fingerprint(request.model_dump(mode="json")))

    def prepare() -> tuple[str, Decide]:
        member_id, codes = resolve_spender(rt, request.member, request.points)

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            expires_at = now + timedelta(seconds=request.ttl_seconds)
            hold = wallet.place_hold(request.hold_id, partner_id, request.points, expires_at)
            entry = new_entry(
                wallet,
                EntryType.HOLD,
                partner_id,
                0,
                held=request.points,
                attribution=hold.portions,
                reference=request.hold_id,
                booked_at=iso(now),
            )
            body = {
                "hold_id": request.hold_id,
                "member_id": wallet.member_id,
                "points": request.points,
                "expires_at": iso(expires_at),
                "available_points": wallet.available,
            }
            return Outcome(
                201,
                body,
                [entry],
                {"points": request.points, "expires_at": iso(expires_at)},
                metrics={"PointsHeld": request.points},
                consumed_codes=codes,
            )

        return member_id, decide

    return run_operation(rt, operation, prepare)


def capture_hold(rt: Runtime, partner_id: str, hold_id: str, request: CaptureRequest) -> Reply:
    operation = Operation(partner_id, OperationKind.CAPTURE, hold_id, fingerprint(request.model_dump(mode="json")))

    def prepare() -> tuple[str, Decide]:
        member_id = _hold_member(rt, partner_id, hold_id)
        point_value = current_program(rt).point_value  # the capture is the spending: valued now, not at the hold

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            hold = wallet.open_hold(partner_id, hold_id, now)
            points = hold.points if request.points is None else request.points
            if points > hold.points:
                raise InvalidRequest(f"cannot capture {points} points of a {hold.points}-point hold", field="points")
            _, captured = wallet.capture_hold(hold.key, points)
            record_redemption(wallet, now.date(), partner_id)
            entry = new_entry(
                wallet,
                EntryType.CAPTURE,
                partner_id,
                -points,
                held=-hold.points,
                attribution=captured,
                reference=hold_id,
                booked_at=iso(now),
                point_value=point_value,
            )
            expired = expire_due_lots(wallet, now)  # released points whose validity ended while held
            body = {
                "entry_id": entry.entry_id,
                "hold_id": hold_id,
                "points": points,
                "released_points": hold.points - points,
                "available_points": wallet.available,
            }
            facts = SpendingFacts.of(captured, point_value)
            return Outcome(201, body, [entry, *expired], facts.to_dict(), metrics={"PointsRedeemed": points})

        return member_id, decide

    return run_operation(rt, operation, prepare)


def void_hold(rt: Runtime, partner_id: str, hold_id: str) -> Reply:
    operation = Operation(partner_id, OperationKind.VOID, hold_id, fingerprint({}))

    def prepare() -> tuple[str, Decide]:
        member_id = _hold_member(rt, partner_id, hold_id)

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            hold = wallet.open_hold(partner_id, hold_id, now)
            wallet.release_hold(hold.key)
            entry = new_entry(
                wallet,
                EntryType.VOID,
                partner_id,
                0,
                held=-hold.points,
                attribution=hold.portions,
                reference=hold_id,
                booked_at=iso(now),
            )
            expired = expire_due_lots(wallet, now)  # released points whose validity ended while held
            body = {
                "hold_id": hold_id,
                "status": "voided",
                "entry_id": entry.entry_id,
                "available_points": wallet.available,
            }
            return Outcome(200, body, [entry, *expired])

        return member_id, decide

    return run_operation(rt, operation, prepare)


def resolve_spender(rt: Runtime, ref: MemberRef, points: int) -> tuple[str, list[str]]:
    """Spending needs the member's consent: their card (what the member hands over at the till or shows in the
    app) or a spend code from their app (single use, up to its points, a few minutes). An email, a phone or a
    member id recognises a member but is no consent: any partner can learn a member id from an email (a look-up,
    an enrolment conflict). Returns the member and the spend codes the spending consumes."""
    if ref.spend_code is not None:
        spend_code = live_spend_code(rt, ref.spend_code)
        spend_code.check_points(points)
        return spend_code.member_id, [spend_code.code]
    if ref.card_number is None:
        given = next(name for name in ("member_id", "email", "phone") if getattr(ref, name) is not None)
        raise RuleViolation(
            "points are spent with the member's card number or a spend code from their app", field=f"member.{given}"
        )
    return resolve_member(rt, ref), []


def _hold_member(rt: Runtime, partner_id: str, hold_id: str) -> str:
    """Holds are found through the partner's own record of them: another partner's hold is not found."""
    record = rt.store.operations.find(operation_key(partner_id, OperationKind.HOLD, hold_id))
    if record is None:
        raise NotFound(f"hold {hold_id} not found")
    return record.member_id


__all__ = ["capture_hold", "place_hold", "redeem_points", "resolve_spender", "void_hold"]
