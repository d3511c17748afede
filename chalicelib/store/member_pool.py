"""The member user pool (Cognito): what the backend does to its users. Signing in is Cognito's own business."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3

from ..settings import Settings


@lru_cache(maxsize=4)
def _cognito(region: str) -> Any:
    return boto3.client("cognito-idp", region_name=region)


def delete_user(settings: Settings, subject: str) -> None:
    """Delete the user whose `sub` this is (the pool's usernames are subs: emails are only its sign-in alias); a user
    already gone is no error (an erasure repeated after a failure half-way)."""
    if not settings.member_user_pool_id:
        return
    cognito = _cognito(settings.region)
    try:
        cognito.admin_delete_user(UserPoolId=settings.member_user_pool_id, Username=subject)
    except cognito.exceptions.UserNotFoundException:
        pass
