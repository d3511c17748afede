"""Line items in the statements bucket: written by the close, one file per party and period, read a page at a time.

- A close's shard (services/settlement.aggregate_shard) already reads that shard's entries of the day: it writes
  each party's lines of the shard (`items/<party>/<day>/<shard>.csv`) and a marker that the shard is written. If S3
  fails there, the close goes on: publication writes the shards still unmarked, reading only those shards' entries.
- Publication joins a day's shard files into the party's day file, and the days of a month into its month file
  (`items/<party>/<day or month>.csv`, a header and one row per line), so the month is never built on request.
- A page is one ranged GET of that file from the cursor's byte offset (a range of days walks its day files).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
from collections import defaultdict
from dataclasses import dataclass

from ..domain.cursors import decode_cursor, encode_cursor, refused
from ..domain.errors import RetryLater
from ..domain.ledger import Entry
from ..domain.line_items import COLUMNS, LineItem, from_csv_row, lines_of, to_csv
from ..domain.periods import PeriodKind
from ..store import layout
from ..store.statements import items_key, shard_items_key
from .programs import current_program
from .runtime import Runtime
from .statements import closed_period

HEADER = ",".join(COLUMNS) + "\r\n"
PAGE_BYTES = 64 * 1024  # what one ranged GET reads for a page: ~400 lines, more than the largest page of 100


class ShardItems:
    """The lines of one shard of a day, gathered while the close reads its entries."""

    def __init__(self, rt: Runtime) -> None:
        self._point_value = current_program(rt).point_value
        partners = rt.cache.get("partners", rt.store.directory.list_partners)
        self._fees = {p.partner_id: p.fee_per_point for p in partners}
        self._lines: dict[str, list[LineItem]] = defaultdict(list)

    def add(self, entry: Entry) -> None:
        for line in lines_of(entry, self._point_value, self._fees):
            self._lines[line.party].append(line)

    def write(self, rt: Runtime, day: str, shard: int) -> None:
        """Each party's lines of the shard, in booking order, then the marker (last: it says all are there)."""
        for party, lines in sorted(self._lines.items()):
            ordered = sorted(lines, key=lambda line: (line.booked_at, line.entry_id, line.role, line.issuer))
            rt.store.statements.put_object(shard_items_key(party, day, shard), to_csv(ordered, header=False))
        rt.store.statements.put_object(_marker(day, shard), "")


def write_missing_shards(rt: Runtime, day: str) -> None:
    """Publication's first step: the shards of `day` whose close could not write their lines (S3 failed)."""
    from .settlement import party_ids

    written = set(rt.store.statements.list_keys(f"items/_written/{day}/"))
    missing = [shard for shard in layout.settlement_shards() if _marker(day, shard) not in written]
    parties = party_ids(rt) if missing else []
    for shard in missing:
        items = ShardItems(rt)
        for party in parties:
            for entry in rt.store.settlements.day_entries(party, day, shard):
                items.add(entry)
        items.write(rt, day, shard)


def join_day(rt: Runtime, day: str, parties: list[str]) -> None:
    """Each party's day file: its shard files' rows in booking order (a row starts with its booking time and entry
    id: text order is booking order), under one header (a party with no line gets the header alone)."""
    for party in parties:
        rows = [
            row + "\r\n"
            for key in rt.store.statements.list_keys(f"items/{party}/{day}/")
            for row in (rt.store.statements.read_object(key) or b"").decode().split("\r\n")
            if row
        ]
        rt.store.statements.put_object(items_key(party, day), HEADER + "".join(sorted(rows)))


def join_month(rt: Runtime, month: str, parties: list[str]) -> None:
    """Each party's month file: its day files joined (their headers dropped), written once, by publication."""
    for party in parties:
        body = "".join(
            (rt.store.statements.read_object(key) or b"").decode().removeprefix(HEADER)
            for key in rt.store.statements.list_keys(f"items/{party}/{month}-")
        )
        rt.store.statements.put_object(items_key(party, month), HEADER + body)


