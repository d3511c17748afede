"""What a redemption or a capture keeps on its operation record, so that its reversals undo exactly that."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import ReversalExceedsRedemption
from .wallet import Portion, reversal_portions


@dataclass
class SpendingFacts:
    """Whose points a spending took (in the order it took them), the point value it settled at, and how many
    of its points have been given back since. Its reversals give points back at that same point value: the
    redeemer repays what it was paid, whatever the programme's value has become."""

    points: int
    attribution: list[Portion]
    point_value: Decimal | None  # None: spent before spendings recorded it (its reversals settle at the close's)
    reversed: int = 0

    @classmethod
    def of(cls, spent: list[Portion], point_value: Decimal) -> SpendingFacts:
        return cls(sum(p.points for p in spent), list(spent), point_value)

    def reverse(self, points: int | None) -> list[Portion]:
        """Give back `points` more (None: all that is left), last taken first; never more than was spent."""
        wanted = self.points - self.reversed if points is None else points
        if wanted <= 0 or self.reversed + wanted > self.points:
            raise ReversalExceedsRedemption(
                f"{self.reversed} of the {self.points} points spent are already reversed; "
                f"{wanted} more would exceed them",
                field="points",
            )
        given = reversal_portions(self.attribution, self.reversed, wanted)
        self.reversed += wanted
        return given

    # ---- stored form (the spending's operation record) ------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        stored: dict[str, Any] = {
            "points": self.points,
            "attribution": [p.to_dict() for p in self.attribution],
            "reversed": self.reversed,
        }
        if self.point_value is not None:
            stored["point_value"] = format(self.point_value, "f")
        return stored

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SpendingFacts:
        """Also reads records stored before spendings kept their point value (no "point_value": None)."""
        point_value = raw.get("point_value")
        return cls(
            points=int(raw["points"]),
            attribution=[Portion.from_dict(p) for p in raw["attribution"]],
            point_value=None if point_value is None else Decimal(point_value),
            reversed=int(raw["reversed"]),
        )
