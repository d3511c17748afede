"""The demo coalition of `make run`: four brands, the guide's three members and a crowd, about sixty days of history
with every settlement day closed up to yesterday, booked through the same use cases the API calls."""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from chalicelib.bootstrap import Container
from chalicelib.domain.periods import MAX_RANGE_DAYS
from chalicelib.observability import logger, metrics
from chalicelib.services import (
    burning,
    earning,
    identity,
    members,
    memberships,
    partners,
    programs,
    rewards,
    settlement,
    statement_links,
)
from chalicelib.services.auth import partner_profile
from chalicelib.services.requests import (
    EnrolRequest,
    PartnerCreate,
    PlanRequest,
    ProgramDocument,
    PurchaseRequest,
    RedemptionRequest,
    RewardClaimRequest,
    RewardCreate,
)
from chalicelib.services.runtime import Runtime
from chalicelib.settings import Settings
from localdev.emulator import direct_calls
from localdev.history import BRANDS, HISTORY_DAYS, Figures, History, MovingClock, Shopper
from localdev.members import DEMO_PASSWORD, LocalPool

CROWD = 24  # members besides the guide's three


def history_days() -> int:
    """DEMO_DAYS=N books a shorter (or longer) history; at least 2 (a closed day before yesterday's)."""
    return max(2, int(os.environ.get("DEMO_DAYS") or HISTORY_DAYS))


PROGRAM = {
    "currency": "EUR",
    "point_value": "0.01",
    "expiry_months": 24,
    "tier_metric": "qualifying_points",
    "tiers": [
        {"name": "member", "threshold": 0, "earn_multiplier": "1"},
        {"name": "silver", "threshold": 2000, "earn_multiplier": "1.25"},
        {"name": "gold", "threshold": 5000, "earn_multiplier": "1.5"},
    ],
    "bonuses": {"first_purchase": {"points": 200, "funder": "operator"}},
    "activities": {"review": {"points": 50, "max_per_day": 1}},
    "vouchers": {
        "denominations": [
            {"points": 200, "value": "2.00"},
            {"points": 1000, "value": "11.00", "bonus_funder": "operator"},
        ],
        "validity_months": 12,
    },
}

# The coalition's first (partial) month: a pilot whose points were valid one month (localdev/history.py).
PILOT_PROGRAM = {**PROGRAM, "expiry_months": 1}

PARTNERS = [
    {
        "partner_id": "freshmart",
        "name": "FreshMart Supermarkets",
        "currency": "EUR",
        "earn_rate": "1",
        "category_rates": {"alcohol": "0"},
        "fee_per_point": "0.002",
    },
    {
        "partner_id": "fuelco",
        "name": "FuelCo Stations",
        "currency": "EUR",
        "earn_rate": "2",
        "category_rates": {"fuel": "0.5"},
    },
    {"partner_id": "cinemax", "name": "Cinemax", "currency": "EUR", "earn_rate": "3"},
    {"partner_id": "pageturner", "name": "PageTurner Books", "currency": "EUR", "cashback_percent": "2"},
]

# A reward Cinemax honours (its till fulfils the claim's code); the window is set around the seeding day.
REWARD = {
    "reward_id": "popcorn-menu",
    "name": "Popcorn menu",
    "description": "A large popcorn and a drink at any Cinemax",
    "points": 150,
    "stock": 100,
    "per_member_limit": 2,
    "channels": ["store"],
}


# The paid membership partners' tills sell: its fee is the operator's, its members earn half as much again and get a
# voucher of 2.00 every month.
PLUS_PLAN = {
    "plan_id": "plus",
    "name": "Plus",
    "fee": "4.99",
    "period": "month",
    "earn_multiplier": "1.5",
    "monthly_voucher": 200,
}
STATEMENT_PARTNER = "freshmart"  # whose statement page the guide links to


@dataclass
class Demo:
    keys: dict[str, str] = field(default_factory=dict)
    members: list[dict[str, str]] = field(default_factory=list)
    member_token: str = ""  # Ana's id token (an hour: the pool's id token validity)
    claim_code: str = ""  # a claim of the demo reward, waiting for Cinemax to fulfil it
    first_day: str = ""  # the settlement epoch: the day the partners joined
    last_closed: str = ""  # the last settlement day closed (yesterday, once its grace has passed)
    statement_period: str = ""  # the period of the statement link printed (the demo's closed days)
    statement_link: str = ""  # FreshMart's statement page of that period: a presigned URL, no key needed
    statement_link_expires: str = ""
    figures: Figures = field(default_factory=Figures)
    crowd: int = 0
    seconds: float = 0.0


