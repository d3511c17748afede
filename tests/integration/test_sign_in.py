"""Members sign in with the member user pool (moto's Cognito, created from infra/): a new user enrols online, a
member enrolled at a till claims themself with the email Cognito verified, and only tokens of this pool, for the
member app, unexpired and signed by the pool's key, are accepted."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.domain.errors import AlreadyEnrolled, MemberAlreadyLinked
from chalicelib.services import identity
from chalicelib.services.auth import Principal, SignedInUser
from chalicelib.services.requests import CardClaimRequest, SelfEnrolRequest
from tests.support.aws import table_snapshot
from tests.support.cognito import PASSWORD, pool_signed, sign_in, sign_up
from tests.support.ledger import assert_invariants


@pytest.fixture
def shop(coalition):
    return coalition.partner("shop", earn_rate="2")


def subject(token: str) -> str:
    return jwt.decode(token, options={"verify_signature": False})["sub"]


# ---- the path of a new user ------------------------------------------------------------------------
def test_a_new_user_signs_up_enrols_earns_at_a_partner_and_reads_the_balance_with_both_tokens(
    coalition, settings, shop
):
    api = coalition.api
    id_token = sign_up(settings, "Zoe@Example.com")
    tokens = sign_in(settings, "Zoe@Example.com")  # (moto keeps usernames case-sensitive; Cognito would not)

    before = api.get("/v1/me", token=id_token)
    enrolled = api.post("/v1/me/enrolment", {"birth_date": "1991-03-04"}, token=id_token)

    assert (before.status, before.error_code) == (403, "not_enrolled")
    assert enrolled.status == 201, enrolled.json
    member_id, card = enrolled.json["member_id"], enrolled.json["card_number"]
    # The till recognises her by the email Cognito verified (as a keyed hash: never in clear in a key).
    found = api.get("/v1/members?email=zoe@example.com", token=shop)
    assert (found.status, found.json["member_id"]) == (200, member_id)
    earned = api.post(
        "/v1/transactions",
        {
            "transaction_id": "t-1",
            "member": {"card_number": card},
            "amount": "40.00",
            "currency": "EUR",
            "occurred_at": "2026-11-23T09:00:00Z",
            "channel": "store",
        },
        token=shop,
    )
    assert (earned.status, earned.json["points"]) == (201, 80)
    for token in (id_token, tokens["IdToken"], tokens["AccessToken"]):
        me = api.get("/v1/me", token=token)
        assert (me.status, me.json["member_id"], me.json["available_points"]) == (200, member_id, 80)
        assert me.json["available_value"] == "0.80"
    entries = api.get("/v1/me/entries", token=tokens["AccessToken"]).json["entries"]
    assert [(e["type"], e["points"], e["partner_name"]) for e in entries] == [("earn", 80, "Shop")]


def test_enrolling_twice_is_refused_and_parallel_enrolments_of_one_user_make_one_member(
    coalition, settings, shop, meter
):
    token = sign_up(settings, "ann@example.com")
    meter.serialise = True  # moto applies one DynamoDB call at a time, as DynamoDB applies each atomically
    user = SignedInUser(subject(token), "id", email="ann@example.com")
    rt = coalition.api.container.runtime
    coalition.program()

    def enrol(_: int) -> str:
        try:
            return identity.self_enrol(rt, Principal("user", user=user), SelfEnrolRequest())["member_id"]
        except AlreadyEnrolled:
            return "already_enrolled"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(enrol, range(6), timeout=60))
    again = coalition.api.post("/v1/me/enrolment", {}, token=token)

    members = [o for o in outcomes if o != "already_enrolled"]
    assert len(members) == 1, outcomes
    assert (again.status, again.error_code) == (409, "already_enrolled")
    assert coalition.api.get("/v1/me", token=token).json["member_id"] == members[0]


def test_a_user_whose_email_a_till_enrolled_is_told_to_claim_not_enrolled_twice(coalition, settings, shop):
    coalition.member(shop, email="bea@example.com")
    token = sign_up(settings, "bea@example.com")

    reply = coalition.api.post("/v1/me/enrolment", {}, token=token)

    assert (reply.status, reply.error_code) == (409, "member_exists")
    assert "/v1/me/claims" in reply.json["error"]["message"]


def test_an_unverified_email_identifies_nobody(coalition, settings, shop, container):
    token = sign_up(settings, "cyd@example.com", verified=False)
    coalition.member(shop, email="cyd@example.com")
    before = table_snapshot(settings)

    enrol = coalition.api.post("/v1/me/enrolment", {}, token=token)
    claim = coalition.api.post("/v1/me/claims", {}, token=token)

    assert (enrol.status, enrol.error_code) == (403, "forbidden")
    assert (claim.status, claim.error_code) == (403, "forbidden")
    assert table_snapshot(settings) == before


# ---- claiming the member one is ---------------------------------------------------------------------
def test_a_member_enrolled_at_a_till_claims_themself_with_the_verified_email_and_sees_their_points(
    coalition, settings, shop
):
    member = coalition.member(shop, email="dan@example.com")
    coalition.purchase(shop, member, "10.00")
    token = sign_up(settings, "DAN@example.com")  # the same email, however written

    claimed = coalition.api.post("/v1/me/claims", {"card_number": member.card_number}, token=token)

    assert claimed.status == 201, claimed.json
    assert claimed.json == {"member_id": member.member_id, "card_number": member.card_number, "tier": "member"}
    assert coalition.api.get("/v1/me", token=token).json["available_points"] == 20
    again = coalition.api.post("/v1/me/claims", {}, token=token)
    assert (again.status, again.error_code) == (409, "already_enrolled")


def test_a_card_alone_proves_nothing(coalition, settings, shop):
    victim = coalition.member(shop, email="eve-victim@example.com")
    coalition.member(shop, email="mallory@example.com")
    token = sign_up(settings, "mallory@example.com")  # her own verified email, someone else's card

    reply = coalition.api.post("/v1/me/claims", {"card_number": victim.card_number}, token=token)
    stranger = sign_up(settings, "nobody@example.com")
    unknown = coalition.api.post("/v1/me/claims", {"card_number": victim.card_number}, token=stranger)

    assert (reply.status, reply.error_code) == (403, "claim_not_proven")
    assert (unknown.status, unknown.error_code) == (404, "not_found")
    assert coalition.api.get("/v1/me", token=token).error_code == "not_enrolled"


def test_two_users_racing_to_claim_one_member_link_one(coalition, settings, shop, meter):
    """Two pool users may share a verified phone (a family line): the member is linked to whoever claims first."""
    member = coalition.member(shop, phone="+33612345678")
    tokens = [sign_up(settings, f"parent{n}@example.com", phone="+33612345678") for n in range(2)]
    meter.serialise = True
    rt = coalition.api.container.runtime
    users = [SignedInUser(subject(token), "id", phone="+33612345678") for token in tokens]

    def claim(user: SignedInUser) -> str:
        try:
            return identity.claim_member(rt, Principal("user", user=user), CardClaimRequest())["member_id"]
        except MemberAlreadyLinked:
            return "member_already_linked"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(claim, users, timeout=60))

    assert outcomes == sorted([member.member_id, "member_already_linked"])
    wallet = rt.store.wallets.load(member.member_id)
    assert [alias for alias in wallet.aliases if alias.startswith("SUB#")] == [
        f"SUB#{u.subject}" for u in users if rt.store.directory.find_member_id(f"SUB#{u.subject}")
    ]


def test_closing_a_member_unlinks_their_sign_in(coalition, settings, shop):
    member = coalition.member(shop, email="fay@example.com")
    token = member.token
    assert coalition.api.get("/v1/me", token=token).status == 200

    closed = coalition.api.patch(f"/v1/admin/members/{member.member_id}", {"status": "closed"}, token=coalition.admin)

    assert closed.status == 200, closed.json
    reply = coalition.api.get("/v1/me", token=token)
    assert (reply.status, reply.error_code) == (403, "not_enrolled")


# ---- only this pool's tokens, for this app ----------------------------------------------------------
def test_tokens_of_another_pool_another_app_or_another_key_are_refused(coalition, settings, shop):
    member = coalition.member(shop)
    own = member.token
    cognito = boto3.client("cognito-idp", region_name=settings.region)
    other_pool = cognito.create_user_pool(PoolName="elsewhere", UsernameAttributes=["email"])["UserPool"]["Id"]
    other_pool_client = cognito.create_user_pool_client(
        UserPoolId=other_pool, ClientName="x", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=other_pool, Username="gil@example.com", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=other_pool, Username="gil@example.com", Password=PASSWORD, Permanent=True
    )
    foreign_pool = sign_in(settings, "gil@example.com", client_id=other_pool_client)["IdToken"]
    other_app = cognito.create_user_pool_client(
        UserPoolId=settings.member_user_pool_id, ClientName="other-app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    email = f"user-{member.member_id}@example.com"
    other_app_tokens = sign_in(settings, email, client_id=other_app)
    sub = subject(own)
    now = int(time.time())
    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {**jwt.decode(own, options={"verify_signature": False}), "iat": now, "exp": now + 600},
        stranger_key,
        algorithm="RS256",
        headers={"kid": "dummy"},
    )

    refused = {
        "another pool": foreign_pool,
        "another app (id token)": other_app_tokens["IdToken"],
        "another app (access token)": other_app_tokens["AccessToken"],
        "another key, same kid": forged,
        "expired": pool_signed(settings, sub=sub, iat=now - 4000, exp=now - 400),
        "lives 2 days": pool_signed(settings, sub=sub, iat=now, exp=now + 2 * 86400),
        "a refresh token's use": pool_signed(settings, sub=sub, token_use="refresh"),
        "no token_use": pool_signed(settings, sub=sub, token_use=None),
        "access token naming no client": pool_signed(settings, sub=sub, token_use="access", aud=None),
        "issuer of another region": pool_signed(
            settings, sub=sub, iss=settings.member_token_issuer.replace("eu-west-1", "us-east-1")
        ),
        "subject not a uuid": pool_signed(settings, sub="m_00000000000000000000"),
    }
    for name, token in refused.items():
        reply = coalition.api.get("/v1/me", token=token)
        assert (reply.status, reply.error_code) == (401, "unauthenticated"), name

    accepted = pool_signed(settings, sub=sub, token_use="access", aud=None, client_id=settings.member_app_client_id)
    assert coalition.api.get("/v1/me", token=accepted).json["member_id"] == member.member_id
    assert coalition.api.get("/v1/me", token=own).json["member_id"] == member.member_id


def test_a_signed_in_user_is_no_partner_and_no_operator(coalition, settings, shop):
    token = sign_up(settings, "hal@example.com")

    as_partner = coalition.api.get("/v1/members?card_number=9000000000000000", token=token)
    as_operator = coalition.api.get("/v1/admin/partners/shop", token=token)

    assert (as_partner.status, as_partner.error_code) == (403, "forbidden")
    assert (as_operator.status, as_operator.error_code) == (403, "forbidden")


def test_enrolment_and_claims_write_what_the_ledger_invariants_expect(coalition, settings, shop, container):
    token = sign_up(settings, "ivy@example.com")
    coalition.api.post("/v1/me/enrolment", {}, token=token)
    member = coalition.member(shop, email="jon@example.com")
    coalition.purchase(shop, member, "5.00")
    coalition.api.post("/v1/me/claims", {}, token=sign_up(settings, "jon@example.com"))

    assert_invariants()
