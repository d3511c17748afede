"""The summary CSV of a statement: one table a spreadsheet opens as it is, one row per figure, every row the same
columns. `points` and `amount` are numbers (a minus sign where the partner gives), never formatted text; the
`counterparty` names the other party of a line (an issuer, a redeemer, the operator) or is empty."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from ..domain.settlement import OPERATOR, cents
from ..domain.statement_report import PaymentInstruction

HEADER = ["section", "line", "counterparty", "points", "amount", "currency", "note"]


def statement_csv(statement: dict[str, Any], payment: PaymentInstruction) -> str:
    """`statement`: the figures the JSON statement holds; `payment`: its instruction (who pays whom, by when)."""
    currency, point_value = statement["currency"], Decimal(statement["point_value"])
    rows: list[list[Any]] = []

    def line(
        section: str, name: str, counterparty: str = "", points: int | str = "", amount: str = "", note: str = ""
    ) -> None:
        rows.append([section, name, counterparty, points, amount, currency if amount != "" else "", note])

    def worth(points: int) -> str:
        return str(cents(Decimal(points) * point_value))

    line("summary", "receivable", amount=statement["receivable"], note="every line paid to you")
    line("summary", "payable", amount=statement["payable"], note="every line you pay")
    line("summary", "net", amount=statement["net"], note="receivable - payable")
    line(
        "payment",
        payment.direction.value,
        OPERATOR,
        amount=str(payment.amount),
        note=f"due {payment.due_on.isoformat()}, reference {payment.reference}",
    )
    for name in ("issued_points", "returned_points", "expired_points", "reinstated_points"):
        points = statement[name]
        line("points", name.removesuffix("_points"), points=points, amount=worth(points))
    for name, who in (
        ("redeemed_here", "issuer"),
        ("redeemed_elsewhere", "redeemer"),
        ("reversed_here", "issuer"),
        ("reversed_elsewhere", "redeemer"),
    ):
        for counterparty, points in statement[name].items():
            line("points", name, counterparty, points, worth(points), note=f"by {who}")
    line("fees", "fees", OPERATOR, amount=statement["fees"], note="paid to the operator per point issued")
    line("fees", "fee_refunds", OPERATOR, amount=statement["fee_refunds"], note="refunded on returns")
    sold = statement["memberships_sold"]
    note = f"{sold} paid memberships sold or renewed, fees collected for the operator"
    line("memberships", "membership_fees", OPERATOR, amount=statement["membership_fees"], note=note)
    if "membership_fees_received" in statement:  # the operator's own statement
        received = statement["membership_fees_received"]
        line("memberships", "membership_fees_received", amount=received, note="paid by the selling partners")
    outstanding = statement["outstanding_points"]
    line("liability", "outstanding", points=outstanding, amount=worth(outstanding), note="at the period's end")
    line("liability", "in_vouchers", points=statement["outstanding_voucher_points"], note="of which in open vouchers")
    vouchers = statement["vouchers"]
    line("vouchers", "converted", points=vouchers["converted_points"], amount=worth(vouchers["converted_points"]))
    for name in ("spent_here", "voided_here"):
        figures = vouchers[name]
        line("vouchers", name, points=figures["points"], amount=figures["value"], note=f"{figures['count']} vouchers")
        for issuer, points in figures["by_issuer"].items():
            line("vouchers", f"{name}_by_issuer", issuer, points)
    for name in ("spent_elsewhere", "voided_elsewhere"):
        for spender, figures in vouchers[name].items():
            line("vouchers", name, spender, figures["points"], figures["value"])
    line("vouchers", "bonus_paid", amount=vouchers["bonus_paid"])
    line("vouchers", "bonus_received", amount=vouchers["bonus_received"])
    line("vouchers", "expired", points=vouchers["expired_points"], amount=worth(vouchers["expired_points"]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, as spreadsheets write it
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()
