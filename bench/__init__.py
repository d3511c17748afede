"""Measurements runnable on their own (python -m bench.<name>): in-process moto, fake credentials."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


def prepare() -> None:
    """Environment for an in-process run (call before importing moto or the app)."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "STAGE": "local",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    from chalicelib.observability import metrics

    metrics.add_metric = lambda **_: None  # use cases run outside a Lambda invocation: nothing would flush them


@contextmanager
def member_pool() -> Iterator[dict[str, str]]:
    """Inside moto: the member user pool (from infra/) and its keys served, as settings (for members' tokens)."""
    from localdev.infra import create_member_pool
    from tests.support.cognito import served_pool_keys

    pool = create_member_pool("eu-west-1")
    with served_pool_keys() as keys_url:
        yield {
            "member_user_pool_id": pool.user_pool_id,
            "member_app_client_id": pool.app_client_id,
            "member_jwks_url": keys_url,
        }
