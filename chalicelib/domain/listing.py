"""Paging a partner's records spread over shards: the window a list reads, where each shard stands, and the merge.

Records sit on N shards by key (store/layout.py), each shard ordered by `list_at` (booking time, then the partner's
own id: unique and totally ordered). A page asks each unfinished shard for up to `limit` positions after where it
stands, newest first, and keeps the `limit` newest of them all: whatever the spread, nothing is skipped (every shard
offers at least as many as the page can take) and nothing repeats (each shard resumes after its last position shown).

The cursor is the state of every shard plus what the list was asked (kind, days, store), encoded opaquely and
signed (HMAC): it is the client's to send back, so a cursor changed in any way is a 400 (`cursor`), and every field
is checked besides (another list's, a window over 92 days, positions outside the window, shards out of range).
Positions are only ever looked up under the caller's own partition keys: even a forged cursor could move within the
caller's own records at most.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from .cursors import decode_cursor, encode_cursor, refused
from .errors import InvalidRequest

MAX_DAYS = 92  # a window is at most this many days, both ends included


@dataclass(frozen=True)
class Window:
    """Booking days (UTC), both included."""

    first_day: date
    last_day: date

    @classmethod
    def of(cls, first: date | None, last: date | None, today: date) -> Window:
        """The days asked; a missing end defaults to today, a missing start to the MAX_DAYS ending at `last`."""
        last = last or today
        first = first or last - timedelta(days=MAX_DAYS - 1)
        if last < first:
            raise InvalidRequest("to must be on or after from", field="to")
        if (last - first).days >= MAX_DAYS:
            raise InvalidRequest(f"from and to span at most {MAX_DAYS} days", field="to")
        return cls(first, last)

    @property
    def low(self) -> str:
        """The smallest `list_at` of the first day ('2026-11-23' sorts before '2026-11-23T…')."""
        return self.first_day.isoformat()

    @property
    def high(self) -> str:
        """Above every `list_at` of the last day ('~' sorts after 'T')."""
        return self.last_day.isoformat() + "~"

    def holds(self, position: str) -> bool:
        return self.low <= position <= self.high


@dataclass(frozen=True)
class ListQuery:
    """What a list page is asked, once validated: the kind of record, the window, an optional store."""

    kind: str
    window: Window
    store_id: str | None = None


@dataclass(frozen=True)
class ShardRead:
    """What one shard offered: up to `limit` positions after where it stood, newest first; `more`: it has others."""

    shard: int
    positions: list[str]
    more: bool


@dataclass
class ShardStates:
    """Where each shard stands: `after` its last position shown, or `done`; a shard in neither starts at the top."""

    after: dict[int, str] = field(default_factory=dict)
    done: set[int] = field(default_factory=set)

    def pending(self, shards: range) -> list[int]:
        return [shard for shard in shards if shard not in self.done]

    def finished(self, shards: range) -> bool:
        return not self.pending(shards)


def merge(reads: list[ShardRead], states: ShardStates, limit: int) -> tuple[list[tuple[int, str]], ShardStates]:
    """The page: the `limit` newest positions offered (shard, position), and where every shard stands after it."""
    offered = sorted(
        ((position, read.shard) for read in reads for position in read.positions), reverse=True
    )  # positions are unique across shards: each is its record's own id
    shown = offered[:limit]
    taken = {(shard, position) for position, shard in shown}
    after, done = dict(states.after), set(states.done)
    for read in reads:
        consumed = [position for position in read.positions if (read.shard, position) in taken]
        if consumed:
            after[read.shard] = consumed[-1]  # the oldest shown of this shard: it resumes below it
        if len(consumed) == len(read.positions) and not read.more:
            done.add(read.shard)
            after.pop(read.shard, None)
    return [(shard, position) for position, shard in shown], ShardStates(after, done)


def encode_states(query: ListQuery, states: ShardStates, key: bytes) -> str:
    """`key` signs the cursor: a cursor changed in any way is refused, not just one that makes no sense."""
    fields: dict[str, Any] = {
        "k": query.kind,
        "f": query.window.first_day.isoformat(),
        "t": query.window.last_day.isoformat(),
        "s": query.store_id,
        "a": {str(shard): position for shard, position in sorted(states.after.items())},
        "d": sorted(states.done),
    }
    return encode_cursor({**fields, "h": _signature(fields, key)})


def decode_states(cursor: str, kind: str, shards: range, key: bytes) -> tuple[Window, str | None, ShardStates]:
    """The window, store and shard states a cursor of `kind` carries; anything else is refused."""
    fields = decode_cursor(cursor)
    signature = fields.pop("h", None)
    if not isinstance(signature, str) or not hmac.compare_digest(signature, _signature(fields, key)):
        raise refused()
    if fields.get("k") != kind or set(fields) != {"k", "f", "t", "s", "a", "d"}:
        raise refused()
    try:
        window = Window(date.fromisoformat(fields["f"]), date.fromisoformat(fields["t"]))
    except (TypeError, ValueError):
        raise refused() from None
    if window.last_day < window.first_day or (window.last_day - window.first_day).days >= MAX_DAYS:
        raise refused()
    store_id, after, done = fields["s"], fields["a"], fields["d"]
    if not (store_id is None or (isinstance(store_id, str) and 0 < len(store_id) <= 64)):
        raise refused()
    if not isinstance(after, dict) or not isinstance(done, list):
        raise refused()
    states = ShardStates()
    for name, position in after.items():
        if not (name.isascii() and name.isdigit() and int(name) in shards):
            raise refused()
        if not (isinstance(position, str) and len(position) <= 400 and window.holds(position)):
            raise refused()
        states.after[int(name)] = position
    for shard in done:
        if type(shard) is not int or shard not in shards or shard in states.after or shard in states.done:
            raise refused()
        states.done.add(shard)
    if states.finished(shards):  # a finished list has no cursor: this one was not written by us
        raise refused()
    return window, store_id, states


def _signature(fields: dict[str, Any], key: bytes) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()[:32]
