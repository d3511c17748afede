"""DynamoDB failures -> the domain's words. Decided on error codes, never on message text."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException
from pynamodb.models import Model

from ..domain.errors import TransientFailure

M = TypeVar("M", bound=Model)

TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionInProgressException",
        "TransactionConflict",  # a cancellation reason
        "ThrottlingError",  # a cancellation reason
    }
)


def is_transient(error: BaseException) -> bool:
    cause = error.cause if isinstance(error, PynamoDBException) else error
    if isinstance(cause, BotoCoreError):  # timeouts, dropped connections: the call may or may not have run
        return True
    if isinstance(cause, ClientError):
        code = cause.response.get("Error", {}).get("Code", "")
        if code in TRANSIENT_CODES:
            return True
    reasons = getattr(error, "cancellation_reasons", None) or []
    return any(reason is not None and reason.code in TRANSIENT_CODES for reason in reasons)


@contextmanager
def translated() -> Iterator[None]:
    """Turn transient DynamoDB failures into TransientFailure; let anything else through unchanged."""
    try:
        yield
    except (PynamoDBException, BotoCoreError, ClientError) as error:
        if is_transient(error):
            raise TransientFailure(str(error)) from error
        raise


def get_or_none(model: type[M], hash_key: str, *, consistent_read: bool = False) -> M | None:
    """One GetItem; None when the item does not exist."""
    try:
        return model.get(hash_key, consistent_read=consistent_read)
    except model.DoesNotExist:
        return None
