"""Reading a partner's statement: a closed day or month as stored, or a range of closed days combined on request;
as JSON figures, as the summary CSV, or as the page a finance person reads (services/statement_page.py).

A statement reads settled figures only: one GetItem for a day; a month or a range also reads its days (one
BatchGetItem) for the daily nets. Never a ledger entry, so its cost does not grow with the partner's volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain.errors import NotFound
from ..domain.periods import Period, PeriodKind, parse_statement_period
from ..domain.settlement import OPERATOR, Settlement, combine
from ..domain.statement_report import StatementReport, build_report
from .runtime import Runtime

EPOCH = "EPOCH"  # the settlement service's cursor: the first day there is anything to settle


@dataclass(frozen=True)
class ClosedPeriod:
    period: Period
    settlement: Settlement  # the whole period's figures
    days: list[Settlement]  # the closed days it is made of, in order


def closed_period(rt: Runtime, text: str, *, with_days: bool = True) -> ClosedPeriod:
    """The period's settled figures; 404 while any of its days (from the coalition's first one) is not closed.
    `with_days=False`: a month without its days (one GetItem; `days` is empty) when only its total is needed."""
    period = parse_statement_period(text)
    if period.kind is PeriodKind.DAY:
        day = rt.store.settlements.get_closed(period.text)
        if day is None:
            raise NotFound(f"{period.text} is not closed")
        return ClosedPeriod(period, day, [day])
    stored = rt.store.settlements.get_closed(period.text) if period.kind is PeriodKind.MONTH else None
    if period.kind is PeriodKind.MONTH and stored is None:
        raise NotFound(f"{period.text} is not closed")
    if stored is not None and not with_days:
        return ClosedPeriod(period, stored, [])
    epoch = rt.store.settlements.cursor(EPOCH)
    wanted = [day for day in period.days() if epoch is not None and day >= epoch]
    found = rt.store.settlements.get_closed_days(wanted) if wanted else {}
    missing = [day for day in wanted if day not in found]
    if not wanted or missing:
        raise NotFound(f"{missing[0] if missing else period.text} is not closed")
    days = [found[day] for day in wanted]
    settlement = stored or combine(period.text, days, days[-1].closed_at)
    return ClosedPeriod(period, settlement, days)


def partner_statement(rt: Runtime, partner_id: str, text: str) -> dict[str, Any]:
    return closed_period(rt, text).settlement.statement(partner_id)


def statement_report(rt: Runtime, partner_id: str, text: str) -> StatementReport:
    return report_of(rt, closed_period(rt, text), partner_id)


def report_of(rt: Runtime, closed: ClosedPeriod, partner_id: str) -> StatementReport:
    partners = rt.cache.get("partners", rt.store.directory.list_partners)
    names = {OPERATOR: "the coalition operator", **{p.partner_id: p.name for p in partners}}
    return build_report(
        closed.period, partner_id, closed.settlement, closed.days, names, rt.settings.payment_terms_days
    )


def statement_page(rt: Runtime, partner_id: str, text: str) -> str:
    from .statement_page import render_statement

    return render_statement(statement_report(rt, partner_id, text))
