"""The statement page: one self-contained HTML document (inline CSS, charts as inline SVG drawn by pygal, no external
resource: it opens from a link, a file or an e-mail attachment, and prints to PDF from the browser).

Jinja2 renders it with autoescaping (partner names are the operator's text); pygal draws the charts, configured to
load no script from its CDN (`js=[]`). Both are imported on first use: no other route pays for them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..domain.statement_report import StatementReport

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def render_statement(report: StatementReport) -> str:
    return (
        _environment()
        .get_template("statement.html")
        .render(
            report=report,
            name=lambda party: report.names.get(party, party),
            money=lambda amount: _money(amount, report.currency),
            flows_chart=_flows_chart(report),
            daily_chart=_daily_chart(report),
        )
    )


@cache
def _environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a misspelt figure fails the render (and its test), never prints blank
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _money(amount: Decimal, currency: str) -> str:
    """1234567.5 -> "1,234,567.50 EUR": grouped for reading; the figure itself is exact to the cent."""
    return f"{amount:,.2f} {currency}"


def _chart_style() -> Any:
    from pygal.style import Style

    return Style(
        background="white",
        plot_background="white",
        foreground="#333",
        foreground_strong="#111",
        foreground_subtle="#777",
        colors=("#2e7d32", "#c62828", "#1565c0"),
        font_family="system-ui, sans-serif",
    )


def _config(**options: object) -> dict[str, object]:
    # js=[]: pygal's default loads its tooltip script from a CDN; the page must need nothing from the network.
    return {
        "js": [],
        "disable_xml_declaration": True,
        "style": _chart_style(),
        "width": 760,
        "height": 320,
        "legend_at_bottom": True,
        "print_values": False,
        **options,
    }


def _flows_chart(report: StatementReport) -> str:
    """Money received from and paid to each other brand (a brand pair moves money both ways in a period)."""
    if not report.flows:
        return ""
    import pygal

    chart = pygal.HorizontalBar(**_config(title=f"Money with each brand ({report.currency})"))
    chart.uuid = "brand-flows"  # pygal draws a random id: a fixed one makes the page the same bytes each time
    chart.x_labels = [report.names.get(f.counterparty, f.counterparty) for f in report.flows]
    # Bar lengths only: the figures a person reads are the table's, exact to the cent.
    chart.add("received", [float(f.received) for f in report.flows])
    chart.add("paid", [float(f.paid) for f in report.flows])
    return _svg(chart)


def _daily_chart(report: StatementReport) -> str:
    """The net of each day of the period (positive: the brand received)."""
    if len(report.daily_nets) < 2:
        return ""
    import pygal

    chart = pygal.Bar(**_config(title=f"Net per day ({report.currency})", show_legend=False, x_label_rotation=45))
    chart.uuid = "daily-nets"
    chart.x_labels = [day.day[5:] for day in report.daily_nets]
    chart.add(
        "net",
        [{"value": float(day.net), "color": "#2e7d32" if day.net >= 0 else "#c62828"} for day in report.daily_nets],
    )
    return _svg(chart)


def _svg(chart: Any) -> str:
    """The chart's inline SVG, without pygal's comments (one carries the day it was drawn)."""
    return COMMENT.sub("", str(chart.render(is_unicode=True)))
