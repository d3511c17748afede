"""A statement link: the page a finance person opens in a browser, with no key and no header.

The page is put in the statements bucket (where the close publishes it too) and the link is a presigned S3 URL of
that one object, valid for a few days: S3 checks the signature and the expiry, our API is not on the way, and the
link grants nothing else (not another period, not another partner's page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ..domain.periods import PeriodKind
from ..store.statements import items_key, party_key, range_key
from .runtime import Runtime, iso
from .statement_page import render_statement
from .statements import closed_period, report_of


@dataclass(frozen=True)
class StatementLink:
    url: str
    expires_at: str
    period: str
    items_url: str | None  # the period's line items as one CSV file (days and months, once published)


def create_link(rt: Runtime, partner_id: str, period_text: str, valid_hours: int | None) -> StatementLink:
    """404 while the period is not closed (nothing is put then)."""
    closed = closed_period(rt, period_text)
    period = closed.period
    key = (
        range_key(partner_id, period.first.isoformat(), period.last.isoformat())
        if period.kind is PeriodKind.RANGE
        else party_key(period.text, partner_id, "html")
    )
    # A published page stays as the close published it; a range's page, or one not published yet, is put now.
    if period.kind is PeriodKind.RANGE or rt.store.statements.read_object(key, 0, 1) is None:
        rt.store.statements.put_page(key, render_statement(report_of(rt, closed, partner_id)))
    hours = valid_hours or rt.settings.statement_link_hours
    url = rt.store.statements.presigned_url(key, hours * 3600)
    items = None if period.kind is PeriodKind.RANGE else items_key(partner_id, period.text)
    items_url = None
    if items is not None and rt.store.statements.read_object(items, 0, 1) is not None:
        items_url = rt.store.statements.presigned_url(items, hours * 3600)
    return StatementLink(url, iso(rt.now() + timedelta(hours=hours)), period.text, items_url)
