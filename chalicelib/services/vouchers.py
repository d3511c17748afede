"""Vouchers a member converts points into (POST /v1/me/vouchers), and the member's list of them.

Converting is an operation the member starts, exactly once per request id (stored as member#voucher#id): the
denomination's points leave the lots first to expire first, the voucher keeps whose they were (its funding), and
the wallet counts them as open voucher points, still their issuers' liability, in the same transaction as the
voucher item and its ledger entry. Spending, voids and expiry settle what the funding says (domain/vouchers.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.errors import RuleViolation
from ..domain.ledger import new_entry
from ..domain.money import to_str
from ..domain.movements import EntryType, OperationKind
from ..domain.program import OPERATOR, Program, VoucherRules
from ..domain.vouchers import Voucher, convert
from ..domain.wallet import Wallet
from ..store.vouchers import member_vouchers
from .operations import Decide, Operation, Outcome, Reply, fingerprint, run_operation
from .programs import current_program
from .requests import VoucherRequest
from .runtime import Runtime, iso


def convert_points(rt: Runtime, member_id: str, request: VoucherRequest) -> Reply:
    operation = Operation(
        member_id, OperationKind.VOUCHER, request.request_id, fingerprint(request.model_dump(mode="json"))
    )

    def prepare() -> tuple[str, Decide]:
        program = current_program(rt)
        rules = _rules(program)
        denomination = rules.denomination(request.denomination)
        if denomination is None:
            offered = ", ".join(str(d.points) for d in rules.denominations)
            raise RuleViolation(
                f"{request.denomination} points is not a voucher denomination (offered: {offered})",
                field="denomination",
            )

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            taken = wallet.spend(denomination.points)  # first to expire first; 422 when not enough
            voucher = convert(
                wallet.member_id,
                denomination,
                rules,
                taken,
                program.point_value,
                program.currency,
                iso(now),
                now.date(),
            )
            for issuer, points in voucher.issuer_points.items():
                wallet.voucher_points[issuer] = wallet.voucher_points.get(issuer, 0) + points
            detail = (
                f"{denomination.points} points converted into a voucher of {to_str(voucher.value)} {voucher.currency}"
            )
            entry = new_entry(
                wallet,
                EntryType.VOUCHER,
                OPERATOR,  # the member's own request, at no partner
                -denomination.points,
                breakdown=[{"rule": "voucher", "points": -denomination.points, "detail": detail}],
                attribution=taken,
                reference=voucher.code,
                booked_at=iso(now),
            )
            body = {**voucher_view(voucher), "entry_id": entry.entry_id, "available_points": wallet.available}
            return Outcome(201, body, [entry], vouchers=[voucher], metrics={"PointsConverted": denomination.points})

        return member_id, decide

    return run_operation(rt, operation, prepare)


def list_vouchers(member_id: str, limit: int) -> dict[str, Any]:
    return {"vouchers": [voucher_view(v) for v in member_vouchers(member_id, limit)]}


def voucher_view(voucher: Voucher) -> dict[str, Any]:
    return {
        "code": voucher.code,
        "points": voucher.points,
        "value": to_str(voucher.value),
        "currency": voucher.currency,
        "issued_at": voucher.issued_at,
        "expires_on": voucher.expires_on,
        "usable_at": "all" if voucher.usable_at is None else sorted(voucher.usable_at),
        "status": voucher.status,
    }


def _rules(program: Program) -> VoucherRules:
    if program.vouchers is None:
        raise RuleViolation("the programme offers no vouchers", field="denomination")
    return program.vouchers
