"""Publishing a closed settlement period to S3: its own idempotent step, never the tail of the close.

A close stores the period first; publishing then puts the operator's document and each party's statement
(JSON and CSV) in the statements bucket and marks the stored period `published_at`. Publishing a published
period does nothing, and a put repeated after a failure writes the same bytes, so any caller may retry.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from ..domain.settlement import Settlement
from ..observability import logger
from ..store import statements
from .runtime import Runtime, iso


def publish_period(rt: Runtime, period: str) -> bool:
    """Put one closed period's objects in S3 and mark it published. False when there is nothing to do (not
    stored, or published already); PublicationFailed when S3 fails (the period stays unpublished)."""
    stored = rt.store.settlements.get_stored(period)
    if stored is None or stored.published_at is not None:
        return False
    rt.store.statements.put_period(period, stored.document, party_statements(stored.settlement))
    rt.store.settlements.mark_published(period, iso(rt.now()))
    logger.info("settlement period published", extra={"period": period})
    return True


def party_statements(settlement: Settlement) -> list[statements.PartyStatement]:
    """Each party's own statement (the operator's too), as the API serves it."""
    result = []
    for party in settlement.parties:
        statement = settlement.statement(party)
        result.append(
            statements.PartyStatement(party, json.dumps(statement, separators=(",", ":")), statement_csv(statement))
        )
    return result


def statement_csv(statement: dict[str, Any]) -> str:
    """One `field,value` row per figure; maps flattened as field.key (at any depth: the voucher lines nest, e.g.
    vouchers.spent_here.by_issuer.alpha), an empty map as one empty row — the same figures as the JSON."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["field", "value"])
    writer.writerows(_rows("", statement))
    return out.getvalue()


def _rows(prefix: str, figures: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for key, value in figures.items():
        if isinstance(value, dict) and value:
            rows += _rows(f"{prefix}{key}.", value)
        elif isinstance(value, dict):  # nothing moved: the row is there, empty, so every statement has it
            rows.append([f"{prefix}{key}", ""])
        else:
            rows.append([f"{prefix}{key}", value])
    return rows
