"""Adversarial probes: sign-in, link, erasure seen from a token."""

from __future__ import annotations

import jwt
import pytest

from chalicelib.services import privacy
from tests.support.cognito import pool_signed, sign_up


def sub(token):
    return jwt.decode(token, options={"verify_signature": False})["sub"]


@pytest.fixture
def shop(coalition):
    return coalition.partner("shop", earn_rate="2")


# ---- tokens ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("flag", ["True", "1", 1, None, "yes", "TRUE"])
def test_email_verified_other_spellings_are_not_proof(coalition, settings, shop, flag):
    sub = sign_up(settings, "x@example.com", verified=False)  # a user of the pool, the email not verified
    subject = jwt.decode(sub, options={"verify_signature": False})["sub"]
    token = pool_signed(settings, sub=subject, email="x@example.com", email_verified=flag)
    reply = coalition.api.post("/v1/me/enrolment", {}, token=token)
    assert (reply.status, reply.error_code) == (403, "forbidden"), reply.json


def test_aud_as_a_list_is_refused_or_accepted_consistently(coalition, settings, shop):
    token = pool_signed(settings, aud=[settings.member_app_client_id], email="l@example.com", email_verified=True)
    reply = coalition.api.post("/v1/me/enrolment", {}, token=token)
    assert reply.status == 401, reply.json


def test_id_token_without_aud_is_refused(coalition, settings, shop):
    token = pool_signed(
        settings, aud=None, client_id=settings.member_app_client_id, email="n@example.com", email_verified=True
    )
    assert coalition.api.post("/v1/me/enrolment", {}, token=token).status == 401


def test_access_token_with_right_aud_but_other_client_id_is_refused(coalition, settings, shop):
    token = pool_signed(settings, token_use="access", client_id="other", aud=settings.member_app_client_id)
    assert coalition.api.post("/v1/me/enrolment", {}, token=token).status == 401


def test_access_token_cannot_enrol_even_with_email_claims(coalition, settings, shop):
    token = pool_signed(
        settings,
        token_use="access",
        client_id=settings.member_app_client_id,
        aud=None,
        email="acc@example.com",
        email_verified=True,
    )
    reply = coalition.api.post("/v1/me/enrolment", {}, token=token)
    # Cognito access tokens carry no email: one that does was not issued by Cognito as such.
    assert reply.status in (401, 403), reply.json


def test_iat_in_the_future_is_refused(coalition, settings, shop):
    import time

    now = int(time.time())
    token = pool_signed(settings, iat=now + 3600, exp=now + 7200, email="f@example.com", email_verified=True)
    assert coalition.api.post("/v1/me/enrolment", {}, token=token).status == 401


def test_uppercase_uuid_subject(coalition, settings, shop):
    token = pool_signed(
        settings, sub="ABCDEF01-2345-6789-ABCD-EF0123456789", email="u@example.com", email_verified=True
    )
    assert coalition.api.post("/v1/me/enrolment", {}, token=token).status == 401


# ---- link and erasure --------------------------------------------------------------------------------------
def test_claim_racing_an_operator_erasure_links_the_erased_member(coalition, settings, shop, monkeypatch):
    """POST /v1/me/claims reads the member by the verified email's alias; the operator's DELETE lands before
    link_user reads the wallet. link_user refuses only `closed`, so the erased wallet gets a SUB# alias (the
    sign-in subject, an identifier) written back, and the user is its member again."""
    member = coalition.member(shop, email="gone@example.com")
    rt = coalition.api.container.runtime
    token = sign_up(settings, "gone@example.com")
    directory = rt.store.directory
    real = directory.find_member_id
    erased = []

    def find_then_erase(alias):
        found = real(alias)
        if found and alias.startswith("EMAIL#") and not erased:
            erased.append(found)
            privacy.erase_member(rt, found)  # the operator's DELETE /v1/admin/members/{id}, just now
        return found

    monkeypatch.setattr(type(directory), "find_member_id", staticmethod(find_then_erase))
    reply = coalition.api.post("/v1/me/claims", {}, token=token)
    monkeypatch.undo()
    wallet = rt.store.wallets.load(member.member_id)
    assert wallet.status == "erased"
    assert reply.status == 404, reply.json
    assert not [a for a in wallet.aliases if a.startswith("SUB#")], wallet.aliases
    assert coalition.api.get("/v1/me", token=token).status == 403


def test_erased_users_still_valid_token_enrols_again(coalition, settings, shop):
    """DELETE /v1/me deletes the pool user, but its id token lives on (up to an hour): it enrols a new member
    with the erased person's email."""
    token = sign_up(settings, "again@example.com")
    assert coalition.api.post("/v1/me/enrolment", {}, token=token).status == 201
    assert coalition.api.delete("/v1/me", token=token).status == 204
    reply = coalition.api.post("/v1/me/enrolment", {}, token=token)
    assert reply.status in (401, 403), reply.json


def test_self_enrol_with_a_closed_members_referral_code(coalition, settings, shop):
    referrer = coalition.api.post("/v1/members", {"email": "ref@example.com"}, token=shop).json
    assert (
        coalition.api.patch(
            f"/v1/admin/members/{referrer['member_id']}", {"status": "closed"}, token=coalition.admin
        ).status
        == 200
    )
    token = sign_up(settings, "newbie@example.com")
    reply = coalition.api.post("/v1/me/enrolment", {"referral_code": referrer["referral_code"]}, token=token)
    assert reply.status == 422, reply.json


def test_self_enrol_with_a_suspended_members_referral_code(coalition, settings, shop):
    referrer = coalition.api.post("/v1/members", {"email": "ref2@example.com"}, token=shop).json
    assert (
        coalition.api.patch(
            f"/v1/admin/members/{referrer['member_id']}", {"status": "suspended"}, token=coalition.admin
        ).status
        == 200
    )
    token = sign_up(settings, "newbie2@example.com")
    reply = coalition.api.post("/v1/me/enrolment", {"referral_code": referrer["referral_code"]}, token=token)
    print(reply.status, reply.json)


def test_delete_me_for_a_suspended_member(coalition, settings, shop):
    member = coalition.member(shop, email="susp@example.com")
    coalition.purchase(shop, member, "10.00")
    token = member.token
    assert (
        coalition.api.patch(
            f"/v1/admin/members/{member.member_id}", {"status": "suspended"}, token=coalition.admin
        ).status
        == 200
    )
    reply = coalition.api.delete("/v1/me", token=token)
    assert reply.status == 204, reply.json
    from tests.support.ledger import assert_invariants

    assert_invariants()