def seed_demo(
    settings: Settings, pool: LocalPool, *, days: int | None = None, crowd: int = CROWD, today: date | None = None
) -> Demo:
    """The demo members are users of the member pool too (password DEMO_PASSWORD), linked as a claim links them.

    The coalition starts `days` ago (partners, programme and members are created under a clock set then, so the
    settlement epoch is that day), lives each day (localdev/history.py), closes every day up to yesterday, and
    ends with today's few purchases of the guide's members at the real time (given `today`: that day at 09:00).
    Its AWS calls go to the embedded AWS in-process (emulator.direct_calls): over HTTP, two months take several
    minutes on a small machine."""
    started = time.perf_counter()
    level = logger.log_level
    logger.setLevel("WARNING")  # a line per closed day would bury the progress bar (the API logs in its own process)
    try:
        with direct_calls():
            demo = _book(settings, pool, history_days() if days is None else days, crowd, today)
    finally:
        logger.setLevel(level)
    demo.member_token = pool.sign_in(demo.members[0]["email"], DEMO_PASSWORD)
    if demo.last_closed:  # signed outside direct_calls: the link names the embedded AWS a browser reaches
        demo.statement_period = _statement_period(demo.first_day, demo.last_closed)
        link = statement_links.create_link(Container(settings).runtime, STATEMENT_PARTNER, demo.statement_period, None)
        demo.statement_link, demo.statement_link_expires = link.url, link.expires_at
    demo.seconds = time.perf_counter() - started
    return demo


def _book(settings: Settings, pool: LocalPool, days: int, crowd: int, given_today: date | None) -> Demo:
    today = given_today or datetime.now(timezone.utc).date()
    first = today - timedelta(days=days)
    clock = MovingClock(datetime.combine(first, dtime(7), tzinfo=timezone.utc))
    rt = Container(settings, clock).runtime
    demo = Demo(first_day=first.isoformat(), crowd=crowd)
    programs.set_program(rt, ProgramDocument.model_validate(PILOT_PROGRAM))
    for partner in PARTNERS:
        partners.create_partner(rt, PartnerCreate.model_validate(partner))
        demo.keys[partner["partner_id"]] = partners.issue_api_key(rt, partner["partner_id"])["api_key"]
    memberships.save_plan(rt, PlanRequest.model_validate(PLUS_PLAN), create=True)
    shoppers = _enrol_everyone(rt, clock, pool, demo, crowd)
    window = {
        "valid_from": (clock.now - timedelta(days=1)).isoformat(),
        "valid_until": f"{today + timedelta(90)}T00:00:00Z",
    }
    rewards.publish_reward(rt, "cinemax", RewardCreate.model_validate({**REWARD, **window}))
    history = History(
        rt,
        clock,
        shoppers,
        REWARD["reward_id"],
        first_day=first,
        full_programme_from=(first.replace(day=1) + timedelta(days=32)).replace(day=1),
        set_full_programme=lambda: programs.set_program(rt, ProgramDocument.model_validate(PROGRAM)),
    )
    with _progress() as progress:
        task = progress.add_task("demo history", total=days)
        for n in range(days):
            history.live_day(first + timedelta(days=n))
            metrics.clear_metrics()  # no Lambda flushes them here: dropped, not printed
            progress.advance(task)
    if given_today is None:
        clock.real = True  # today, as it happens
    else:
        clock.at(today, 9)
    if today == history.full_programme_from:
        history.set_full_programme()
    history.run_job("expiry", today)
    history.close_previous_if_due(today)
    history.run_job("tier-review", today)  # reviews fall 12 months after a tier was reached: none due yet
    _today(rt, demo)
    metrics.clear_metrics()
    demo.figures = history.figures
    demo.last_closed = rt.store.settlements.cursor(settlement.LAST_CLOSED) or ""
    return demo


def _statement_period(first: str, last: str) -> str:
    """Every closed day of the demo when they fit a statement range (92 days), else the last 92."""
    start = max(date.fromisoformat(first), date.fromisoformat(last) - timedelta(days=MAX_RANGE_DAYS - 1))
    return f"{start.isoformat()}..{last}"


def _enrol_everyone(rt: Runtime, clock: MovingClock, pool: LocalPool, demo: Demo, crowd: int) -> list[Shopper]:
    """The guide's three members (users of the member pool) and the crowd, enrolled on the first morning."""
    shoppers = []
    people = [("ana@example.com", "+33612345678"), ("ben@example.com", None), ("chloe@example.com", None)]
    for email, phone in people:
        clock.tick(2)
        enrolled = members.enrol_member(rt, "freshmart", EnrolRequest(email=email, phone=phone))
        demo.members.append({"email": email, **enrolled})
        identity.link_user(rt, enrolled["member_id"], pool.create_user(email, DEMO_PASSWORD, phone))
        shoppers.append(Shopper(enrolled["member_id"], enrolled["card_number"], "freshmart", 0.6, 0.06, crowd=False))
    rng = random.Random(7)
    brands = list(BRANDS)
    for n in range(crowd):
        clock.tick(2)
        brand = brands[n % len(brands)]
        enrolled = members.enrol_member(rt, brand, EnrolRequest(email=f"member{n + 1:02d}@example.com"))
        spend = 4.0 if n < 2 else 2.2 if n < 5 else 1.0  # two reach gold, three more silver
        shoppers.append(Shopper(enrolled["member_id"], enrolled["card_number"], brand, spend, rng.uniform(0.25, 0.55)))
    return shoppers


