"""GET /v1/admin/reconciliation: the ledger invariants, checked live on a bounded slice of members.

Cost stays bounded: each call reads one page (`limit` members) of one parallel-Scan segment of the members
table and each of those members' entries; an operator (or a job) walks the segments and pages to cover
everyone. Invariant 2 is checked for the members read (their entries' attribution against their lots,
debts and holds) and, when one call covers every member, for the whole coalition against the last closed
day's outstanding liability plus the flows of the days not yet closed. Within invariant 2, the open voucher points
by issuer are checked the same two ways (`vouchers`): the totals alone would not see points moved between a
wallet's lots and its vouchers. Invariant 3 re-adds the net positions of the last closed days.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ..domain.errors import InvalidRequest
from ..domain.reconciliation import (
    check_member,
    liability_from_entries,
    liability_from_wallets,
    vouchers_from_entries,
    vouchers_from_wallets,
)
from . import settlement
from .runtime import Runtime


def reconcile(
    rt: Runtime, segment: int, segments: int, limit: int, cursor: str | None, days: int = 7
) -> dict[str, Any]:
    if not (1 <= segments <= 1000 and 0 <= segment < segments):
        raise InvalidRequest("segment must be in 0..segments-1, segments in 1..1000", field="segment")
    start_key = None if cursor is None else _decode(cursor, segment, segments)
    wallets, last_key = rt.store.wallets.scan(segment, segments, limit, start_key)
    entries_by_member = {w.member_id: rt.store.ledger.all_entries(w.member_id) for w in wallets}
    every_entry = [e for entries in entries_by_member.values() for e in entries]

    checks = [check_member(w, entries_by_member[w.member_id]) for w in wallets]
    from_entries = liability_from_entries(every_entry)
    from_wallets = liability_from_wallets(wallets)
    issuers = sorted(set(from_entries) | set(from_wallets))
    vouchers = _compared(vouchers_from_entries(every_entry), vouchers_from_wallets(wallets), "from_entries")
    complete = segments == 1 and cursor is None and last_key is None
    report: dict[str, Any] = {
        "scope": {"segment": segment, "segments": segments, "members": len(wallets), "complete": complete},
        "invariant_1": {
            "ok": all(c.ok for c in checks),
            "members_checked": len(checks),
            "mismatches": [vars(c) for c in checks if not c.ok][:20],
        },
        "invariant_2": {
            "ok": all(from_entries[i] == from_wallets[i] for i in issuers) and vouchers["ok"],
            "by_issuer": {i: {"from_entries": from_entries[i], "from_wallets": from_wallets[i]} for i in issuers},
            "vouchers": vouchers,  # the open voucher points within it: the total misses lots moved into vouchers
        },
        "invariant_3": _closed_days_net_to_zero(rt, days),
        "next_cursor": _encode(last_key, segment, segments) if last_key else None,
    }
    if complete:
        report["invariant_2"]["coalition"] = _coalition_liability(rt, from_wallets, vouchers_from_wallets(wallets))
        report["invariant_2"]["ok"] = report["invariant_2"]["ok"] and report["invariant_2"]["coalition"]["ok"]
    report["ok"] = all(report[k]["ok"] for k in ("invariant_1", "invariant_2", "invariant_3"))
    return report


def _closed_days_net_to_zero(rt: Runtime, days: int) -> dict[str, Any]:
    last = rt.store.settlements.cursor(settlement.LAST_CLOSED)
    totals = {}
    if last:
        day = date.fromisoformat(last)
        for _ in range(days):
            document = rt.store.settlements.get_document(day.isoformat())
            if document is None:
                break
            nets = json.loads(document)["net_positions"].values()
            totals[day.isoformat()] = str(sum((Decimal(v) for v in nets), Decimal("0.00")))
            day -= timedelta(days=1)
    return {"ok": all(total == "0.00" for total in totals.values()), "net_totals": totals}


def _coalition_liability(rt: Runtime, from_wallets: Counter[str], vouchers_in_wallets: Counter[str]) -> dict[str, Any]:
    """Last closed day's outstanding + the flows booked since (open days read through the day index); the same
    for the open voucher points within it."""
    last = rt.store.settlements.cursor(settlement.LAST_CLOSED)
    epoch = rt.store.settlements.cursor(settlement.EPOCH)
    outstanding: Counter[str] = Counter()
    open_vouchers: Counter[str] = Counter()
    if last:
        closed = rt.store.settlements.get_closed(last)
        outstanding.update(closed.outstanding if closed else {})
        open_vouchers.update(closed.outstanding_vouchers if closed else {})
    if epoch is None:
        return {"ok": not +from_wallets and not +vouchers_in_wallets, "by_issuer": {}}
    day = date.fromisoformat(last) + timedelta(days=1) if last else date.fromisoformat(epoch)
    while day <= rt.now().date():
        flows = settlement.aggregate_day(rt, day.isoformat())
        for issuer in flows.parties():
            outstanding[issuer] += flows.liability_change(issuer)
        for issuer in flows.vouchers.issuers():
            open_vouchers[issuer] += flows.vouchers.open_change(issuer)
        day += timedelta(days=1)
    issuers = sorted(set(outstanding) | set(from_wallets))
    vouchers = _compared(open_vouchers, vouchers_in_wallets, "settled_plus_open_days", "wallets")
    return {
        "ok": all(outstanding[i] == from_wallets[i] for i in issuers) and vouchers["ok"],
        "by_issuer": {i: {"settled_plus_open_days": outstanding[i], "wallets": from_wallets[i]} for i in issuers},
        "vouchers": vouchers,
    }


def _compared(
    expected: Counter[str], found: Counter[str], name: str, found_name: str = "from_wallets"
) -> dict[str, Any]:
    """Two counts of open voucher points by issuer, side by side (issuers at zero on both sides left out)."""
    issuers = sorted(i for i in set(expected) | set(found) if expected[i] or found[i])
    return {
        "ok": all(expected[i] == found[i] for i in issuers),
        "by_issuer": {i: {name: expected[i], found_name: found[i]} for i in issuers},
    }


# A cursor says where one segment's scan stopped: "<segment>.<segments>.<member id>", base64url. Only the
# member id goes into DynamoDB's ExclusiveStartKey, rebuilt here, so a cursor we did not issue cannot reach it;
# DynamoDB refuses a start key from another segment, so the cursor is bound to its segment.
CURSOR = re.compile(r"([0-9]{1,4})\.([0-9]{1,4})\.(m_[0-9a-f]{20})")


def _encode(last_key: dict[str, Any], segment: int, segments: int) -> str:
    text = f"{segment}.{segments}.{last_key['member_id']['S']}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str, segment: int, segments: int) -> dict[str, Any]:
    refused = InvalidRequest("cursor is not one this API returned for this segment", field="cursor")
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise refused from None
    parts = CURSOR.fullmatch(text)
    if parts is None or (int(parts[1]), int(parts[2])) != (segment, segments):
        raise refused
    return {"member_id": {"S": parts[3]}}
