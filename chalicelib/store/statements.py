"""Published statements: the objects of the statements bucket (S3), and their one layout.

    settlements/<period>/coalition.json          the operator's document of the period, byte for byte
    settlements/<period>/parties/<party>.json    one party's own statement (the operator is party `operator`)
    settlements/<period>/parties/<party>.csv     the same figures as CSV (the summary table)
    settlements/<period>/parties/<party>.html    the statement page (self-contained: it opens from a link)
    ranges/<party>/<first>..<last>.html          a range's page, put when a link to it is made
    items/<party>/<day>/<shard>.csv              the line items of one shard of a day (written by its close)
    items/<party>/<day or month>.csv             a period's line items, one file with a header (publication)

The coalition's document and the parties' statements sit under different names at different depths, and a
party id never holds a "/" (partner ids are [a-z0-9-]), so no party's object can overwrite another's or the
coalition's, whatever the ids. Every put writes the same bytes for the same closed period: publishing again is
harmless.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import PublicationFailed
from ..settings import Settings
from . import clients

JSON = "application/json"
CSV = "text/csv; charset=utf-8"
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class PartyStatement:
    party: str
    json: str
    csv: str
    html: str


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
        objects.append((party_key(period, statement.party, "html"), statement.html, HTML))
    with _translated():
        s3 = clients.client("s3", settings.region)
        for key, body, content_type in objects:
            s3.put_object(Bucket=settings.statements_bucket, Key=key, Body=body.encode(), ContentType=content_type)


def put_page(settings: Settings, key: str, html: str) -> None:
    """A statement page, served as a page (a browser renders it rather than downloading it)."""
    with _translated():
        s3 = clients.client("s3", settings.region)
        s3.put_object(Bucket=settings.statements_bucket, Key=key, Body=html.encode(), ContentType=HTML)


def presigned_url(settings: Settings, key: str, seconds: int) -> str:
    """A GET URL of the object that needs no credential for `seconds` (S3 refuses it after; at most 7 days). Signed
    here, with no call to S3; it grants exactly this one object."""
    with _translated():
        # SigV4 (botocore presigns S3 with SigV2 unless told): the signature every region accepts, up to 7 days.
        s3 = clients.client("s3", settings.region, signature_version="s3v4")
        return str(
            s3.generate_presigned_url(
                "get_object", Params={"Bucket": settings.statements_bucket, "Key": key}, ExpiresIn=seconds
            )
        )


def shard_items_key(party: str, day: str, shard: int) -> str:
    return f"items/{party}/{day}/{shard:03d}.csv"


def items_key(party: str, period: str) -> str:
    return f"items/{party}/{period}.csv"


def put_object(settings: Settings, key: str, body: str, content_type: str = CSV) -> None:
    with _translated():
        s3 = clients.client("s3", settings.region)
        s3.put_object(Bucket=settings.statements_bucket, Key=key, Body=body.encode(), ContentType=content_type)


def read_object(settings: Settings, key: str, first_byte: int = 0, max_bytes: int | None = None) -> bytes | None:
    """The object's bytes from `first_byte` (at most `max_bytes`: a ranged GET), b"" past its end, None if absent."""
    with _translated():
        s3 = clients.client("s3", settings.region)
        extra = {} if max_bytes is None else {"Range": f"bytes={first_byte}-{first_byte + max_bytes - 1}"}
        if max_bytes is None and first_byte:
            extra = {"Range": f"bytes={first_byte}-"}
        try:
            return bytes(s3.get_object(Bucket=settings.statements_bucket, Key=key, **extra)["Body"].read())
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404"):
                return None
            if code == "InvalidRange":  # at or past the end
                return b""
            raise


def list_keys(settings: Settings, prefix: str) -> list[str]:
    """The keys right under `prefix` (not in its sub-folders), in order."""
    with _translated():
        s3 = clients.client("s3", settings.region)
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=settings.statements_bucket, Prefix=prefix, Delimiter="/"
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def range_key(party: str, first: str, last: str) -> str:
    """A range's page, put when a link to it is made (ranges are not published: any 92 days may be asked for)."""
    return f"ranges/{party}/{first}..{last}.html"


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except (BotoCoreError, ClientError) as error:
        raise PublicationFailed(str(error)) from error
