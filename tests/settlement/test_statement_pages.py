"""Statements people read: the page (its figures are the JSON statement's), ranges of closed days, statement links,
and the negative outstanding explained.

Three days, point value 0.01, every partner at 1 point per EUR:
- 2026-11-23: Ana buys 300.00 at the market (300 market points); she spends 100 at the cinema: market pays the
  cinema 1.00.
- 2026-11-24: Ben buys 200.00 at the cinema (200 cinema points); he spends 150 at the market: cinema pays 1.50.
- 2026-11-25: Ana spends her last 200 market points at the cinema (market pays 2.00), then returns her whole
  purchase at the market: the 300 points cannot be taken back, she owes the market 300 points.
Market's nets: -1.00, +1.50, -2.00 = -1.50 over the three days; its outstanding ends at -300 (members owe it). The
days after close empty, to the month's end.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import boto3
import pytest

from tests.support.api import Coalition
from tests.support.aws import bucket_keys, s3_refusing
from tests.support.clock import Clock

DAYS = ("2026-11-23", "2026-11-24", "2026-11-25")


def at(day: str, hour: int) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


@pytest.fixture
def three_days(coalition: Coalition, clock: Clock) -> dict[str, str]:
    clock.now = at(DAYS[0], 8)
    keys = {p: coalition.partner(p) for p in ("market", "cinema")}
    ana, ben = coalition.member(keys["market"]), coalition.member(keys["cinema"])
    bought = coalition.purchase(
        keys["market"], ana, "300.00", transaction_id="ana-1", occurred_at="2026-11-23T08:00:00Z"
    )
    assert bought.json["points"] == 300  # no first-purchase bonus in this programme
    assert coalition.redeem(keys["cinema"], ana, 100).status == 201
    clock.now = at(DAYS[1], 9)
    assert coalition.purchase(keys["cinema"], ben, "200.00", occurred_at="2026-11-24T09:00:00Z").status == 201
    assert coalition.redeem(keys["market"], ben, 150).status == 201
    clock.now = at(DAYS[2], 10)
    assert coalition.redeem(keys["cinema"], ana, 200).status == 201
    returned = coalition.api.post(
        "/v1/transactions/ana-1/returns", {"return_id": "ret-1", "amount": "300.00"}, token=keys["market"]
    )
    assert returned.status == 201
    for n in range(23, 31):  # to the month's last day: the month closes with it
        day = f"2026-11-{n}"
        clock.now = at(day, 1) + timedelta(days=1)  # the day is over, its grace too
        assert coalition.api.post(f"/v1/admin/settlements/{day}/close", token=coalition.admin).status == 201
    return {**keys, "market_finance": coalition.key("market", "finance")}


class Figures(HTMLParser):
    """The page's figures (data-figure / data-value), its day rows, and every URL it would load."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.days: dict[str, str] = {}
        self.counterparties: list[str] = []
        self.loads: list[str] = []
        self._day: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "data-figure" in values and "data-value" in values:
            self.figures[values["data-figure"] or ""] = values["data-value"] or ""
        if "data-day" in values:
            self._day = values["data-day"]
        elif self._day and "data-value" in values:
            self.days[self._day] = values["data-value"] or ""
            self._day = None
        if "data-counterparty" in values:
            self.counterparties.append(values["data-counterparty"] or "")
        for name in ("src", "href", "xlink:href"):
            if values.get(name):
                self.loads.append(values[name] or "")
        if tag == "link" or (tag == "script" and "src" in values):
            self.loads.append(f"<{tag}>")


def read_page(html: str) -> Figures:
    parser = Figures()
    parser.feed(html)
    return parser


def test_the_page_shows_the_json_statements_figures_and_loads_nothing(coalition, three_days):
    key = three_days["market_finance"]
    as_json = coalition.api.get("/v1/settlements/2026-11", token=key).json
    page = coalition.api.get("/v1/settlements/2026-11?format=html", token=key)

    assert page.status == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    html = page.body.decode()
    figures = read_page(html)
    assert figures.figures["net"] == as_json["net"] == "-1.50"
    assert (figures.figures["receivable"], figures.figures["payable"]) == (as_json["receivable"], as_json["payable"])
    assert figures.figures["outstanding_points"] == str(as_json["outstanding_points"]) == "-300"
    assert figures.figures["outstanding_value"] == "-3.00"
    assert figures.figures["issued_points"] == str(as_json["issued_points"]) == "300"
    assert figures.figures["returned_points"] == "300"
    assert figures.figures["redeemed_elsewhere_points"] == "300" and figures.figures["redeemed_here_points"] == "150"
    quiet = {f"2026-11-{n}": "0.00" for n in range(26, 31)}
    assert figures.days == {"2026-11-23": "-1.00", "2026-11-24": "1.50", "2026-11-25": "-2.00", **quiet}
    assert figures.counterparties == ["cinema"]
    assert re.search(
        r"Market pays 1\.50 EUR to the coalition operator by 2026-12-05, reference COAL-MARKET-2026-11", html
    )
    assert "members owe you 300 points" in html
    assert html.count("<svg") == 2  # the brand flows and the daily nets, inline
    assert figures.loads == []  # no stylesheet, script, image or font from anywhere: it opens offline


