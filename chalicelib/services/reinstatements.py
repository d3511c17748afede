"""Reinstatements by customer service (POST /v1/admin/members/{id}/reinstatements): a goodwill gesture that gives
back the points of one expiry of a member, as the liability of the same issuers that let them expire.

- What comes back: for each (expiry date, issuer) of the expiry entry's attribution, its points, less those a
  return of their purchase has since found expired (`Wallet.already_expired` takes them out of the wallet's
  expired tally, so that the return takes them from no one). Reinstated points leave that tally too: a later return
  of their purchase takes them back (a debt if they were spent) instead of finding them expired, so no point is
  both given back and forgiven. The wallet forgets its tally TALLY_DAYS after the points' date: an older expiry
  can no longer come back (422 nothing_to_reinstate, as when returns took all of it). Known limit: reinstated points
  that expire again are remembered under their new date, and a return of their purchase looks under the purchase's
  own: it takes them back as a debt instead of finding them expired (the ledger stays true; the member is not
  forgiven twice, but not once either).
- Validity: fresh, the programme's published policy from today (as points earned today, like an adjustment's
  credit). The old date is past: kept, the points would expire again at the member's next write.
- Settlement: entry `reinstatement` (domain/movements.py): the issuer's liability again and its breakage undone,
  in the day it is booked, by issuer (`reinstated` next to `breakage`); no money moves: an expiry refunds no fee,
  so giving its points back charges none.
- Exactly once per reinstatement_id (key operator#reinstatement#id), and at most one reinstatement per expiry,
  whatever the id: the same transaction creates the key operator#reinstated#<expiry entry id> only if absent
  (409 already_reinstated), so two concurrent requests cannot both give it back.
- The entry must be an expiry of that member: another member's entry or no entry is 404 not_found (nothing about
  another member's ledger is told), another type of entry 422 not_an_expiry.
- A suspended issuer: refused (422 rule_violation), adjustments' rule: a suspended partner funds no credit, and its
  points coming back are a new liability for it. (The operator may credit an adjustment it funds itself.)
- A suspended member: allowed, as adjustments are (the points wait with the account); a closed member: refused
  (422 member_inactive): no one could ever use the points, they would stay a liability for ever.

Cost, whatever the member's history: 2 GetItem (the expiry entry by its key, the wallet) + 1 TransactWriteItems
of 4 items (the record, the expiry's key, the wallet, the entry). The issuers' status comes from the cached
partner profiles (1 GetItem per issuer on a cold cache). A second reinstatement of the expiry or a replay finds
the tally empty and reads the expiry's key (1 GetItem), then the operation's record (1 GetItem): no write.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta

from ..domain.errors import (
    AlreadyReinstated,
    MemberInactive,
    NotAnExpiry,
    NotFound,
    NothingToReinstate,
    RuleViolation,
)
from ..domain.ledger import Entry, OperationRecord, entry_number, new_entry
from ..domain.movements import EntryType, OperationKind
from ..domain.program import OPERATOR
from ..domain.wallet import TALLY_DAYS, Portion, Wallet
from .operations import Decide, Operation, Outcome, Reply, Reservation, fingerprint, run_operation
from .programs import current_program, partner_profile
from .requests import ReinstatementRequest, valid_member_id
from .runtime import Runtime, iso

REINSTATED = "reinstated"  # the key an expiry takes once reinstated: operator#reinstated#<expiry entry id>


def reinstated_key(expiry_entry_id: str) -> str:
    return f"{OPERATOR}#{REINSTATED}#{expiry_entry_id}"


def reinstate_points(rt: Runtime, member_id: str, request: ReinstatementRequest) -> Reply:
    operation = Operation(
        OPERATOR,
        OperationKind.REINSTATEMENT,
        request.reinstatement_id,
        fingerprint(member_id, request.model_dump(mode="json")),
    )

    def prepare() -> tuple[str, Decide]:
        if not valid_member_id(member_id):
            raise NotFound(f"member {member_id} not found", field="member_id")
        expiry = find_expiry(rt, member_id, request.expiry_entry_id)
        refuse_suspended_issuers(rt, expiry)
        program = current_program(rt)
        refusal = AlreadyReinstated(
            f"expiry {expiry.entry_id} was reinstated already (an expiry comes back once)", field="expiry_entry_id"
        )

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            if wallet.status in ("closed", "erased"):
                raise MemberInactive(f"member {member_id} is {wallet.status}: reinstated points could never be used")
            expires_on = program.expires_on(now.date()).isoformat()
            try:
                back = _points_back(wallet, expiry, now.date())
            except NothingToReinstate:  # the tally has none of them left: most often, given back already
                if rt.store.operations.find(reinstated_key(expiry.entry_id)) is not None:
                    raise refusal from None
                raise
            for issuer, points in back.items():
                wallet.credit(issuer, points, expires_on)
            total = sum(back.values())
            entry = new_entry(
                wallet,
                EntryType.REINSTATEMENT,
                OPERATOR,
                total,
                breakdown=_lines(expiry, back, request.reason),
                attribution=[Portion(expires_on, issuer, points) for issuer, points in sorted(back.items())],
                reference=request.reinstatement_id,
                booked_at=iso(now),
            )
            body = {
                "entry_id": entry.entry_id,
                "reinstatement_id": request.reinstatement_id,
                "member_id": wallet.member_id,
                "expiry_entry_id": expiry.entry_id,
                "points": total,
                "by_issuer": dict(sorted(back.items())),
                "expired_points": -expiry.points,
                "expires_on": expires_on,
                "available_points": wallet.available,
                "owed_points": wallet.debt_points,
            }
            marker = OperationRecord(
                op_key=reinstated_key(expiry.entry_id),
                kind=REINSTATED,
                partner_id=OPERATOR,
                member_id=wallet.member_id,
                fingerprint=operation.fingerprint,
                status_code=201,
                body=json.dumps({"reinstatement_id": request.reinstatement_id, "entry_id": entry.entry_id}),
                created_at=iso(now),
            )
            return Outcome(
                201,
                body,
                [entry],
                {"expiry_entry_id": expiry.entry_id},
                reserved=[Reservation(marker, refusal)],
                metrics={"PointsReinstated": total},
            )

        return member_id, decide

    return run_operation(rt, operation, prepare)


def find_expiry(rt: Runtime, member_id: str, entry_id: str) -> Entry:
    """The member's expiry entry named, read by its key (one GetItem)."""
    seq = entry_number(member_id, entry_id)
    entry = None if seq is None else rt.store.ledger.get_entry(member_id, seq)
    if entry is None:
        raise NotFound(f"member {member_id} has no entry {entry_id}", field="expiry_entry_id")
    if entry.type is not EntryType.EXPIRE:
        raise NotAnExpiry(
            f"entry {entry_id} is a {entry.type.value}, not an expiry: only expired points can be reinstated",
            field="expiry_entry_id",
        )
    return entry


