"""How estimates are shown in reports: rounded half up to their step, as text; intervals as {value, low, high}."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..domain.effect import Z95, Difference, Estimate

CENTS = Decimal("0.01")
RATIO = Decimal("0.0001")
COUNT = Decimal("0.001")


def rounded(value: Decimal, step: Decimal) -> str:
    return format(value.quantize(step, rounding=ROUND_HALF_UP), "f")


def money(value: Decimal) -> str:
    return rounded(value, CENTS)


def interval(estimate: Estimate, step: Decimal) -> dict[str, Any] | None:
    """The estimate and its 95 % interval (null bounds: too few to say); None without an estimate."""
    if estimate.value is None:
        return None
    if estimate.error is None:
        return {"value": rounded(estimate.value, step), "low": None, "high": None}
    return {
        "value": rounded(estimate.value, step),
        "low": rounded(estimate.value - Z95 * estimate.error, step),
        "high": rounded(estimate.value + Z95 * estimate.error, step),
    }


def difference_view(found: Difference | None, step: Decimal) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "difference": rounded(found.difference, step),
        "low": rounded(found.low, step),
        "high": rounded(found.high, step),
        "uplift": None if found.uplift is None else rounded(found.uplift, RATIO),
        "uplift_low": None if found.uplift_low is None else rounded(found.uplift_low, RATIO),
        "uplift_high": None if found.uplift_high is None else rounded(found.uplift_high, RATIO),
    }