def test_a_range_of_closed_days_adds_up_its_days(coalition, three_days):
    key = three_days["market_finance"]
    first_two = coalition.api.get("/v1/settlements/2026-11-23..2026-11-24", token=key).json
    one = coalition.api.get("/v1/settlements/2026-11-23", token=key).json
    two = coalition.api.get("/v1/settlements/2026-11-24", token=key).json

    assert first_two["period"] == "2026-11-23..2026-11-24"
    assert first_two["net"] == "0.50" == str(Decimal(one["net"]) + Decimal(two["net"]))
    assert first_two["redeemed_elsewhere"] == {"cinema": 100} and first_two["redeemed_here"] == {"cinema": 150}
    assert first_two["outstanding_points"] == two["outstanding_points"]
    page = read_page(coalition.api.get("/v1/settlements/2026-11-23..2026-11-24?format=html", token=key).body.decode())
    assert page.figures["net"] == "0.50" and page.days == {"2026-11-23": "-1.00", "2026-11-24": "1.50"}


@pytest.mark.parametrize(
    ("period", "status", "field"),
    [
        ("2026-11-25..2026-11-23", 400, "period"),  # ends before it starts
        ("2026-01-01..2026-06-30", 400, "period"),  # more than 92 days
        ("2026-11-23..", 400, "period"),
        ("2026-11-23..2026-12-01", 404, None),  # 1 December is not closed
        ("2026-12", 404, None),
        ("2026-11-2x", 400, "period"),
    ],
)
def test_a_period_is_a_day_a_month_or_a_closed_range_of_at_most_92_days(coalition, three_days, period, status, field):
    reply = coalition.api.get(f"/v1/settlements/{period}", token=three_days["market_finance"])

    assert reply.status == status
    assert reply.json["error"].get("field") == field


def test_a_statement_link_is_a_presigned_url_of_the_page_in_the_bucket(coalition, three_days, settings):
    key = three_days["market_finance"]
    link = coalition.api.post("/v1/settlements/2026-11-23..2026-11-25/links", {"valid_hours": 24}, token=key)
    month = coalition.api.post("/v1/settlements/2026-11/links", token=key)

    assert link.status == 201 and month.status == 201
    assert link.json["period"] == "2026-11-23..2026-11-25" and link.json["expires_at"] == "2026-12-02T01:00:00.000Z"
    assert "X-Amz-Expires=86400" in link.json["url"] and "X-Amz-Signature=" in link.json["url"]
    assert "X-Amz-Expires=259200" in month.json["url"]  # 72 hours by default
    assert "ranges/market/2026-11-23..2026-11-25.html" in bucket_keys(settings, "ranges/")
    s3 = boto3.client("s3", region_name=settings.region)
    stored = s3.get_object(Bucket=settings.statements_bucket, Key="ranges/market/2026-11-23..2026-11-25.html")
    assert stored["ContentType"] == "text/html; charset=utf-8"
    assert read_page(stored["Body"].read().decode()).figures["net"] == "-1.50"


def test_links_need_a_closed_period_and_a_finance_key(coalition, three_days, settings):
    not_closed = coalition.api.post("/v1/settlements/2026-12-01/links", token=three_days["market_finance"])
    anonymous = coalition.api.post("/v1/settlements/2026-11/links")
    till_key = coalition.key("market", "till")
    by_till = coalition.api.post("/v1/settlements/2026-11/links", token=till_key)
    too_long = coalition.api.post(
        "/v1/settlements/2026-11/links", {"valid_hours": 169}, token=three_days["market_finance"]
    )

    assert not_closed.status == 404 and bucket_keys(settings, "ranges/") == set()
    assert anonymous.status == 401
    assert (by_till.status, by_till.error_code) == (403, "forbidden")
    assert (too_long.status, too_long.json["error"]["field"]) == (400, "valid_hours")


def test_a_partner_reads_its_own_statement_only(coalition, three_days):
    cinema = coalition.api.get("/v1/settlements/2026-11?format=html", token=three_days["cinema"]).body.decode()
    market = read_page(
        coalition.api.get("/v1/settlements/2026-11?format=html", token=three_days["market"]).body.decode()
    )

    assert read_page(cinema).figures["net"] == "1.50" and market.figures["net"] == "-1.50"
    assert "COAL-CINEMA-2026-11" in cinema and "COAL-MARKET" not in cinema


