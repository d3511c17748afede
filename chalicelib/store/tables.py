"""Point the pynamodb models at this stage's tables (names, region, endpoint from the environment),
all through one botocore client, built on the process's botocore session (store/clients.py).

pynamodb gives every model, and every transaction, a Connection of its own, and each Connection builds
its own botocore client: ~0.1 s apiece, paid on every cold start. One shared Connection (botocore clients
are thread-safe) knows every table's schema and serves them all.
"""

from __future__ import annotations

from typing import Any

import botocore.session
from pynamodb.connection import Connection
from pynamodb.connection.base import MetaTable
from pynamodb.exceptions import TableError

from ..settings import Settings
from . import clients
from .models import TABLE_OF_MODEL

_shared: dict[str, Connection] = {}


class SharedSessionConnection(Connection):
    """pynamodb's Connection on the process's botocore session, not a session of its own per thread: the
    service models and endpoint rules other clients (S3, SQS, Cognito) read are read once."""

    @property
    def session(self) -> botocore.session.Session:
        return clients.session()

    @property
    def client(self) -> Any:
        with clients.building():  # a session builds one client at a time (pynamodb builds it on first use)
            return super().client


def table_names(settings: Settings) -> dict[str, str]:
    return {
        "members": settings.members_table,
        "wallet_vaults": settings.wallet_vaults_table,
        "ledger": settings.ledger_table,
        "operations": settings.operations_table,
        "directory": settings.directory_table,
        "settlements": settings.settlements_table,
        "vouchers": settings.vouchers_table,
        "rewards": settings.rewards_table,
        "audit": settings.audit_table,
    }


def configure_models(settings: Settings) -> None:
    names = table_names(settings)
    # botocore retries throttling of single calls (standard mode: backoff with jitter); the services also
    # retry a whole operation whose transaction was cancelled by a conflict.
    shared = SharedSessionConnection(region=settings.region, max_retry_attempts=3)
    for model, table in TABLE_OF_MODEL.items():
        model.Meta.table_name = names[table]
        model.Meta.region = settings.region
        model.Meta.max_retry_attempts = 3
        model._connection = None  # forget a connection built for other settings
        table_connection = model._get_connection()
        meta = table_connection.get_meta_table()
        try:
            _merge_schema(shared.get_meta_table(meta.table_name), meta)
        except TableError:  # the first model of this table
            shared.add_meta_table(meta)
        table_connection.connection = shared
    _shared[settings.region] = shared


def _merge_schema(into: MetaTable, other: MetaTable) -> None:
    """Models sharing a table may each declare an index of their own (claims by member, the reward catalogue):
    the shared schema knows every one of them."""
    for section in ("GlobalSecondaryIndexes", "AttributeDefinitions"):
        known = into.data.setdefault(section, [])
        known.extend(item for item in other.data.get(section, []) if item not in known)


def connection(settings: Settings) -> Connection:
    """The shared connection, for transactions across tables."""
    return _shared[settings.region]
