"""Late credits by customer service (POST /v1/admin/members/{id}/late-credits): a purchase older than the partner's
posting window (earning.MAX_POSTING_DELAY), proven by its receipt, credited by the operator as that partner's purchase.

- It is the partner's purchase, booked by the operator: the same calculation (earning.purchase_for/apply_purchase:
  the partner's rates, the member's tier multiplier, a first-purchase or referral bonus if it is the member's first,
  no campaign nor birthday month: like any purchase posted later than BONUS_POSTING_GRACE), entries `earn`/`bonus` at
  the partner (its issuance, its fee per point now, settled like any), reference the transaction id. The programme
  keeps no history of its rules or of a partner's rates: it earns at today's, as a late posting does; its points
  are valid as points earned today (the old date would often have expired them already).
- One earn per purchase: the same transaction creates the partner's purchase record (key partner#purchase#id)
  only if absent, with the purchase's facts. A purchase the partner posted already: 409 already_posted; a later
  post by the partner of that transaction id: 409 idempotency_conflict (its key is used), never a second earn; a
  return of it by the partner works as for any purchase (its facts are in that record).
- Refused: a purchase still inside the posting window (422 within_posting_window: the partner posts it itself),
  occurred_at in the future (400), a currency that is not the partner's (422 currency_mismatch), a partner that
  does not exist (404) or is suspended (422 rule_violation: no new liability for it), a suspended or closed
  member (422 member_inactive: the purchase would not earn either).
- Exactly once per late_credit_id (key operator#late_credit#id).

Cost: 2 GetItem (the partner's profile, read afresh as an adjustment's funder is; the wallet) + 1 TransactWriteItems
of 4 items for a purchase earning on the base rate alone (the record, the partner's purchase record, the wallet, the
entry; one more per bonus entry, and the referrer's wallet with its entry when a referral bonus is paid).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ..domain.earning import split_purchase
from ..domain.errors import AlreadyPosted, CurrencyMismatch, NotFound, RuleViolation, WithinPostingWindow
from ..domain.ledger import OperationRecord, operation_key
from ..domain.money import parse_amount, parse_currency
from ..domain.movements import OperationKind
from ..domain.program import OPERATOR
from ..domain.timefmt import refuse_future
from ..domain.wallet import Wallet
from .earning import MAX_POSTING_DELAY, Place, apply_purchase, purchase_for
from .operations import Decide, Operation, Outcome, Reply, Reservation, body_text, fingerprint, run_operation
from .programs import current_program, fee_per_point
from .requests import LateCreditRequest, valid_member_id
from .runtime import Runtime, iso


def credit_late_purchase(rt: Runtime, member_id: str, request: LateCreditRequest) -> Reply:
    operation = Operation(
        OPERATOR,
        OperationKind.LATE_CREDIT,
        request.late_credit_id,
        fingerprint(member_id, request.model_dump(mode="json")),
    )
    partner_id, transaction_id = request.partner_id, request.transaction_id

    def prepare() -> tuple[str, Decide]:
        if not valid_member_id(member_id):
            raise NotFound(f"member {member_id} not found", field="member_id")
        partner = rt.store.directory.get_partner(partner_id)
        if partner is None:
            raise NotFound(f"partner {partner_id} does not exist", field="partner_id")
        if not partner.active:
            raise RuleViolation(f"{partner_id} is {partner.status}: it cannot be credited", field="partner_id")
        currency = parse_currency(request.currency)
        if currency != partner.currency:
            raise CurrencyMismatch(f"{partner_id} trades in {partner.currency}, not {currency}", field="currency")
        amount = parse_amount(request.amount, currency)
        program = current_program(rt)
        lines = [(line, partner.rate_for(line.category, program.point_value)) for line in split_purchase(amount, [])]
        now = rt.now()
        refuse_future(request.occurred_at, now)
        if now - request.occurred_at <= MAX_POSTING_DELAY:
            raise WithinPostingWindow(
                f"a purchase of the last {MAX_POSTING_DELAY.days} days is posted by the partner ({partner_id}) itself",
                field="occurred_at",
            )

        def fees(issuer: str) -> Decimal:
            return partner.fee_per_point if issuer == partner_id else fee_per_point(rt, issuer)

        def decide(wallet: Wallet, now: datetime) -> Outcome:
            purchase = purchase_for(program, partner, wallet, amount, currency, lines, request.occurred_at, [], False)
            outcome = apply_purchase(
                rt,
                program,
                partner,
                transaction_id,
                purchase,
                request.occurred_at,
                wallet,
                now,
                fees,
                Place(request.channel),
            )
            # The partner's purchase, as if it had posted it: its answer and the facts its returns need.
            posted = OperationRecord(
                op_key=operation_key(partner_id, OperationKind.PURCHASE, transaction_id),
                kind=OperationKind.PURCHASE.value,
                partner_id=partner_id,
                member_id=wallet.member_id,
                fingerprint=fingerprint("late_credit", request.late_credit_id),  # no partner's request matches it
                status_code=201,
                body=body_text(outcome.body),
                data=outcome.data,
                created_at=iso(now),
            )
            refusal = AlreadyPosted(
                f"{partner_id} posted transaction {transaction_id} already (or it was credited late): it earned once",
                field="transaction_id",
            )
            outcome.body = {
                **outcome.body,
                "late_credit_id": request.late_credit_id,
                "partner_id": partner_id,
                "receipt": request.receipt,
            }
            outcome.data = {"partner_id": partner_id, "transaction_id": transaction_id}
            outcome.reserved = [Reservation(posted, refusal)]
            return outcome

        return member_id, decide

    return run_operation(rt, operation, prepare)
