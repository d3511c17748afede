"""Point the pynamodb models at this stage's tables (names, region, endpoint from the environment)."""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.models import Model

from ..settings import Settings
from .models import TABLE_OF_MODEL


def table_names(settings: Settings) -> dict[str, str]:
    return {
        "members": settings.members_table,
        "ledger": settings.ledger_table,
        "operations": settings.operations_table,
        "directory": settings.directory_table,
    }


def configure_models(settings: Settings) -> None:
    names = table_names(settings)
    for model, table in TABLE_OF_MODEL.items():
        _configure(model, names[table], settings.region)


def _configure(model: type[Model], table_name: str, region: str) -> None:
    model.Meta.table_name = table_name
    model.Meta.region = region
    # botocore retries throttling once itself; the services retry the whole operation after that.
    model.Meta.max_retry_attempts = 1
    model._connection = None  # forget a connection built for other settings
    for index in model._indexes.values():
        index.Meta.model = model
        index._connection = None if hasattr(index, "_connection") else None


def connection(settings: Settings) -> Connection:
    return Connection(region=settings.region, max_retry_attempts=1)
