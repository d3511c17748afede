"""A big partner's month: the statement page's size and render time, the month's line items file, and what a page
of line items costs, for a partner with 100,000 entries in the month.

    python -m bench.statement_month [entries]      (default: 100000)

The month is built in memory through the same code the close runs (PointFlows.add of every entry, settle_day per
day, combine for the month, lines_of for the line items): 30 days, a big partner ("big") with `entries` entries of
its own (purchases, and redemptions of the other 9 brands' points), and 9 brands whose members spend big's points
too. The page is rendered from the settled figures (it never reads an entry); the month's line items file is
written to S3 (moto, in-process) as publication writes it; then GET /v1/settlements/2026-11/items is paged through
its service, counting the DynamoDB and S3 calls of each page.

Measured on this 2-core machine (while CI ran beside it, at nice 19):

    entries at big  line items  page bytes  render (best of 5; first)  month items file  a page of 100 items
             2,000       2,068      63,017       31 ms; 207 ms               200,772 B   1 GetItem + 1 S3 GetObject
           100,000     102,948      61,034       31 ms; 157 ms            10,131,699 B   1 GetItem + 1 S3 GetObject

The page does not grow with the entries (it shows settled figures: 10 brands, 30 days); the first render includes
importing Jinja2 and pygal and compiling the template. Every page of items costs the same (60 pages read at 100,000:
48 ms a page on moto), whatever the month's size.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)

import botocore.client  # noqa: E402
import moto  # noqa: E402

from chalicelib.domain.ledger import Entry  # noqa: E402
from chalicelib.domain.line_items import lines_of, to_csv  # noqa: E402
from chalicelib.domain.movements import EntryType  # noqa: E402
from chalicelib.domain.periods import parse_statement_period  # noqa: E402
from chalicelib.domain.settlement import PointFlows, combine, settle_day  # noqa: E402
from chalicelib.domain.statement_report import build_report  # noqa: E402
from chalicelib.domain.wallet import Portion  # noqa: E402
from chalicelib.services.statement_page import render_statement  # noqa: E402

BRANDS = ["big", *[f"brand-{n}" for n in range(1, 10)]]
POINT_VALUE = Decimal("0.01")
FEES = {"big": Decimal("0.002")}
DAYS = [(date(2026, 11, 1) + timedelta(days=n)).isoformat() for n in range(30)]


def month_entries(total: int, rng: random.Random) -> dict[str, list[Entry]]:
    """Per day: big's own entries (70 % purchases, 30 % redemptions of any brand's points) and as many of the other
    brands' entries again (their purchases, and redemptions that spend big's points too)."""
    by_day: dict[str, list[Entry]] = {day: [] for day in DAYS}
    for n in range(total * 2):
        day = DAYS[n % len(DAYS)]
        place = "big" if n < total else rng.choice(BRANDS[1:])
        member = f"m{rng.randrange(20_000):05d}"
        booked_at = f"{day}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00.000Z"
        points = rng.randrange(10, 400)
        if rng.random() < 0.7:
            entry_type, issuer, signed = EntryType.EARN, place, points
        else:
            entry_type, issuer, signed = EntryType.REDEEM, rng.choice(BRANDS), -points
        by_day[day].append(
            Entry(
                seq=n,
                entry_id=f"{member}-{n:06d}",
                type=entry_type,
                partner_id=place,
                points=signed,
                attribution=[Portion("2028-11-30", issuer, points)],
                reference=f"op-{n}",
                booked_at=booked_at,
                member_id=member,
                point_value=POINT_VALUE if entry_type is EntryType.REDEEM else None,
                fees_per_point={issuer: FEES.get(issuer, Decimal(0))} if entry_type is EntryType.EARN else {},
            )
        )
    return by_day


def main(total: int) -> None:
    rng = random.Random(7)
    started = time.perf_counter()
    by_day = month_entries(total, rng)
    days, lines, outstanding = [], [], {}
    for day in DAYS:
        flows = PointFlows()
        for entry in by_day[day]:
            flows.add(entry)
            lines += [line for line in lines_of(entry, POINT_VALUE, FEES) if line.party == "big"]
        settled = settle_day(day, flows, outstanding, FEES, "EUR", POINT_VALUE, f"{day}T00:15:00.000Z")
        outstanding = settled.outstanding
        days.append(settled)
    month = combine("2026-11", days, days[-1].closed_at)
    built = time.perf_counter() - started
    big_entries = sum(1 for day in DAYS for e in by_day[day] if e.partner_id == "big")

    names = {brand: brand.title() for brand in BRANDS}
    period = parse_statement_period("2026-11")
    renders = []
    for _ in range(5):
        t0 = time.perf_counter()
        page = render_statement(build_report(period, "big", month, days, names, 5))
        renders.append(time.perf_counter() - t0)
    lines.sort(key=lambda line: (line.booked_at, line.entry_id))
    items_file = to_csv(lines, header=True)

    print(f"month built in memory: {big_entries:,} entries at big, {len(lines):,} line items ({built:.1f} s)")
    print(
        f"statement page: {len(page.encode()):,} bytes, render {min(renders) * 1000:.0f} ms (best of 5, first "
        f"{renders[0] * 1000:.0f} ms), net {month.statement('big')['net']} EUR"
    )
    print(f"month line items file: {len(items_file.encode()):,} bytes, {len(lines):,} rows")
    page_costs(items_file, month, days)


def page_costs(items_file: str, month, days) -> None:  # type: ignore[no-untyped-def]
    """GET /v1/settlements/2026-11/items through its service, against moto: calls per page."""
    from chalicelib.bootstrap import Container
    from chalicelib.services import line_items
    from chalicelib.settings import Settings
    from chalicelib.store.statements import items_key
    from localdev.infra import create_all

    with moto.mock_aws():
        settings = Settings(stage="local", admin_key="bench", pii_hmac_key="bench-key")
        create_all(settings)
        rt = Container(settings).runtime
        for day in days:
            rt.store.settlements.save_closed(day, "{}")
        rt.store.settlements.save_closed(month, "{}")
        rt.store.settlements.set_cursor("EPOCH", DAYS[0])
        rt.store.statements.put_object(items_key("big", "2026-11"), items_file)

        calls: Counter[str] = Counter()
        original = botocore.client.BaseClient._make_api_call

        def counted(client, operation, params):  # type: ignore[no-untyped-def]
            calls[f"{client.meta.service_model.service_name}:{operation}"] += 1
            return original(client, operation, params)

        botocore.client.BaseClient._make_api_call = counted  # type: ignore[method-assign]
        try:
            cursor, pages, shown, profiles = None, 0, 0, Counter()
            t0 = time.perf_counter()
            while pages < 60:
                calls.clear()
                page = line_items.items_page(rt, "big", "2026-11", 100, cursor)
                pages, shown, cursor = pages + 1, shown + len(page.items), page.next_cursor
                profiles[tuple(sorted(calls.items()))] += 1
                if cursor is None:
                    break
            elapsed = time.perf_counter() - t0
        finally:
            botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]
        print(f"items pages of 100: {pages} read ({shown:,} items), {elapsed / pages * 1000:.0f} ms a page on moto")
        for profile, count in profiles.items():
            print(f"  {count} pages: " + ", ".join(f"{n} {name}" for name, n in profile))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