@dataclass(frozen=True)
class ItemsPage:
    period: str
    currency: str
    items: list[LineItem]
    next_cursor: str | None
    csv: str  # the same page as CSV rows under the header


def items_page(rt: Runtime, party: str, period_text: str, limit: int, cursor: str | None) -> ItemsPage:
    """A page of the party's line items of a closed period, in booking order; a range walks its days' files."""
    closed = closed_period(rt, period_text, with_days=False)  # 404 while not closed; a range reads its days
    period = closed.period
    files = [period.text] if period.kind is not PeriodKind.RANGE else [day.period for day in closed.days]
    index, offset = _position(rt, cursor, party, period.text, files)
    items: list[LineItem] = []
    while index < len(files) and len(items) < limit:
        chunk = rt.store.statements.read_object(items_key(party, files[index]), offset, PAGE_BYTES)
        if chunk is None:
            raise RetryLater(f"the line items of {files[index]} are being published; retry shortly")
        last_chunk = len(chunk) < PAGE_BYTES  # the file ends within it
        if offset == 0:
            chunk, offset = chunk.removeprefix(HEADER.encode()), len(HEADER)
        rows, used = _complete_rows(chunk, limit - len(items))
        if not rows and not last_chunk:  # no whole row in a full chunk: not a file this service wrote
            raise RuntimeError(f"a line of {files[index]} is longer than {PAGE_BYTES} bytes")
        items += [from_csv_row(party, row) for row in rows]
        offset += used
        if last_chunk and used == len(chunk):
            index, offset = index + 1, 0  # this file is read to its end: the next day's
    next_cursor = None if index >= len(files) else _cursor(rt, party, period.text, index, offset)
    return ItemsPage(period.text, closed.settlement.currency, items, next_cursor, to_csv(items, header=True))


def _position(rt: Runtime, cursor: str | None, party: str, period: str, files: list[str]) -> tuple[int, int]:
    """Which file and byte a cursor of this party's pages of this period points at. Cursors are signed: a byte
    offset changed by hand would start a page inside a row."""
    if cursor is None:
        return 0, 0
    fields = decode_cursor(cursor)
    signature = fields.pop("h", None)
    if not isinstance(signature, str) or not hmac.compare_digest(signature, _signed(rt, party, fields)):
        raise refused()
    index, offset = fields.get("f"), fields.get("o")
    if fields.get("p") != period or not (isinstance(index, int) and isinstance(offset, int)):
        raise refused()
    if not (0 <= index < len(files) and offset >= 0):
        raise refused()
    return index, offset


def _cursor(rt: Runtime, party: str, period: str, index: int, offset: int) -> str:
    fields: dict[str, object] = {"p": period, "f": index, "o": offset}
    return encode_cursor({**fields, "h": _signed(rt, party, fields)})


def _signed(rt: Runtime, party: str, fields: dict[str, object]) -> str:
    """An HMAC of the party and the cursor's fields, under a key derived from the stage's secret."""
    secret = rt.settings.pii_hmac_key.get_secret_value().encode()
    key = hmac.new(secret, b"line-items-cursor", hashlib.sha256).digest()
    message = json.dumps([party, fields], sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def _complete_rows(chunk: bytes, wanted: int) -> tuple[list[list[str]], int]:
    """Up to `wanted` whole rows from the chunk's start (a row cut by the chunk's end waits for the next page), and
    the bytes they take. No field holds a line break (ids, codes, numbers): a row is a line."""
    rows: list[list[str]] = []
    used = 0
    for line in chunk.split(b"\r\n")[:-1]:
        if len(rows) == wanted:
            break
        rows.append(next(csv.reader([line.decode()])))
        used += len(line) + 2
    return rows, used


def _marker(day: str, shard: int) -> str:
    return f"items/_written/{day}/{shard:03d}"
