"""Measurements runnable on their own (python -m bench.<name>): in-process moto, fake credentials."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.settings import Settings
    from tests.support.api import Coalition


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
def coalition_app(settings: Settings, clock: Callable[[], datetime] | None = None) -> Iterator[Coalition]:
    """The app on chalice's test client, its tables created from infra/ (inside moto): a Coalition to drive it."""
    from chalice.test import Client

    import app as application
    from chalicelib.bootstrap import Container
    from localdev.infra import create_all
    from tests.support.api import ApiClient, Coalition

    create_all(settings)
    container = Container(settings) if clock is None else Container(settings, clock)
    application.app.container = container
    with Client(application.app) as client:
        yield Coalition(ApiClient(client, container))


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
