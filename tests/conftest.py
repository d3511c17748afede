"""Shared fixtures: moto AWS with tables built from infra/, the app on chalice's test client,
a clock the test moves, and factories that make a partner, a key, a member in one line."""

from __future__ import annotations

import os

# Before anything builds a boto3/pynamodb client: fake credentials, a region, the local stage.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "STAGE": "local",
        "POWERTOOLS_METRICS_NAMESPACE": "Coalition",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)

import moto  # noqa: E402  (moto before any client)
import pytest  # noqa: E402

from tests.support.api import ApiClient, Coalition  # noqa: E402
from tests.support.aws import DynamoMeter, make_settings  # noqa: E402
from tests.support.clock import Clock  # noqa: E402
from tests.support.cognito import served_pool_keys  # noqa: E402


@pytest.fixture(scope="session")
def pool_keys_url():
    with served_pool_keys() as url:
        yield url


@pytest.fixture
def aws():
    with moto.mock_aws():
        yield


@pytest.fixture
def identity(aws, pool_keys_url):
    """The member user pool (from infra/) in moto, as settings: its id, the member app's client, its keys."""
    from localdev.infra import create_member_pool

    pool = create_member_pool("eu-west-1")
    return {
        "member_user_pool_id": pool.user_pool_id,
        "member_app_client_id": pool.app_client_id,
        "member_jwks_url": pool_keys_url,
    }


@pytest.fixture
def settings(identity):
    return make_settings(**identity)


@pytest.fixture
def tables(aws, settings):
    from localdev.infra import create_all

    create_all(settings)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def container(tables, settings, clock):
    from chalicelib.bootstrap import Container

    return Container(settings, clock)


@pytest.fixture
def api(container):
    from chalice.test import Client

    import app as application

    application.app.container = container
    with Client(application.app) as client:
        yield ApiClient(client, container)


@pytest.fixture
def coalition(api):
    return Coalition(api)


@pytest.fixture
def meter():
    with DynamoMeter() as recorded:
        yield recorded


@pytest.fixture(autouse=True)
def _no_metrics_left_over():
    """Use cases called outside a Lambda invocation add metrics nobody flushes: drop them after each test."""
    yield
    from chalicelib.observability import metrics

    metrics.clear_metrics()
