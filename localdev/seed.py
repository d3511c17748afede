"""A small demo coalition, booked through the same use cases the API calls."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

from chalicelib.bootstrap import Container
from chalicelib.services import burning, earning, identity, members, partners, programs, rewards
from chalicelib.services.auth import partner_profile
from chalicelib.services.requests import (
    EnrolRequest,
    PartnerCreate,
    ProgramDocument,
    PurchaseRequest,
    RedemptionRequest,
    RewardClaimRequest,
    RewardCreate,
)
from chalicelib.settings import Settings
from localdev.members import DEMO_PASSWORD, LocalPool

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


@dataclass
class Demo:
    keys: dict[str, str] = field(default_factory=dict)
    members: list[dict[str, str]] = field(default_factory=list)
    member_token: str = ""  # Ana's id token (an hour: the pool's id token validity)
    claim_code: str = ""  # a claim of the demo reward, waiting for Cinemax to fulfil it


def seed_demo(settings: Settings, pool: LocalPool) -> Demo:
    """The demo members are users of the member pool too (password DEMO_PASSWORD), linked as a claim links them."""
    container = Container(settings)
    rt = container.runtime
    demo = Demo()
    programs.set_program(rt, ProgramDocument.model_validate(PROGRAM))
    for partner in PARTNERS:
        partners.create_partner(rt, PartnerCreate.model_validate(partner))
        demo.keys[partner["partner_id"]] = partners.issue_api_key(rt, partner["partner_id"])["api_key"]
    people = [("ana@example.com", "+33612345678"), ("ben@example.com", None), ("chloe@example.com", None)]
    for email, phone in people:
        enrolled = members.enrol_member(rt, "freshmart", EnrolRequest(email=email, phone=phone))
        demo.members.append({"email": email, **enrolled})
        identity.link_user(rt, enrolled["member_id"], pool.create_user(email, DEMO_PASSWORD, phone))
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
                "occurred_at": (now - timedelta(hours=5 - n)).isoformat(),
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
    window = {"valid_from": (now - timedelta(days=1)).isoformat(), "valid_until": (now + timedelta(90)).isoformat()}
    rewards.publish_reward(rt, "cinemax", RewardCreate.model_validate({**REWARD, **window}))
    claimed = rewards.claim_reward(
        rt, demo.members[0]["member_id"], REWARD["reward_id"], RewardClaimRequest(claim_id="demo-c1")
    )
    demo.claim_code = json.loads(claimed.body)["code"]
    demo.member_token = pool.sign_in(demo.members[0]["email"], DEMO_PASSWORD)
    return demo


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
        f"Serving on {base} (Ctrl-C stops the API and the embedded AWS).",
    ]
    print("\n".join(lines), flush=True)


def _now_z() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
