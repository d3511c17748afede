"""Domain exceptions: what can go wrong, in the programme's words.

Each carries the API error code it becomes; the translation to HTTP lives in api/errors.py only.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "invalid_request"

    def __init__(self, message: str, *, field: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class InvalidRequest(DomainError):
    code = "invalid_request"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"


class AlreadyExists(DomainError):
    code = "already_exists"


class MemberExists(DomainError):
    code = "member_exists"


class AlreadyEnrolled(DomainError):
    """The signed-in user is linked to a member already (one user, one member)."""

    code = "already_enrolled"


class MemberAlreadyLinked(DomainError):
    """The member is linked to another signed-in user."""

    code = "member_already_linked"


class ClaimNotProven(DomainError):
    """A card claimed by a user whose verified email or phone is not the card's member's."""

    code = "claim_not_proven"


class NotEnrolled(DomainError):
    """A signed-in user who is not a member yet called a member's endpoint."""

    code = "not_enrolled"


class InsufficientPoints(DomainError):
    code = "insufficient_points"


class MemberInactive(DomainError):
    code = "member_inactive"


class VoucherNotUsable(DomainError):
    """Spent, expired, not usable at this partner, or not spent by the redemption a void names."""

    code = "voucher_not_usable"


class OutOfStock(DomainError):
    """A reward's stock is all claimed (claims cancelled later give theirs back)."""

    code = "out_of_stock"


class ClaimNotOpen(DomainError):
    """A reward claim already fulfilled (cannot be cancelled) or cancelled (cannot be fulfilled)."""

    code = "claim_not_open"


class CurrencyMismatch(DomainError):
    code = "currency_mismatch"


class HoldNotOpen(DomainError):
    code = "hold_not_open"


class ReturnExceedsPurchase(DomainError):
    code = "return_exceeds_purchase"


class ReversalExceedsRedemption(DomainError):
    code = "reversal_exceeds_redemption"


class RuleViolation(DomainError):
    code = "rule_violation"


class SpendCodeUsed(RuleViolation):
    """A spend code is single use: another spending took it first."""


class AlreadyReinstated(DomainError):
    """An expiry is reinstated at most once, whatever the reinstatement id."""

    code = "already_reinstated"


class NotAnExpiry(DomainError):
    """A reinstatement names an entry of the member that is not an expiry of points."""

    code = "not_an_expiry"


class NothingToReinstate(DomainError):
    """None of an expiry's points can come back: returns took them since, or they expired too long ago."""

    code = "nothing_to_reinstate"


class AlreadyPosted(DomainError):
    """A partner's transaction earned already: posted by the partner, or credited late by the operator."""

    code = "already_posted"


class WithinPostingWindow(DomainError):
    """A late credit for a purchase the partner can still post itself."""

    code = "within_posting_window"


class RetryLater(DomainError):
    """A transient backend failure outlasted our retries; the same call can safely be repeated."""

    code = "retry_later"


# ---- outcomes of a conditional write, raised by the store and handled by the services ----------
class DuplicateOperation(Exception):
    """The operation id has been used before: its stored result is the answer."""


class ConcurrencyConflict(Exception):
    """Someone else changed the wallet (or record) since we read it: read again and retry."""


class TransientFailure(Exception):
    """Throttling, a transaction conflict, a timeout: safe to retry the whole operation."""


class IdentifierTaken(Exception):
    """A card number, email or phone that another member already has."""

    def __init__(self, alias_key: str) -> None:
        super().__init__(alias_key)
        self.alias_key = alias_key


class OperationTaken(Exception):
    """A key an operation takes for good (besides its own record) was taken already: the partner's purchase a
    late credit books, the expiry a reinstatement gives back."""

    def __init__(self, op_key: str) -> None:
        super().__init__(op_key)
        self.op_key = op_key


class PublicationFailed(Exception):
    """The statements bucket refused or did not answer: what was not published stays pending and is retried."""


class MembershipRefused(RuleViolation):
    """A plan unknown or no longer on sale, a fee that is not the plan's now, or a membership still running."""