def _today(rt: Runtime, demo: Demo) -> None:
    """The guide's members shop this morning (what the printed curl lines start from)."""
    now = rt.now()
    for n, (partner_id, member, amount) in enumerate(
        [
            ("freshmart", 0, "84.20"),
            ("fuelco", 0, "60.00"),
            ("cinemax", 1, "24.00"),
            ("freshmart", 2, "12.35"),
            ("pageturner", 0, "150.00"),  # 2 % back: 300 points
        ]
    ):
        purchase = PurchaseRequest.model_validate(
            {
                "transaction_id": f"demo-{n + 1}",
                "member": {"member_id": demo.members[member]["member_id"]},
                "amount": amount,
                "currency": "EUR",
                "occurred_at": (now - timedelta(minutes=50 - 10 * n)).isoformat(),
                "channel": "store",
            }
        )
        earning.earn_points(rt, partner_profile(rt, partner_id), purchase)
    burning.redeem_points(
        rt,
        "cinemax",
        RedemptionRequest.model_validate(
            {"redemption_id": "demo-r1", "member": {"card_number": demo.members[0]["card_number"]}, "points": 50}
        ),
    )
    claimed = rewards.claim_reward(
        rt, demo.members[0]["member_id"], REWARD["reward_id"], RewardClaimRequest(claim_id="demo-c1")
    )
    demo.claim_code = json.loads(claimed.body)["code"]


@contextmanager
def _progress() -> Iterator[Progress]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=False) as progress:
        yield progress


def summary(demo: Demo) -> list[str]:
    f = demo.figures
    reached = Counter(change.split()[1] for change in f.tier_changes)  # "<card> <tier> on <day>"
    tiers = ", ".join(f"{count} to {tier}" for tier, count in sorted(reached.items())) or "none"
    return [
        f"Demo history: {demo.first_day} to today in {demo.seconds:.1f} s: {len(demo.members) + demo.crowd} members, "
        f"{f.purchases} purchases, {f.returns} returns, {f.redemptions} redemptions, {f.vouchers} vouchers "
        f"({f.voucher_spends} spent), {f.claims} reward claims, {f.memberships_sold} paid memberships sold, "
        f"{f.expired_points} points expired;",
        f"  {f.days_closed} settlement days closed ({demo.first_day} .. {demo.last_closed}); tier upgrades: {tiers}",
    ]