def refuse_suspended_issuers(rt: Runtime, expiry: Entry) -> None:
    """A suspended partner funds no credit (adjustments' rule): its expired points do not come back either."""
    issuers = sorted({p.issuer for p in expiry.attribution if p.issuer != OPERATOR})
    for issuer in issuers:
        partner = partner_profile(rt, issuer)
        if partner is not None and not partner.active:
            raise RuleViolation(
                f"{issuer} is {partner.status}: its expired points cannot be reinstated (a suspended partner funds "
                "no credit; an adjustment funded by the operator can)",
                field="expiry_entry_id",
                issuer=issuer,
            )


def _points_back(wallet: Wallet, expiry: Entry, today: date) -> dict[str, int]:
    """Per issuer, the expiry's points still in the wallet's expired tally, taken out of it."""
    back: dict[str, int] = defaultdict(int)
    for portion in expiry.attribution:
        back[portion.issuer] += wallet.already_expired(portion.expires_on, portion.issuer, portion.points)
    back = {issuer: points for issuer, points in back.items() if points}
    if not back:
        horizon = (today - timedelta(days=TALLY_DAYS)).isoformat()
        if all(p.expires_on < horizon for p in expiry.attribution):
            raise NothingToReinstate(
                f"the points of {expiry.entry_id} expired more than {TALLY_DAYS} days ago: too late to reinstate",
                field="expiry_entry_id",
            )
        raise NothingToReinstate(
            f"returns of their purchases took back all the points of {expiry.entry_id} since they expired",
            field="expiry_entry_id",
        )
    return back


def _lines(expiry: Entry, back: dict[str, int], reason: str) -> list[dict[str, object]]:
    """One line per issuer; what returns took back since is said, not given."""
    expired: dict[str, int] = defaultdict(int)
    for portion in expiry.attribution:
        expired[portion.issuer] += portion.points
    lines: list[dict[str, object]] = []
    for issuer in sorted(back):
        detail = f"{reason} ({back[issuer]} points of {issuer} from {expiry.entry_id}"
        kept = expired[issuer] - back[issuer]
        detail += f"; {kept} taken back by returns since)" if kept else ")"
        lines.append({"rule": "reinstatement", "points": back[issuer], "detail": detail})
    return lines