def all_items(coalition, key: str, period: str, limit: int) -> list[dict]:
    items, cursor, pages = [], None, 0
    while True:
        query = f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = coalition.api.get(f"/v1/settlements/{period}/items?{query}", token=key)
        assert page.status == 200, page.json
        items += page.json["items"]
        pages += 1
        cursor = page.json["next_cursor"]
        if cursor is None:
            return items
        assert pages < 50


@pytest.mark.parametrize("limit", [1, 2, 100])
def test_the_line_items_add_up_to_the_statement_and_page_without_gaps(coalition, three_days, limit):
    key = three_days["market_finance"]
    items = all_items(coalition, key, "2026-11", limit)

    assert [(i["type"], i["role"], i["issuer"], i["points"], i["amount"], i["counterparty"]) for i in items] == [
        ("earn", "issuer", "market", 300, "0", None),
        ("redeem", "issuer", "market", -100, "-1", "cinema"),
        ("redeem", "redeemer", "cinema", 150, "1.5", "cinema"),
        ("redeem", "issuer", "market", -200, "-2", "cinema"),
        ("return", "issuer", "market", -300, "0", None),
    ]
    assert sum(Decimal(i["amount"]) for i in items) == Decimal("-1.50")  # the statement's net
    assert [i["reference"] for i in items] == ["ana-1", None, items[2]["reference"], None, "ret-1"]
    assert items[2]["reference"] is not None  # market's own redemption id; the cinema's are not shown to it
    assert len({i["entry_id"] for i in items}) == 5 and all(i["member_id"] for i in items)


def test_line_items_as_csv_pages_and_a_range_walks_its_days(coalition, three_days):
    key = three_days["market_finance"]
    first = coalition.api.get("/v1/settlements/2026-11-23..2026-11-25/items?format=csv&limit=2", token=key)
    rows = list(csv.reader(io.StringIO(first.body.decode())))
    cursor = first.headers["X-Next-Cursor"]
    rest = all_items(coalition, key, "2026-11-23..2026-11-25", 100) if cursor else []

    assert first.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert rows[0][:4] == ["booked_at", "entry_id", "type", "role"] and len(rows) == 3
    assert [r[2] for r in rows[1:]] == ["earn", "redeem"]
    assert [i["type"] for i in rest] == ["earn", "redeem", "redeem", "redeem", "return"]
    second = coalition.api.get(f"/v1/settlements/2026-11-23..2026-11-25/items?limit=2&cursor={cursor}", token=key)
    assert [i["points"] for i in second.json["items"]] == [150, -200]


def test_line_items_cursors_are_this_lists_own(coalition, three_days):
    key = three_days["market_finance"]
    cursor = coalition.api.get("/v1/settlements/2026-11/items?limit=1", token=key).json["next_cursor"]
    cinema_finance = coalition.key("cinema", "finance")

    other_period = coalition.api.get(f"/v1/settlements/2026-11-23/items?cursor={cursor}", token=key)
    other_partner = coalition.api.get(f"/v1/settlements/2026-11/items?cursor={cursor}", token=cinema_finance)
    forged = coalition.api.get(f"/v1/settlements/2026-11/items?cursor={cursor[:-4]}AAAA", token=key)
    till = coalition.api.get("/v1/settlements/2026-11/items", token=three_days["market"])

    for refused in (other_period, other_partner, forged):
        assert (refused.status, refused.json["error"]["field"]) == (400, "cursor")
    assert till.status == 200  # the fixture's market key is an admin key
    assert coalition.api.get("/v1/settlements/2026-11/items", token=coalition.key("market", "till")).status == 403


def test_a_month_link_carries_its_line_items_file(coalition, three_days, settings):
    link = coalition.api.post("/v1/settlements/2026-11/links", token=three_days["market_finance"]).json
    s3 = boto3.client("s3", region_name=settings.region)
    body = s3.get_object(Bucket=settings.statements_bucket, Key="items/market/2026-11.csv")["Body"].read().decode()

    assert "items/market/2026-11.csv" in link["items_url"] and "X-Amz-Signature=" in link["items_url"]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["type"] for row in rows] == ["earn", "redeem", "redeem", "redeem", "return"]
    assert sum(Decimal(row["amount"]) for row in rows) == Decimal("-1.50")


def test_the_operators_page_names_no_payment_to_itself_and_a_published_page_is_not_rewritten(
    coalition, three_days, settings
):
    page = coalition.api.get("/v1/admin/settlements/2026-11/statements/operator?format=html", token=coalition.admin)
    key = "settlements/2026-11/parties/market.html"
    with s3_refusing("PutObject") as refused:  # a put would fail the link: none is tried for a published page
        link = coalition.api.post("/v1/settlements/2026-11/links", token=three_days["market_finance"])

    assert page.status == 200 and "The operator clears this period" in page.body.decode()
    assert link.status == 201 and key in link.json["url"] and refused == []