def print_guide(demo: Demo, settings: Settings, pool: LocalPool, base: str) -> None:
    """The keys, and curl lines that work as printed (paste the exports first)."""
    admin = settings.admin_key.get_secret_value() if settings.admin_key else "(none)"
    ana = demo.members[0]
    json_header = "-H 'Content-Type: application/json'"
    purchase = (
        f'{{"transaction_id":"try-1","member":{{"card_number":"{ana["card_number"]}"}},"amount":"35.00",'
        f'"currency":"EUR","occurred_at":"{_now_z()}","channel":"store",'
        f'"items":[{{"sku":"diesel","category":"fuel","amount":"30.00"}}]}}'
    )
    lines = [
        "",
        "Demo coalition ready.",
        *[f"  member {m['email']:<18} {m['member_id']}  card {m['card_number']}" for m in demo.members],
        f"  (each signs in to the member pool with the password {DEMO_PASSWORD})",
        "",
        "Paste these exports, then any curl below:",
        f"  export API={base}",
        f"  export ADMIN_KEY={admin}",
        *[f"  export {pid.upper()}_KEY={key}" for pid, key in demo.keys.items()],
        f"  export MEMBER_TOKEN={demo.member_token}",
        "  export COALITION_API_URL=$API",  # the operator's CLI reads these two
        "  export COALITION_OPERATOR_KEY=$ADMIN_KEY",
        "",
        '  curl -s "$API/v1/program"',
        '  curl -s -H "Authorization: Bearer $FUELCO_KEY" "$API/v1/members?email=ana@example.com"',
        f"""  curl -s -X POST "$API/v1/transactions" -H "Authorization: Bearer $FUELCO_KEY" {json_header} """
        f"""-d '{purchase}'""",
        # Spending names the member by card (or member id): an email recognises a member but cannot spend.
        f"""  curl -s -X POST "$API/v1/redemptions" -H "Authorization: Bearer $CINEMAX_KEY" {json_header} """
        f"""-d '{{"redemption_id":"try-r1","member":{{"card_number":"{ana["card_number"]}"}},"points":40}}'""",
        f"""  curl -s -X POST "$API/v1/redemptions/try-r1/reversals" -H "Authorization: Bearer $CINEMAX_KEY" """
        f"""{json_header} -d '{{"reversal_id":"try-v1","points":15}}'""",
        f"""  curl -s -X POST "$API/v1/activities" -H "Authorization: Bearer $FRESHMART_KEY" {json_header} """
        f"""-d '{{"activity_id":"try-a1","member":{{"email":"ben@example.com"}},"type":"review","""
        f""""occurred_at":"{_now_z()}"}}'""",
        '  curl -s -H "Authorization: Bearer $MEMBER_TOKEN" "$API/v1/me"',
        '  curl -s -H "Authorization: Bearer $MEMBER_TOKEN" "$API/v1/me/entries?limit=5"',
        '  curl -s -H "Authorization: Bearer $MEMBER_TOKEN" "$API/v1/rewards"',
        f"""  curl -s -X POST "$API/v1/me/rewards/popcorn-menu/claims" -H "Authorization: Bearer $MEMBER_TOKEN" """
        f"""{json_header} -d '{{"claim_id":"try-c1"}}'""",
        f'  curl -s -X POST "$API/v1/reward-claims/{demo.claim_code}/fulfil" -H "Authorization: Bearer $CINEMAX_KEY"',
        f"""  curl -s -X POST "$API/v1/me/vouchers" -H "Authorization: Bearer $MEMBER_TOKEN" {json_header} """
        f"""-d '{{"request_id":"try-v1","denomination":200}}'""",
        "",
        "A member's token is an id token of the member pool (an hour). Sign in again, or sign up a new user, enrol",
        "them and read their balance:",
        f"  export MEMBER_TOKEN=$(.venv/bin/python -m localdev.members sign-in ana@example.com {DEMO_PASSWORD})",
        "  export NEW_TOKEN=$(.venv/bin/python -m localdev.members sign-up zoe@example.com Zoe-secret-9)",
        f"""  curl -s -X POST "$API/v1/me/enrolment" -H "Authorization: Bearer $NEW_TOKEN" {json_header} -d '{{}}'""",
        '  curl -s -H "Authorization: Bearer $NEW_TOKEN" "$API/v1/me"',
        "The sign-in itself is Cognito's InitiateAuth, which any Cognito SDK calls; by hand:",
        f"""  curl -s -X POST {pool.endpoint}/ -H 'X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth' """
        f"""-H 'Content-Type: application/x-amz-json-1.1' -d '{{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"""
        f""""{pool.app_client_id}","AuthParameters":{{"USERNAME":"ben@example.com","PASSWORD":"{DEMO_PASSWORD}"}}}}'""",
        "",
        *_settlement_lines(demo, base),
        f"Serving on {base} (Ctrl-C stops the API and the embedded AWS).",
    ]
    print("\n".join(lines), flush=True)


def _settlement_lines(demo: Demo, base: str) -> list[str]:
    """The API reference, the closed days, and the operator's CLI on them (the exports above set its URL and key)."""
    day = demo.last_closed
    lines = ["", f"API reference (no CDN): {base}/v1/docs", ""]
    if not day:
        return [*lines, "No settlement day closed yet: the coalition started today."]
    month = day[:7]
    period = demo.statement_period
    return [
        *lines,
        f"Settlement days closed: {demo.first_day} .. {day}. FreshMart's statement of {day}:",
        f'  curl -s -H "Authorization: Bearer $FRESHMART_KEY" "$API/v1/settlements/{day}"',
        f"FreshMart's statement page of {period} (a browser opens it, no key needed, until "
        f"{demo.statement_link_expires}):",
        f"  {demo.statement_link}",
        "  the same page, its line items, and a new link, with FreshMart's key:",
        f'  page: curl -s -H "Authorization: Bearer $FRESHMART_KEY" "$API/v1/settlements/{period}?format=html" '
        "> statement.html",
        f'  curl -s -H "Authorization: Bearer $FRESHMART_KEY" "$API/v1/settlements/{period}/items?limit=5"',
        f'  curl -s -X POST -H "Authorization: Bearer $FRESHMART_KEY" "$API/v1/settlements/{period}/links"',
        "The operator's CLI (.venv/bin/coalition, after the exports):",
        f"  coalition settlements show {day}",
        f"  coalition settlements export {month} --out exports/   (once {month} is closed: its last day)",
        "  coalition reconcile",
        "  coalition jobs run tier-review",
    ]


def _now_z() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
