"""What every use case needs besides its arguments: settings, the clock, and a short-lived config cache."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

from ..domain.timefmt import iso
from ..settings import Settings
from ..store.repositories import Store, dynamodb_store

__all__ = ["Runtime", "TtlCache", "iso", "utc_now"]

T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class TtlCache:
    """Per-container cache for rarely changing, often read items (API keys, partners, the programme).

    Reading them on every request would put every request of a busy partner on one partition key;
    the price is that a change (a revoked key, a new rate) takes up to `seconds` to reach warm containers.
    """

    def __init__(self, seconds: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._monotonic = monotonic
        self._values: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[], T], max_seconds: float | None = None) -> T:
        """The cached value, or `load()`'s; `max_seconds` keeps an item for less than the cache's own time."""
        seconds = self._seconds if max_seconds is None else min(self._seconds, max_seconds)
        if seconds <= 0:
            return load()
        now = self._monotonic()
        with self._lock:
            hit = self._values.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]  # type: ignore[no-any-return]
        value = load()
        with self._lock:
            self._values[key] = (now + seconds, value)
        return value

    def forget(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)


@dataclass
class Runtime:
    """What every use case runs with: settings, the clock, the store's repositories and the configuration cache."""

    settings: Settings
    clock: Callable[[], datetime] = utc_now
    given_store: InitVar[Store | None] = None  # the Container's; None: the DynamoDB tables of `settings`
    cache: TtlCache = field(init=False)
    store: Store = field(init=False)

    def __post_init__(self, given_store: Store | None) -> None:
        self.cache = TtlCache(self.settings.config_cache_seconds)
        self.store = given_store or dynamodb_store(self.settings)

    def now(self) -> datetime:
        return self.clock().astimezone(timezone.utc)
