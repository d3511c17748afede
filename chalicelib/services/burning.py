"""Spending points: direct redemption, and holds that are captured (fully or partly) or voided."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..domain.errors import InvalidRequest, NotFound
from ..domain.ledger import new_entry, operation_key
from ..domain.tiers import record_redemption
from ..domain.wallet import Wallet
from ..store.operations import find_operation
from .members import resolve_member
from .operations import Operation, Outcome, Reply, execute, fingerprint
from .requests import CaptureRequest, HoldRequest, RedemptionRequest
from .runtime import Runtime, iso


def redeem_points(rt: Runtime, partner_id: str, request: RedemptionRequest) -> Reply:
    member_id = resolve_member(rt, request.member)
    operation = Operation(partner_id, "redemption", request.redemption_id, fingerprint(request.model_dump(mode="json")))

    def decide(wallet: Wallet, now: datetime) -> Outcome:
        spent = wallet.spend(request.points)
        record_redemption(wallet, now.date(), partner_id)
        entry = new_entry(
            wallet,
            "redeem",
            partner_id,
            -request.points,
            attribution=spent,
            reference=request.redemption_id,
            booked_at=iso(now),
        )
        body = {
            "entry_id": entry.entry_id,
            "redemption_id": request.redemption_id,
            "member_id": wallet.member_id,
            "points": request.points,
            "available_points": wallet.available,
        }
        return Outcome(201, body, [entry], metrics={"PointsRedeemed": request.points})

    return execute(rt, operation, member_id, decide)


def place_hold(rt: Runtime, partner_id: str, request: HoldRequest) -> Reply:
    member_id = resolve_member(rt, request.member)
    operation = Operation(partner_id, "hold", request.hold_id, fingerprint(request.model_dump(mode="json")))

    def decide(wallet: Wallet, now: datetime) -> Outcome:
        expires_at = now + timedelta(seconds=request.ttl_seconds)
        hold = wallet.place_hold(request.hold_id, partner_id, request.points, expires_at)
        entry = new_entry(
            wallet,
            "hold",
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
        )

    return execute(rt, operation, member_id, decide)


def capture_hold(rt: Runtime, partner_id: str, hold_id: str, request: CaptureRequest) -> Reply:
    member_id = _hold_member(partner_id, hold_id)
    operation = Operation(partner_id, "capture", hold_id, fingerprint(request.model_dump(mode="json")))

    def decide(wallet: Wallet, now: datetime) -> Outcome:
        hold = wallet.open_hold(hold_id, now)
        points = hold.points if request.points is None else request.points
        if points > hold.points:
            raise InvalidRequest(f"cannot capture {points} points of a {hold.points}-point hold", field="points")
        _, captured = wallet.capture_hold(hold_id, points)
        record_redemption(wallet, now.date(), partner_id)
        entry = new_entry(
            wallet,
            "capture",
            partner_id,
            -points,
            held=-hold.points,
            attribution=captured,
            reference=hold_id,
            booked_at=iso(now),
        )
        body = {
            "entry_id": entry.entry_id,
            "hold_id": hold_id,
            "points": points,
            "released_points": hold.points - points,
            "available_points": wallet.available,
        }
        return Outcome(201, body, [entry], metrics={"PointsRedeemed": points})

    return execute(rt, operation, member_id, decide)


def void_hold(rt: Runtime, partner_id: str, hold_id: str) -> Reply:
    member_id = _hold_member(partner_id, hold_id)
    operation = Operation(partner_id, "void", hold_id, fingerprint({}))

    def decide(wallet: Wallet, now: datetime) -> Outcome:
        hold = wallet.open_hold(hold_id, now)
        wallet.release_hold(hold_id)
        entry = new_entry(
            wallet,
            "void",
            partner_id,
            0,
            held=-hold.points,
            attribution=hold.portions,
            reference=hold_id,
            booked_at=iso(now),
        )
        body = {
            "hold_id": hold_id,
            "status": "voided",
            "entry_id": entry.entry_id,
            "available_points": wallet.available,
        }
        return Outcome(200, body, [entry])

    return execute(rt, operation, member_id, decide)


def _hold_member(partner_id: str, hold_id: str) -> str:
    """Holds are found through the partner's own record of them: another partner's hold is not found."""
    record = find_operation(operation_key(partner_id, "hold", hold_id))
    if record is None:
        raise NotFound(f"hold {hold_id} not found")
    return record.member_id
