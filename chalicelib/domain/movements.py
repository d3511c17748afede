"""Every kind of point movement, declared once: what it does to an issuer's liability, how it settles, which rate
it records, who may start it, and the partner operations that book movements. Pure data; the rest reads it:
settlement (`PointFlows.add`), reconciliation (invariant 2), the partner reports and the operation executor.

A movement is one ledger entry type. Its declaration says, for each portion of its attribution (issuer, points):

    type      liability   settles          rate            held  started by
    earn      ISSUES      FEE_ON_ISSUE     FEE_PER_POINT         partner, operator (a late credit of a purchase)
    bonus     ISSUES      FEE_ON_ISSUE     FEE_PER_POINT         partner (a purchase's bonus, the referrer's), operator
    activity  ISSUES      FEE_ON_ISSUE     FEE_PER_POINT         partner
    return    RETURNS     FEE_REFUND       FEE_PER_POINT         partner
    redeem    SPENDS      REDEMPTION_PAIR  POINT_VALUE           partner
    capture   SPENDS      REDEMPTION_PAIR  POINT_VALUE     yes   partner
    reversal  GIVES_BACK  REVERSAL_PAIR    POINT_VALUE           partner
    expire    EXPIRES     BREAKAGE         NONE                  job (or any later write to the wallet)
    hold      NONE        NOTHING          NONE            yes   partner
    void      NONE        NOTHING          NONE            yes   partner, job (a hold past its expiry)
    tier      NONE        NOTHING          NONE                  job
    status    NONE        NOTHING          NONE                  operator
    voucher   NONE        NOTHING          NONE            (v)   member (points into a voucher), partner, operator, job
    voucher_spend  SPENDS  REDEMPTION_PAIR POINT_VALUE     (v)   partner (+ the bonus: funder pays the spender)
    voucher_void   GIVES_BACK REVERSAL_PAIR POINT_VALUE    (v)   partner (− the bonus: the spender pays it back)
    voucher_expire EXPIRES    BREAKAGE     NONE            (v)   job (an open voucher past its last day)
    reward         SPENDS     REDEMPTION_PAIR POINT_VALUE        member (a catalogue reward claimed at its offerer)
    reward_cancel  GIVES_BACK REVERSAL_PAIR POINT_VALUE          partner, operator (the offerer cancels a claim)
    adjustment     ISSUES     FEE_ON_ISSUE FEE_PER_POINT         operator (a credit by customer service, its funder's)
    adjustment_debit RETURNS  FEE_REFUND   FEE_PER_POINT         operator (a debit, absorbed by the named issuer)
    reinstatement  REINSTATES BREAKAGE_REVERSAL NONE             operator (expired points given back, same issuers)
    grant          ISSUES     FEE_ON_ISSUE FEE_PER_POINT         operator, job (a launch credit to many members; a
                                                                 membership's monthly voucher, partner: with its sale)
    membership_fee NONE       MEMBERSHIP_FEE NONE                partner, job (a paid membership sold or renewed)
    membership_end NONE       NOTHING      NONE                  job, partner (a membership lapsed, or one replaced)

- liability: how the portion moves its issuer's outstanding points (issued − returned − redeemed + reversed −
  expired); hold and void move points between the member's lots and held points, which both count as outstanding;
  a voucher conversion (v) moves them from the lots into an open voucher, which counts as outstanding too. For the
  movements of vouchers (v), the liability also says how the issuer's open voucher points move
  (`Liability.voucher_sign`: converted +, spent −, voided +, expired −): settlement shows them as voucher lines.
- settles: the money it moves at the close. FEE_ON_ISSUE adds the issuer's fee on the points, FEE_REFUND takes
  it back (both net into one fee line per partner); REDEMPTION_PAIR and REVERSAL_PAIR add to the (issuer,
  redeemer = the entry's partner) pair, netted into one redemption or reversal line; BREAKAGE moves no money
  and shows as the issuer's breakage; BREAKAGE_REVERSAL undoes it, in the day it is booked: no money either
  (an expiry refunds no fee, so its reinstatement charges none), shown as the issuer's reinstated points.
  MEMBERSHIP_FEE moves no points: the entry's partner collected a membership's fee (`Entry.fee_collected`) for
  the operator, and pays it to the operator at the close (kind "membership_fee").
- rate: what the entry records when booked, and settles at: the issuer's fee per point (`fees_per_point`) or
  the programme's point value (`point_value`; on a reversal, that of the spending it undoes).

Partners start movements through operations, each exactly once under its id (stored key partner#kind#id):

    kind        id field        books        same id, other request   also on an inactive member
    purchase    transaction_id  earn, bonus  409 idempotency_conflict
    return      return_id       return       409 idempotency_conflict  yes (corrects a purchase)
    redemption  redemption_id   redeem       409 idempotency_conflict  (reversible)
    hold        hold_id         hold         409 idempotency_conflict
    capture     hold_id         capture      422 hold_not_open         (reversible)
    void        hold_id         void         422 hold_not_open
    activity    activity_id     activity     409 idempotency_conflict
    reversal    reversal_id     reversal     409 idempotency_conflict  yes (corrects a spending)
    voucher_redemption  redemption_id  voucher_spend  409 idempotency_conflict
    voucher_void        redemption_id  voucher_void   409 idempotency_conflict  yes (corrects a voucher spent)
    voucher     request_id      voucher      409 idempotency_conflict  (started by the member: key member#voucher#id)
    reward_claim   claim_id     reward       409 idempotency_conflict  (by the member: key member#reward_claim#id)
    reward_cancel  code         reward_cancel 422 claim_not_open       yes (corrects a claim; by its offerer)
    adjustment  adjustment_id   adjustment, adjustment_debit  409      yes (by the operator: key operator#adjustment#id)
    reinstatement  reinstatement_id  reinstatement  409            yes (by the operator; not on a closed member)
    late_credit  late_credit_id  earn, bonus  409 idempotency_conflict  (by the operator: books the partner's purchase)
    grant       grant_id        grant        409 idempotency_conflict  (by the grant's job, once per member:
                                                                        key operator#grant#<grant_id>#<member_id>)
    membership_sale  sale_id    membership_fee (+ grant, voucher: the first monthly voucher; membership_end: the
                                one it replaces, ended unseen by the job)  409 idempotency_conflict
    membership_renewal  (job)   membership_fee, membership_end, grant, voucher  yes (ends it; by the job, once per
                                 state: key seller#membership_renewal#<member_id>#<since>#<renewals>.<vouchers given>)

Adding a movement:
1. an `EntryType` member (its value is what ledger items store: never rename one) and its `Movement` in
   `MOVEMENTS`; tests/unit/test_movements.py checks that every type has exactly one declaration;
2. when partners start it through an operation of their own, an `OperationKind` member and its
   `OperationDeclaration` (the request field of its id, its conflict answer, whether it corrects an earlier one);
3. its use case in services/, booking it with `new_entry(wallet, EntryType.X, ...)` and the rate it declares.
Settlement, reconciliation and the reports need no change unless the movement needs an effect not declared yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from types import MappingProxyType

from .errors import ClaimNotOpen, DomainError, HoldNotOpen, IdempotencyConflict


class EntryType(StrEnum):
    """The type of a ledger entry, stored as its value."""

    EARN = "earn"  # a purchase's points on the partner's own rate
    BONUS = "bonus"  # any other purchase award: campaigns, product rules, tier bonus, referral
    ACTIVITY = "activity"  # a non-purchase engagement the programme rewards
    RETURN = "return"  # a purchase returned: its points taken back
    REDEEM = "redeem"  # points spent at once
    HOLD = "hold"  # points reserved for a later capture
    CAPTURE = "capture"  # reserved points spent (the rest released)
    VOID = "void"  # reserved points released (by the partner, or when the hold expires)
    REVERSAL = "reversal"  # a redeemer gives spent points back
    EXPIRE = "expire"  # points past their validity
    TIER = "tier"  # a tier decision: no points move
    STATUS = "status"  # an account status change: no points move
    VOUCHER = "voucher"  # points converted into a voucher (they stay their issuers' liability until it is spent)
    VOUCHER_SPEND = "voucher_spend"  # a voucher spent at a partner: its issuers (and bonus funder) pay its value
    VOUCHER_VOID = "voucher_void"  # the spending partner refunds: the voucher is open again, the money goes back
    VOUCHER_EXPIRE = "voucher_expire"  # an open voucher past its last day: breakage of its issuers
    REWARD = "reward"  # a catalogue reward claimed: its points spent at the offerer
    REWARD_CANCEL = "reward_cancel"  # the offerer cancels a claim: the points go back, the money too
    ADJUSTMENT = "adjustment"  # customer service credits points, issued by a named funder (settled as issued)
    ADJUSTMENT_DEBIT = "adjustment_debit"  # customer service debits points of a named issuer (settled as returned)
    FORFEIT = "forfeit"  # an erased member's remaining points: breakage of their issuers, settled as expiry
    REINSTATEMENT = "reinstatement"  # customer service gives expired points back, of the issuers that let them expire
    GRANT = "grant"  # the operator's launch credit to many members, issued by a named funder (settled as issued)
    MEMBERSHIP_FEE = "membership_fee"  # a paid membership sold or renewed: no points, its fee paid to the operator
    MEMBERSHIP_END = "membership_end"  # a paid membership lapsed: no points, no money


class Liability(Enum):
    """How a portion of an entry's attribution moves its issuer's outstanding points."""

    ISSUES = 1
    RETURNS = 2
    SPENDS = 3
    GIVES_BACK = 4
    EXPIRES = 5
    NONE = 6
    REINSTATES = 7  # expired points are the issuer's liability again (an expiry undone)

    @property
    def sign(self) -> int:
        """+1: the portion's points are the issuer's liability again; −1: they no longer are; 0: unchanged."""
        return _LIABILITY_SIGNS[self]

    @property
    def voucher_sign(self) -> int:
        """For a movement that moves vouchers: how the portion moves its issuer's open voucher points. A conversion
        moves no liability (NONE: the points only change form, from the lots into a voucher): +1; otherwise the
        voucher points go as the liability does: spent or expired −1, open again after a void +1."""
        return self.sign or 1


_LIABILITY_SIGNS = {
    Liability.ISSUES: 1,
    Liability.RETURNS: -1,
    Liability.SPENDS: -1,
    Liability.GIVES_BACK: 1,
    Liability.EXPIRES: -1,
    Liability.NONE: 0,
    Liability.REINSTATES: 1,
}


class Settles(Enum):
    """What a movement contributes to the money lines of a close."""

    FEE_ON_ISSUE = 1  # + the issuer's fee on the points (kind "fee")
    FEE_REFUND = 2  # − the fee charged when the points were issued (nets to "fee" or "fee_refund")
    REDEMPTION_PAIR = 3  # + the value of the issuer's points kept by the redeemer (kind "redemption")
    REVERSAL_PAIR = 4  # − that value, given back by the redeemer (nets to "redemption" or "reversal")
    BREAKAGE = 5  # no money: the issuer's breakage
    NOTHING = 6
    BREAKAGE_REVERSAL = 7  # no money: breakage undone (the issuer's reinstated points)
    MEMBERSHIP_FEE = 8  # the entry's partner pays the operator the fee it collected (kind "membership_fee")


class Rate(Enum):
    """The rate an entry records when booked and settles at (entries booked before rates were recorded have none:
    the close values them at its own)."""

    FEE_PER_POINT = 1  # Entry.fees_per_point, by issuer
    POINT_VALUE = 2  # Entry.point_value
    NONE = 3


class Starter(StrEnum):
    """Who may start a movement or an operation."""

    PARTNER = "partner"
    MEMBER = "member"
    OPERATOR = "operator"
    JOB = "job"


@dataclass(frozen=True)
class Movement:
    type: EntryType
    liability: Liability
    settles: Settles
    rate: Rate
    started_by: frozenset[Starter]
    moves_held: bool = False  # changes the member's held points (Entry.held)
    moves_vouchers: bool = False  # moves points between the member's lots and their open vouchers
    # A voucher's bonus (Entry.bonuses): +1 its funder pays the entry's partner, −1 the partner pays it back.
    bonus_sign: int = 0
    counts_purchase: bool = False  # one per purchase that earns on the base rate: the reports count purchases by it


_PARTNER = frozenset({Starter.PARTNER})
_PURCHASE = frozenset({Starter.PARTNER, Starter.OPERATOR})  # posted by the partner, or credited late by the operator
_ISSUING = (Liability.ISSUES, Settles.FEE_ON_ISSUE, Rate.FEE_PER_POINT)
_SPENDING = (Liability.SPENDS, Settles.REDEMPTION_PAIR, Rate.POINT_VALUE)
_NO_MONEY = (Liability.NONE, Settles.NOTHING, Rate.NONE)

MOVEMENTS: Mapping[EntryType, Movement] = MappingProxyType(
    {
        m.type: m
        for m in (
            # A partner's purchase, or the operator's late credit of one (booked as that partner's purchase).
            Movement(EntryType.EARN, *_ISSUING, _PURCHASE, counts_purchase=True),
            Movement(EntryType.BONUS, *_ISSUING, _PURCHASE),
            Movement(EntryType.ACTIVITY, *_ISSUING, _PARTNER),
            Movement(EntryType.RETURN, Liability.RETURNS, Settles.FEE_REFUND, Rate.FEE_PER_POINT, _PARTNER),
            Movement(EntryType.REDEEM, *_SPENDING, _PARTNER),
            Movement(EntryType.CAPTURE, *_SPENDING, _PARTNER, moves_held=True),
            Movement(EntryType.REVERSAL, Liability.GIVES_BACK, Settles.REVERSAL_PAIR, Rate.POINT_VALUE, _PARTNER),
            Movement(EntryType.EXPIRE, Liability.EXPIRES, Settles.BREAKAGE, Rate.NONE, frozenset({Starter.JOB})),
            Movement(EntryType.HOLD, *_NO_MONEY, _PARTNER, moves_held=True),
            # Holds released by their partner, when they expire, or when the member is erased.
            Movement(
                EntryType.VOID, *_NO_MONEY, frozenset({Starter.PARTNER, Starter.JOB, Starter.OPERATOR}), moves_held=True
            ),
            Movement(EntryType.TIER, *_NO_MONEY, frozenset({Starter.JOB})),
            Movement(EntryType.STATUS, *_NO_MONEY, frozenset({Starter.OPERATOR})),
            # Erasure (the programme carries it out, at the member's request or its own): what is left of the
            # member's points goes as expired points go.
            Movement(EntryType.FORFEIT, Liability.EXPIRES, Settles.BREAKAGE, Rate.NONE, frozenset({Starter.OPERATOR})),
            # A member's request, or the programme's threshold inside a purchase (a partner's or a late credit), or a
            # paid membership's monthly voucher (with its sale, or the job's).
            Movement(
                EntryType.VOUCHER,
                *_NO_MONEY,
                frozenset({Starter.MEMBER, Starter.PARTNER, Starter.OPERATOR, Starter.JOB}),
                moves_vouchers=True,
            ),
            Movement(EntryType.VOUCHER_SPEND, *_SPENDING, _PARTNER, moves_vouchers=True, bonus_sign=1),
            Movement(
                EntryType.VOUCHER_VOID,
                Liability.GIVES_BACK,
                Settles.REVERSAL_PAIR,
                Rate.POINT_VALUE,
                _PARTNER,
                moves_vouchers=True,
                bonus_sign=-1,
            ),
            Movement(EntryType.REWARD, *_SPENDING, frozenset({Starter.MEMBER})),
            Movement(EntryType.ADJUSTMENT, *_ISSUING, frozenset({Starter.OPERATOR})),
            # The operator's launch credit; a paid membership's monthly voucher (the job's, or a till's with the sale).
            Movement(EntryType.GRANT, *_ISSUING, frozenset({Starter.OPERATOR, Starter.JOB, Starter.PARTNER})),
            Movement(
                EntryType.ADJUSTMENT_DEBIT,
                Liability.RETURNS,
                Settles.FEE_REFUND,
                Rate.FEE_PER_POINT,
                frozenset({Starter.OPERATOR}),
            ),
            Movement(
                EntryType.REINSTATEMENT,
                Liability.REINSTATES,
                Settles.BREAKAGE_REVERSAL,
                Rate.NONE,
                frozenset({Starter.OPERATOR}),
            ),
            Movement(
                EntryType.REWARD_CANCEL,
                Liability.GIVES_BACK,
                Settles.REVERSAL_PAIR,
                Rate.POINT_VALUE,
                frozenset({Starter.PARTNER, Starter.OPERATOR}),
            ),
            Movement(
                EntryType.MEMBERSHIP_FEE,
                Liability.NONE,
                Settles.MEMBERSHIP_FEE,
                Rate.NONE,
                frozenset({Starter.PARTNER, Starter.JOB}),
            ),
            Movement(EntryType.MEMBERSHIP_END, *_NO_MONEY, frozenset({Starter.JOB, Starter.PARTNER})),
            Movement(
                EntryType.VOUCHER_EXPIRE,
                Liability.EXPIRES,
                Settles.BREAKAGE,
                Rate.NONE,
                frozenset({Starter.JOB}),
                moves_vouchers=True,
            ),
        )
    }
)


def movement(type: str) -> Movement:
    """The declaration of an entry type (its stored string or its member)."""
    return MOVEMENTS[EntryType(type)]


class OperationKind(StrEnum):
    """A partner's operation, exactly once under its id: the middle part of the stored operation key
    (partner#kind#id) and the stored record's kind."""

    PURCHASE = "purchase"
    RETURN = "return"
    REDEMPTION = "redemption"
    HOLD = "hold"
    CAPTURE = "capture"
    VOID = "void"
    ACTIVITY = "activity"
    REVERSAL = "reversal"
    VOUCHER = "voucher"
    VOUCHER_REDEMPTION = "voucher_redemption"
    VOUCHER_VOID = "voucher_void"
    REWARD_CLAIM = "reward_claim"
    REWARD_CANCEL = "reward_cancel"
    ADJUSTMENT = "adjustment"
    REINSTATEMENT = "reinstatement"
    LATE_CREDIT = "late_credit"
    GRANT = "grant"
    MEMBERSHIP_SALE = "membership_sale"
    MEMBERSHIP_RENEWAL = "membership_renewal"


@dataclass(frozen=True)
class OperationDeclaration:
    """What the executor (services/operations.py) needs to know of each kind of operation."""

    kind: OperationKind
    id_field: str  # the request field carrying the operation's id (what a 409 points at)
    books: frozenset[EntryType]  # its movements (any write also expires due lots and releases expired holds)
    started_by: frozenset[Starter] = _PARTNER
    # The same id again with a different request: the contract's answer (409 idempotency_conflict, or for
    # a hold already captured or voided, 422 hold_not_open as for any capture/void of a closed hold).
    conflict: type[DomainError] = IdempotencyConflict
    # Corrections of an earlier operation (returns, reversals) also apply to a suspended or closed member.
    corrects: bool = False
    reversible: bool = False  # a spending a reversal can undo (in part), named by its id field


OPERATIONS: Mapping[OperationKind, OperationDeclaration] = MappingProxyType(
    {
        d.kind: d
        for d in (
            OperationDeclaration(
                OperationKind.PURCHASE,
                "transaction_id",
                frozenset({EntryType.EARN, EntryType.BONUS, EntryType.VOUCHER}),  # and the programme's auto-conversion
            ),
            OperationDeclaration(OperationKind.RETURN, "return_id", frozenset({EntryType.RETURN}), corrects=True),
            OperationDeclaration(
                OperationKind.REDEMPTION, "redemption_id", frozenset({EntryType.REDEEM}), reversible=True
            ),
            OperationDeclaration(OperationKind.HOLD, "hold_id", frozenset({EntryType.HOLD})),
            OperationDeclaration(
                OperationKind.CAPTURE, "hold_id", frozenset({EntryType.CAPTURE}), conflict=HoldNotOpen, reversible=True
            ),
            OperationDeclaration(OperationKind.VOID, "hold_id", frozenset({EntryType.VOID}), conflict=HoldNotOpen),
            OperationDeclaration(OperationKind.ACTIVITY, "activity_id", frozenset({EntryType.ACTIVITY})),
            OperationDeclaration(OperationKind.REVERSAL, "reversal_id", frozenset({EntryType.REVERSAL}), corrects=True),
            OperationDeclaration(  # the member's app (key member#voucher#id) or a partner's till for them
                OperationKind.VOUCHER,
                "request_id",
                frozenset({EntryType.VOUCHER}),
                started_by=frozenset({Starter.MEMBER, Starter.PARTNER}),
            ),
            OperationDeclaration(
                OperationKind.VOUCHER_REDEMPTION, "redemption_id", frozenset({EntryType.VOUCHER_SPEND})
            ),
            OperationDeclaration(
                OperationKind.VOUCHER_VOID, "redemption_id", frozenset({EntryType.VOUCHER_VOID}), corrects=True
            ),
            OperationDeclaration(  # the member's app (key member#reward_claim#id)
                OperationKind.REWARD_CLAIM,
                "claim_id",
                frozenset({EntryType.REWARD}),
                started_by=frozenset({Starter.MEMBER}),
            ),
            OperationDeclaration(  # by the claim's offerer, once per claim (key offerer#reward_cancel#code)
                OperationKind.REWARD_CANCEL,
                "code",
                frozenset({EntryType.REWARD_CANCEL}),
                started_by=frozenset({Starter.PARTNER, Starter.OPERATOR}),
                conflict=ClaimNotOpen,
                corrects=True,
            ),
            OperationDeclaration(  # customer service, on any member's account (a suspended one's too)
                OperationKind.ADJUSTMENT,
                "adjustment_id",
                frozenset({EntryType.ADJUSTMENT, EntryType.ADJUSTMENT_DEBIT}),
                started_by=frozenset({Starter.OPERATOR}),
                corrects=True,
            ),
            OperationDeclaration(  # customer service gives an expiry back (a suspended member's too; services refuse
                # a closed one: no one could use the points again)
                OperationKind.REINSTATEMENT,
                "reinstatement_id",
                frozenset({EntryType.REINSTATEMENT}),
                started_by=frozenset({Starter.OPERATOR}),
                corrects=True,
            ),
            OperationDeclaration(  # customer service credits a purchase older than the posting window, as the
                # partner's purchase (it also takes the key partner#purchase#transaction_id: one earn per purchase)
                OperationKind.LATE_CREDIT,
                "late_credit_id",
                frozenset({EntryType.EARN, EntryType.BONUS, EntryType.VOUCHER}),
                started_by=frozenset({Starter.OPERATOR}),
            ),
            OperationDeclaration(  # a grant's job, once per (grant, member): the operation id is grant_id#member_id
                OperationKind.GRANT,
                "grant_id",
                frozenset({EntryType.GRANT}),
                started_by=frozenset({Starter.OPERATOR, Starter.JOB}),
            ),
            OperationDeclaration(  # and the membership's first monthly voucher: the operator's points, converted
                OperationKind.MEMBERSHIP_SALE,
                "sale_id",
                frozenset({EntryType.MEMBERSHIP_FEE, EntryType.GRANT, EntryType.VOUCHER, EntryType.MEMBERSHIP_END}),
            ),
            OperationDeclaration(  # the renewal job, once per state (id <member>#<since>#<renewals>.<vouchers>):
                # monthly vouchers, renewals; on a suspended or closed member too: it ends it, charging nothing
                OperationKind.MEMBERSHIP_RENEWAL,
                "renewal",
                frozenset({EntryType.MEMBERSHIP_FEE, EntryType.MEMBERSHIP_END, EntryType.GRANT, EntryType.VOUCHER}),
                started_by=frozenset({Starter.JOB}),
                corrects=True,
            ),
        )
    }
)


def operation(kind: str) -> OperationDeclaration:
    """The declaration of an operation kind (its stored string or its member)."""
    return OPERATIONS[OperationKind(kind)]
