"""The member user pool (Cognito): what the backend does to its users. Signing in is Cognito's own business."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import TransientFailure
from ..settings import Settings
from . import clients

TRANSIENT = {"TooManyRequestsException", "LimitExceededException", "InternalErrorException", "ServiceUnavailable"}


def _cognito(region: str) -> Any:
    return clients.client("cognito-idp", region)


def delete_user(settings: Settings, subject: str) -> None:
    """Delete the user whose `sub` this is (the pool's usernames are subs: emails are only its sign-in alias); a user
    already gone is no error (an erasure repeated after a failure half-way)."""
    if not settings.member_user_pool_id:
        return
    cognito = _cognito(settings.region)
    with _transient_as_retryable():
        try:
            cognito.admin_delete_user(UserPoolId=settings.member_user_pool_id, Username=subject)
        except cognito.exceptions.UserNotFoundException:
            pass


def user_exists(settings: Settings, subject: str) -> bool:
    """Whether the pool still has this user: a token outlives its user (deleted at erasure) by up to an hour."""
    if not settings.member_user_pool_id:
        return False
    cognito = _cognito(settings.region)
    with _transient_as_retryable():
        try:
            cognito.admin_get_user(UserPoolId=settings.member_user_pool_id, Username=subject)
        except cognito.exceptions.UserNotFoundException:
            return False
    return True


@contextmanager
def _transient_as_retryable() -> Iterator[None]:
    """Cognito's throttling and its own failures are transient: the caller answers 503 retry_later, never 500."""
    try:
        yield
    except (BotoCoreError, ClientError) as error:
        code = error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
        if isinstance(error, ClientError) and code not in TRANSIENT:
            raise
        raise TransientFailure(f"the member pool did not answer: {code or error}") from error
