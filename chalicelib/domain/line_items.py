"""Line items: every entry of a day that moved a party's points or money, one line per party and issuer portion, so a
partner reconciles its statement with its own till or ERP.

An entry concerns the partner where it was booked and each issuer of its points (and the funder of a voucher
bonus, and the operator for fees). Each line says what the entry did to that party: its role, the points, and the
money it moves for that party at the rates the entry was booked with (+ received, − paid), exactly as the close
counts it (PointFlows.add): a redemption of another brand's points is + for the brand where it was spent and − for
the issuer; a brand's own points spent at itself move no money; fees are the operator's. The close rounds each
pair's day total to the cent; a line keeps its exact value, so a day's lines add up to its statement within a cent
per pair of brands (exactly, at a point value of whole cents and no fee).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from .ledger import Entry
from .movements import Liability, Settles, movement
from .settlement import OPERATOR, recorded_rate

ZERO = Decimal(0)
COLUMNS = (
    "booked_at",
    "entry_id",
    "type",
    "role",
    "reference",
    "member_id",
    "at_partner",
    "issuer",
    "counterparty",
    "points",
    "amount",
    "store_id",
    "channel",
)


@dataclass(frozen=True)
class LineItem:
    party: str  # whose statement the line belongs to
    booked_at: str
    entry_id: str
    type: str
    role: str  # issuer | redeemer | funder | seller | operator: what the party was in this movement
    reference: str  # the operation id, for the party that posted it (another partner's id is not shown)
    member_id: str  # the member's pseudonymous id (no personal data)
    at_partner: str  # where the entry was booked
    issuer: str
    counterparty: str  # who the money moves with ("" when none moves)
    points: int  # as they change the party's liability (issuer) or were taken at its till (redeemer)
    amount: Decimal  # money for the party: + received, − paid (exact; the statement rounds per pair and day)
    store_id: str
    channel: str

    def row(self) -> list[str]:
        return [
            self.booked_at,
            self.entry_id,
            self.type,
            self.role,
            self.reference,
            self.member_id,
            self.at_partner,
            self.issuer,
            self.counterparty,
            str(self.points),
            format(self.amount.normalize() if self.amount else ZERO, "f"),
            self.store_id,
            self.channel,
        ]


def lines_of(entry: Entry, close_point_value: Decimal, close_fees: dict[str, Decimal]) -> list[LineItem]:
    """Every party's lines of one entry. `close_point_value` and `close_fees` value entries booked before entries
    recorded their own rates, as the close values them."""
    declared = movement(entry.type)
    lines: list[LineItem] = []
    place = entry.partner_id
    for portion in entry.attribution:
        issuer, points = portion.issuer, portion.points
        rate = recorded_rate(declared.rate, entry, issuer)
        money = entry.values.get(issuer)
        if declared.liability is not Liability.NONE:
            lines.append(_line(entry, issuer, "issuer", issuer, declared.liability.sign * points, ZERO, ""))
        match declared.settles:
            case Settles.FEE_ON_ISSUE | Settles.FEE_REFUND if issuer != OPERATOR:
                fee = points * (rate if rate is not None else close_fees.get(issuer, ZERO))
                sign = 1 if declared.settles is Settles.FEE_ON_ISSUE else -1
                if fee:
                    lines.append(_line(entry, issuer, "issuer", issuer, 0, -sign * fee, OPERATOR))
                    lines.append(_line(entry, OPERATOR, "operator", issuer, 0, sign * fee, issuer))
            case Settles.REDEMPTION_PAIR | Settles.REVERSAL_PAIR if issuer != place:
                value = money if money is not None else points * (rate if rate is not None else close_point_value)
                sign = 1 if declared.settles is Settles.REDEMPTION_PAIR else -1
                lines.append(_line(entry, place, "redeemer", issuer, points, sign * value, issuer))
                lines.append(_line(entry, issuer, "issuer", issuer, 0, -sign * value, place))
            case _:
                pass  # a brand's own points at its own till, breakage, nothing: the issuer line says it all
    for funder, bonus in entry.bonuses.items() if declared.bonus_sign else ():
        if funder != place and bonus:
            amount = declared.bonus_sign * bonus
            lines.append(_line(entry, place, "redeemer", funder, 0, amount, funder))
            lines.append(_line(entry, funder, "funder", funder, 0, -amount, place))
    if declared.settles is Settles.MEMBERSHIP_FEE and entry.fee_collected and place != OPERATOR:
        # A paid membership's fee: the partner that sold it pays the operator what it collected (no points).
        lines.append(_line(entry, place, "seller", place, 0, -entry.fee_collected, OPERATOR))
        lines.append(_line(entry, OPERATOR, "operator", place, 0, entry.fee_collected, place))
    return _merged(lines)


def _line(
    entry: Entry,
    party: str,
    role: str,
    issuer: str,
    points: int,
    amount: Decimal,
    counterparty: str,
) -> LineItem:
    sale = entry.sale
    return LineItem(
        party=party,
        booked_at=entry.booked_at,
        entry_id=entry.entry_id,
        type=entry.type.value,
        role=role,
        reference=(entry.reference or "") if party == entry.partner_id else "",
        member_id=entry.member_id,
        at_partner=entry.partner_id,
        issuer=issuer,
        counterparty=counterparty,
        points=points,
        amount=amount,
        store_id=(sale.store_id or "") if sale else "",
        channel=(sale.channel or "") if sale else "",
    )


def _merged(lines: list[LineItem]) -> list[LineItem]:
    """One line per (party, role, issuer): an issuer's liability line and its money line become one."""
    merged: dict[tuple[str, str, str], LineItem] = {}
    for line in lines:
        key = (line.party, line.role, line.issuer)
        if key in merged:
            kept = merged[key]
            merged[key] = LineItem(
                **{
                    **kept.__dict__,
                    "points": kept.points + line.points,
                    "amount": kept.amount + line.amount,
                    "counterparty": kept.counterparty or line.counterparty,
                }
            )
        else:
            merged[key] = line
    return list(merged.values())


def to_csv(lines: list[LineItem], *, header: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(COLUMNS)
    writer.writerows(line.row() for line in lines)
    return out.getvalue()


def from_csv_row(party: str, row: list[str]) -> LineItem:
    values = dict(zip(COLUMNS, row, strict=True))
    return LineItem(
        party=party,
        booked_at=values["booked_at"],
        entry_id=values["entry_id"],
        type=values["type"],
        role=values["role"],
        reference=values["reference"],
        member_id=values["member_id"],
        at_partner=values["at_partner"],
        issuer=values["issuer"],
        counterparty=values["counterparty"],
        points=int(values["points"]),
        amount=Decimal(values["amount"]),
        store_id=values["store_id"],
        channel=values["channel"],
    )
