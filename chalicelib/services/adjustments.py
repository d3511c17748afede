"""Adjustments by customer service (POST /v1/admin/members/{id}/adjustments): the operator credits or debits a
member's points with a mandatory reason, each funded or absorbed by a named issuer (a partner, or the operator).

A credit is points issued by the funder (entry `adjustment`: the funder's liability, its fee charged at the close
like any issuance, valid as points earned today); a suspended partner funds none. A debit takes back points of the
named issuer the member holds, first to expire first (entry `adjustment_debit`, the issuer's fee refunded at its
fee per point now, as a return does): never more than they hold of it (422 insufficient_points), so a debit makes
no debt and no refund of a fee that was never charged. Exactly once per adjustment_id (key operator#adjustment#id),
on a suspended or closed member too: a correction. Cost: 1 GetItem (the wallet) + 1 TransactWriteItems of 3 items.
"""

from __future__ import annotations

from datetime import datetime

from ..domain.errors import InsufficientPoints, MemberInactive, NotFound, RuleViolation
from ..domain.ledger import new_entry
from ..domain.movements import EntryType, OperationKind
from ..domain.program import OPERATOR
from ..domain.wallet import Portion, Wallet
from .operations import Decide, Operation, Outcome, Reply, fingerprint, run_operation
from .programs import current_program, fee_per_point
from .requests import AdjustmentRequest, valid_member_id
from .runtime import Runtime, iso


def adjust_points(rt: Runtime, member_id: str, request: AdjustmentRequest) -> Reply:
    operation = Operation(
        OPERATOR,
        OperationKind.ADJUSTMENT,
        request.adjustment_id,
        fingerprint(member_id, request.model_dump(mode="json")),
    )

    def prepare() -> tuple[str, Decide]:
        funder = request.funder
        partner = None if funder == OPERATOR else rt.store.directory.get_partner(funder)
        if funder != OPERATOR and partner is None:
            raise RuleViolation(f"{funder} is neither a partner nor the operator", field="funder")
        if partner is not None and not partner.active and request.points > 0:  # no new liability for it
            raise RuleViolation(f"{funder} is {partner.status}: it cannot fund a credit", field="funder")
        if not valid_member_id(member_id):
            raise NotFound(f"member {member_id} not found", field="member_id")
        program = current_program(rt)
        fee = fee_per_point(rt, funder)

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            if wallet.status == "erased":  # nobody is left to use, or owe, the points
                raise MemberInactive(f"member {member_id} is erased", field="member_id")
            points = request.points
            line = {"rule": "adjustment", "points": points, "detail": f"{request.reason} (by {funder})"}
            if points > 0:
                expires_on = program.expires_on(now.date()).isoformat()
                wallet.credit(funder, points, expires_on)
                moved, type = [Portion(expires_on, funder, points)], EntryType.ADJUSTMENT
            else:
                held = sum(n for (_, issuer), n in wallet.lots.items() if issuer == funder)
                if -points > held:  # never a debt made up here: only points of that issuer the member holds
                    raise InsufficientPoints(
                        f"the member holds {held} points of {funder}: a debit takes at most those", field="points"
                    )
                moved, type = wallet.claw_back(funder, -points), EntryType.ADJUSTMENT_DEBIT
            entry = new_entry(
                wallet,
                type,
                OPERATOR,
                points,
                breakdown=[line],
                attribution=moved,
                reference=request.adjustment_id,
                booked_at=iso(now),
                fees_per_point={funder: fee},
            )
            body = {
                "entry_id": entry.entry_id,
                "adjustment_id": request.adjustment_id,
                "member_id": wallet.member_id,
                "points": points,
                "funder": funder,
                "available_points": wallet.available,
                "owed_points": wallet.debt_points,
            }
            return Outcome(201, body, [entry], metrics={"PointsAdjusted": points})

        return member_id, decide

    return run_operation(rt, operation, prepare)
