"""Published statements: the objects of the statements bucket (S3), and their one layout.

    settlements/<period>/coalition.json          the operator's document of the period, byte for byte
    settlements/<period>/parties/<party>.json    one party's own statement (the operator is party `operator`)
    settlements/<period>/parties/<party>.csv     the same figures as CSV

The coalition's document and the parties' statements sit under different names at different depths, and a
party id never holds a "/" (partner ids are [a-z0-9-]), so no party's object can overwrite another's or the
coalition's, whatever the ids. Every put writes the same bytes for the same closed period: publishing again is
harmless.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import PublicationFailed
from ..settings import Settings

JSON = "application/json"
CSV = "text/csv"


@dataclass(frozen=True)
class PartyStatement:
    party: str
    json: str
    csv: str


def coalition_key(period: str) -> str:
    return f"settlements/{period}/coalition.json"


def party_key(period: str, party: str, extension: str) -> str:
    return f"settlements/{period}/parties/{party}.{extension}"


def put_period(settings: Settings, period: str, document: str, statements: list[PartyStatement]) -> None:
    """Every object of one closed period; PublicationFailed if S3 refuses or does not answer."""
    objects = [(coalition_key(period), document, JSON)]
    for statement in statements:
        objects.append((party_key(period, statement.party, "json"), statement.json, JSON))
        objects.append((party_key(period, statement.party, "csv"), statement.csv, CSV))
    with _translated():
        s3 = boto3.client("s3", region_name=settings.region)
        for key, body, content_type in objects:
            s3.put_object(Bucket=settings.statements_bucket, Key=key, Body=body.encode(), ContentType=content_type)


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except (BotoCoreError, ClientError) as error:
        raise PublicationFailed(str(error)) from error
