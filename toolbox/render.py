"""What the operator reads: the API's JSON as rich tables (the figures as the API wrote them, never recomputed)."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def settlement_tables(document: dict[str, Any]) -> list[Table]:
    """A closed period: each party's statement, the net positions and the payments through the operator."""
    period, currency = document["period"], document["currency"]
    parties = Table(title=f"Settlement {period} ({currency}, point value {document['point_value']})")
    for column in ("party", "issued", "returned", "redeemed here", "redeemed elsewhere", "expired", "outstanding"):
        parties.add_column(column, justify="left" if column == "party" else "right")
    for column in ("fees", "receivable", "payable", "net"):
        parties.add_column(column, justify="right")
    statements = {**document["partners"], "operator": document["operator"]}
    for party, s in sorted(statements.items()):
        parties.add_row(
            party,
            str(s["issued_points"]),
            str(s["returned_points"]),
            str(sum(s["redeemed_here"].values())),
            str(sum(s["redeemed_elsewhere"].values())),
            str(s["expired_points"]),
            str(s["outstanding_points"]),
            s["fees"],
            s["receivable"],
            s["payable"],
            s["net"],
        )
    nets = Table(title=f"Net positions (they sum to {document['net_total']})")
    nets.add_column("party")
    nets.add_column("net", justify="right")
    for party, amount in sorted(document["net_positions"].items()):
        nets.add_row(party, amount)
    payments = Table(title="Payments (through the operator)")
    for column in ("from", "to"):
        payments.add_column(column)
    payments.add_column("amount", justify="right")
    for payment in document["payments"]:
        payments.add_row(payment["from"], payment["to"], payment["amount"])
    return [parties, nets, payments]


def reconciliation_table(pages: list[dict[str, Any]]) -> Table:
    """Each invariant per page of members checked (one page unless the API paged it)."""
    table = Table(title="Reconciliation: the ledger invariants, checked live")
    for column in ("check", "ok", "figures"):
        table.add_column(column)
    for page in pages:
        members = page["invariant_1"]
        table.add_row(
            "1 entries = wallet, per member",
            _ok(members["ok"]),
            f"{members['members_checked']} members, {len(members['mismatches'])} mismatches",
        )
        liability = page["invariant_2"]
        issuers = ", ".join(sorted(liability["by_issuer"])) or "none"
        table.add_row("2 liability per issuer", _ok(liability["ok"]), f"issuers: {issuers}")
        table.add_row("2 open vouchers per issuer", _ok(liability["vouchers"]["ok"]), "")
        netting = page["invariant_3"]
        bad = [day for day, total in netting["net_totals"].items() if total != "0.00"]
        table.add_row(
            "3 closed days net to 0.00",
            _ok(netting["ok"]),
            f"{len(netting['net_totals'])} days" + (f"; not zero: {', '.join(bad)}" if bad else ""),
        )
    return table


def key_table(issued: dict[str, Any]) -> Table:
    table = Table(title="API key (shown this once: store it now)")
    table.add_column("field")
    table.add_column("value")
    for name, value in issued.items():
        table.add_row(name, str(value))
    return table


def partners_table(partners: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    columns = sorted({name for p in partners for name in p if not isinstance(p[name], (dict, list))} - {"partner_id"})
    table.add_column("partner_id")
    for column in columns:
        table.add_column(column)
    for partner in partners:
        table.add_row(partner["partner_id"], *(str(partner.get(c, "")) for c in columns))
    return table


def _ok(ok: bool) -> str:
    return "[green]ok[/green]" if ok else "[bold red]NOT OK[/bold red]"
