"""Publishing a closed settlement period to S3: its own idempotent step, never the tail of the close.

A close stores the period first; publishing then puts the operator's document and each party's statement
(JSON, the summary CSV and the HTML page) in the statements bucket and marks the stored period `published_at`.
Publishing a published period does nothing, and a put repeated after a failure writes the same bytes, so any caller
may retry.
"""

from __future__ import annotations

import json

from ..observability import logger
from ..store import statements
from . import line_items
from .runtime import Runtime, iso
from .statement_csv import statement_csv
from .statements import closed_period, report_of


def publish_period(rt: Runtime, period: str) -> bool:
    """Put one closed period's objects in S3 and mark it published. False when there is nothing to do (not
    stored, or published already); PublicationFailed when S3 fails (the period stays unpublished)."""
    stored = rt.store.settlements.get_stored(period)
    if stored is None or stored.published_at is not None:
        return False
    parties = stored.settlement.parties
    if len(period) == 10:
        line_items.write_missing_shards(rt, period)
        line_items.join_day(rt, period, parties)
    else:
        line_items.join_month(rt, period, parties)
    rt.store.statements.put_period(period, stored.document, party_statements(rt, period))
    rt.store.settlements.mark_published(period, iso(rt.now()))
    logger.info("settlement period published", extra={"period": period})
    return True


def party_statements(rt: Runtime, period: str) -> list[statements.PartyStatement]:
    """Each party's own statement (the operator's too), as the API serves it: JSON, the summary CSV, the page."""
    from .statement_page import render_statement

    closed = closed_period(rt, period)
    result = []
    for party in closed.settlement.parties:
        report = report_of(rt, closed, party)
        statement = closed.settlement.statement(party)
        result.append(
            statements.PartyStatement(
                party,
                json.dumps(statement, separators=(",", ":")),
                statement_csv(statement, report.payment),
                render_statement(report),
            )
        )
    return result
