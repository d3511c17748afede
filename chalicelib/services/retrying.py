"""Operator writes (a partner, its keys, the programme) that lose a conditional write to a concurrent one.

Such a write is a read-modify-write over the version it read: the store raises ConcurrencyConflict when
another writer got there first. Each attempt reads again and re-applies the change, so nothing the other
writer did is lost; throttling and timeouts are retried the same way. When the item stays busy, the operator
gets 503 retry_later and can repeat the same request.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from ..domain.errors import ConcurrencyConflict, RetryLater, TransientFailure
from ..observability import logger
from .runtime import Runtime

T = TypeVar("T")


def until_written(rt: Runtime, attempt: Callable[[], T], what: str) -> T:
    """`attempt()` must read what it changes afresh each time it is called."""
    transient_left = rt.settings.write_attempts
    for number in range(rt.settings.conflict_attempts):
        try:
            return attempt()
        except ConcurrencyConflict:
            _pause(number, cap=0.05)
        except TransientFailure as failure:
            transient_left -= 1
            logger.warning("transient DynamoDB failure", extra={"write": what, "error": str(failure)})
            if transient_left <= 0:
                break
            _pause(number, cap=0.4)
    logger.warning("operator write kept losing", extra={"write": what})
    raise RetryLater(f"{what} is being changed by another request; retry")


def _pause(attempt: int, cap: float) -> None:
    # Full jitter: concurrent writers that collided should not collide again in step.
    time.sleep(random.uniform(0, min(cap, 0.005 * 2**attempt)))
