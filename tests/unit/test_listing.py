"""Merging shards into pages (domain/listing.py): every record once, newest first, whatever the spread; cursors
that are not ours are refused."""

from __future__ import annotations

import random
from datetime import date

import pytest

from chalicelib.domain.cursors import decode_cursor, encode_cursor
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.listing import ListQuery, ShardRead, ShardStates, Window, decode_states, encode_states, merge

KEY = b"k" * 32
SHARDS = range(4)
WINDOW = Window(date(2026, 11, 1), date(2026, 11, 30))


def read(shelves: dict[int, list[str]], shard: int, after: str | None, limit: int) -> ShardRead:
    """What a shard's Query answers: its positions below `after`, newest first, `limit` + 1 asked."""
    below = [p for p in sorted(shelves[shard], reverse=True) if after is None or p < after]
    return ShardRead(shard, below[:limit], len(below) > limit)


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 100])
@pytest.mark.parametrize("seed", range(5))
def test_pages_cover_every_position_once_newest_first(limit, seed):
    rng = random.Random(seed)
    positions = [f"2026-11-{rng.randint(1, 30):02d}T{n:05d}#id{n}" for n in range(rng.randint(0, 40))]
    shelves: dict[int, list[str]] = {shard: [] for shard in SHARDS}
    for position in positions:
        shelves[rng.choice([0, 0, 1, 3])].append(position)  # unevenly: shard 2 stays empty
    query, states, seen = ListQuery("purchase", WINDOW), ShardStates(), []
    while True:
        reads = [read(shelves, shard, states.after.get(shard), limit) for shard in states.pending(SHARDS)]
        shown, states = merge(reads, states, limit)
        assert len(shown) <= limit
        seen += [position for _, position in shown]
        if states.finished(SHARDS):
            break
        # The state survives its cursor's round trip.
        _, _, states = decode_states(encode_states(query, states, KEY), "purchase", SHARDS, KEY)
    assert seen == sorted(positions, reverse=True)


def test_a_cursor_carries_its_window_and_store_and_refuses_any_change():
    query = ListQuery("purchase", WINDOW, "s1")
    states = ShardStates({1: "2026-11-05T10:00:00.000Z#t9"}, {0, 2})
    cursor = encode_states(query, states, KEY)

    assert decode_states(cursor, "purchase", SHARDS, KEY) == (WINDOW, "s1", states)
    with pytest.raises(InvalidRequest):
        decode_states(cursor, "hold", SHARDS, KEY)  # another list's
    with pytest.raises(InvalidRequest):
        decode_states(cursor, "purchase", SHARDS, b"another key")
    fields = decode_cursor(cursor)
    for change in ({"s": "s2"}, {"t": "2026-11-29"}, {"a": {"1": "2026-11-04T10:00:00.000Z#t1"}}, {"d": [0]}):
        with pytest.raises(InvalidRequest):
            decode_states(encode_cursor({**fields, **change}), "purchase", SHARDS, KEY)


@pytest.mark.parametrize(
    "states",
    [
        ShardStates({7: "2026-11-05T10:00:00.000Z#t"}),  # no such shard
        ShardStates({1: "2026-12-05T10:00:00.000Z#t"}),  # outside the window
        ShardStates({}, set(SHARDS)),  # finished: a finished list has no cursor
    ],
)
def test_a_signed_cursor_that_makes_no_sense_is_refused_too(states):
    with pytest.raises(InvalidRequest):
        decode_states(encode_states(ListQuery("purchase", WINDOW), states, KEY), "purchase", SHARDS, KEY)


def test_windows_are_at_most_92_days_and_default_to_the_92_days_to_today():
    today = date(2026, 11, 30)
    assert Window.of(None, None, today) == Window(date(2026, 8, 31), today)
    assert Window.of(date(2026, 11, 1), None, today) == Window(date(2026, 11, 1), today)
    for first, last in ((date(2026, 11, 2), date(2026, 11, 1)), (date(2026, 8, 30), today)):
        with pytest.raises(InvalidRequest) as refused:
            Window.of(first, last, today)
        assert refused.value.field == "to"
