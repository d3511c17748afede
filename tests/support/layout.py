"""Fewer settlement shards for tests that close many days: the layout is a constant of the store, laid out afresh
with each test's empty tables, so a test may choose a smaller one (and must put it back)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from chalicelib.store import layout


@contextmanager
def settlement_shards(count: int) -> Iterator[None]:
    saved = layout.SETTLEMENT_SHARDS
    layout.SETTLEMENT_SHARDS = count
    try:
        yield
    finally:
        layout.SETTLEMENT_SHARDS = saved
