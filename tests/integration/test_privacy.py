"""A member's data rights (issue 9): the export lists everything held about them; erasure forgets the person in every
table and object, keeps the ledger true under the pseudonymous id, and settles the forfeited points as breakage."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone

import boto3
import jwt
import pytest

from tests.support.aws import table_snapshot
from tests.support.cognito import sign_in, sign_up
from tests.support.ledger import assert_invariants
from toolbox.cli import decoded_item

EMAIL, PHONE, NAME, BIRTH = "Ines.Duarte@example.com", "+351912345678", "Inês Duarte", "1987-06-05"


@pytest.fixture
def world(coalition, settings, clock):
    """Ines, enrolled at the market's till, signed in, with points of two issuers, a hold, a voucher and a profile."""
    coalition.program(vouchers={"denominations": [{"points": 100, "value": "1.00"}], "validity_months": 12})
    market = coalition.partner("market", fee_per_point="0.002")
    cinema = coalition.partner("cinema", earn_rate="2")
    enrolled = coalition.api.post(
        "/v1/members", {"email": EMAIL, "phone": PHONE, "birth_date": BIRTH}, token=market
    ).json
    token = sign_up(settings, EMAIL, phone=PHONE)
    assert coalition.api.post("/v1/me/claims", {}, token=token).status == 201
    ref = {"member_id": enrolled["member_id"]}
    for key, transaction_id, amount in ((market, "t-1", "300.00"), (cinema, "t-2", "50.00")):
        body = {
            "transaction_id": transaction_id,
            "member": ref,
            "amount": amount,
            "currency": "EUR",
            "occurred_at": "2026-11-23T09:00:00Z",
            "channel": "store",
        }
        assert coalition.api.post("/v1/transactions", body, token=key).status == 201
    hold = {"hold_id": "h-1", "member": {"card_number": enrolled["card_number"]}, "points": 30}
    assert coalition.api.post("/v1/holds", hold, token=cinema).status == 201
    assert coalition.api.post("/v1/me/vouchers", {"request_id": "v-1", "denomination": 100}, token=token).status == 201
    profile = {"name": NAME, "interests": ["cinema"], "consents": {"email": {"given": True}}}
    assert coalition.api.patch("/v1/me", profile, token=token).status == 200
    return {"member": enrolled, "token": token, "market": market, "cinema": cinema}


def personal_marks(settings, world) -> list[str]:
    """What identifies Ines: her data as given, her card, her sign-in, and the keyed hashes of her email and phone."""
    key = settings.pii_hmac_key.get_secret_value().encode()
    digest = lambda text: hmac.new(key, text.encode(), hashlib.sha256).hexdigest()  # noqa: E731
    subject = jwt.decode(world["token"], options={"verify_signature": False})["sub"]
    return [
        EMAIL.lower(),
        EMAIL,
        PHONE,
        NAME,
        BIRTH,
        world["member"]["card_number"],
        world["member"]["referral_code"],
        subject,
        digest(EMAIL.lower()),
        digest(PHONE),
    ]


def everything_stored(settings) -> str:
    """Every item of every table and every object of the statements bucket, as text. Packed attributes (a wallet's
    `state`, a record's `packed`) are decoded: deflated, a name or a card number would hide from the search."""
    s3 = boto3.client("s3", region_name=settings.region)
    objects = s3.list_objects_v2(Bucket=settings.statements_bucket).get("Contents", [])
    bodies = [s3.get_object(Bucket=settings.statements_bucket, Key=o["Key"])["Body"].read().decode() for o in objects]
    tables = {name: [decoded_item(item) for item in items] for name, items in table_snapshot(settings).items()}
    return json.dumps(tables, ensure_ascii=False, default=str) + "\n".join(bodies)


def close(coalition, clock, day):
    clock.now = datetime.fromisoformat(day).replace(hour=23, minute=59, tzinfo=timezone.utc)
    clock.advance(hours=2)
    reply = coalition.api.post(f"/v1/admin/settlements/{day}/close", token=coalition.admin)
    assert reply.status == 201, reply.json
    return reply.json


def test_the_export_lists_everything_held_about_the_member(coalition, world):
    reply = coalition.api.get("/v1/me/export", token=world["token"])

    assert reply.status == 200, reply.json
    export = reply.json
    member = export["member"]
    assert (member["member_id"], member["card_number"], member["birth_date"]) == (
        world["member"]["member_id"],
        world["member"]["card_number"],
        BIRTH,
    )
    assert (member["name"], member["interests"], member["consents"]["email"]["given"]) == (NAME, ["cinema"], True)
    kinds = sorted(identifier["kind"] for identifier in export["identifiers"])
    assert kinds == ["card_number", "email", "phone", "referral_code", "sign_in"]
    email = next(i for i in export["identifiers"] if i["kind"] == "email")
    assert email["held_as"].startswith("keyed hash") and EMAIL.lower() not in email["value"]
    # 300 market + 100 cinema points, all valid as long: the hold took cinema's first 30 (by issuer), the voucher
    # the other 70 and 30 of market's
    lots = [(lot["issuer"], lot["points"]) for lot in export["wallet"]["lots"]]
    assert lots == [("market", 270)]
    assert export["wallet"]["voucher_points"] == {"cinema": 70, "market": 30}
    assert [(h["hold_id"], h["partner_id"], h["points"]) for h in export["wallet"]["holds"]] == [("h-1", "cinema", 30)]
    assert [(v["points"], v["status"]) for v in export["vouchers"]] == [(100, "open")]
    assert [e["type"] for e in export["entries"]] == ["voucher", "hold", "earn", "earn"]
    assert export["next_cursor"] is None


def test_erasure_forgets_the_person_everywhere_and_settles_the_forfeit_as_breakage(
    coalition, world, settings, clock, container
):
    member_id = world["member"]["member_id"]
    marks = personal_marks(settings, world)
    stored = everything_stored(settings)
    assert all(mark in stored for mark in marks[4:7] + marks[-2:])  # (held before: the card, the hashes …)

    erased = coalition.api.delete("/v1/me", token=world["token"])

    assert erased.status == 204
    stored = everything_stored(settings)
    assert [mark for mark in marks if mark in stored] == []
    # No sign-in any more, no recognition at a till, no operation on the member's id
    with pytest.raises(boto3.client("cognito-idp", region_name=settings.region).exceptions.UserNotFoundException):
        sign_in(settings, EMAIL)
    assert coalition.api.get("/v1/me", token=world["token"]).error_code == "not_enrolled"
    for query in (f"card_number={world['member']['card_number']}", f"email={EMAIL}", "phone=%2B351912345678"):
        assert coalition.api.get(f"/v1/members?{query}", token=world["market"]).status == 404
    purchase = {
        "transaction_id": "t-after",
        "member": {"member_id": member_id},
        "amount": "10.00",
        "currency": "EUR",
        "occurred_at": "2026-11-23T09:00:00Z",
        "channel": "store",
    }
    refused = coalition.api.post("/v1/transactions", purchase, token=world["market"])
    assert (refused.status, refused.error_code) == (422, "member_inactive")
    # The ledger stays, under the pseudonymous id: the hold released, every point forfeited by issuer
    entries = [e for e in container.runtime.store.ledger.all_entries(member_id)]
    assert [e.type.value for e in entries[-3:]] == ["void", "forfeit", "status"]
    forfeit = entries[-2]
    assert forfeit.points == -300 and sum(line["points"] for line in forfeit.breakdown) == -300  # 270 + 30 released
    assert [line["detail"] for line in forfeit.breakdown] == [
        "30 points of cinema forfeited",  # the hold's, released first
        "270 points of market forfeited",
    ]
    file = coalition.api.get(f"/v1/admin/members/{member_id}", token=coalition.admin).json
    assert (file["status"], file["card_number"], file["available_points"], file["name"]) == ("erased", "", 0, None)
    # Invariants hold; the close settles the forfeited points as breakage of their issuers
    assert assert_invariants() == {"cinema": 70, "market": 30}  # the open voucher's points: still their issuers'

    day = close(coalition, clock, "2026-11-23")
    assert day["breakage"] == {"cinema": 30, "market": 270}
    assert (day["partners"]["market"]["expired_points"], day["partners"]["cinema"]["expired_points"]) == (270, 30)
    assert (day["outstanding"]["cinema"], day["outstanding"]["market"]) == (70, 30)  # the open voucher
    report = coalition.api.get("/v1/admin/reconciliation", token=coalition.admin).json
    assert report["ok"] is True, report
    published = boto3.client("s3", region_name=settings.region).list_objects_v2(Bucket=settings.statements_bucket)
    assert published.get("KeyCount", 0) > 0  # the day's statements are objects now: they hold nothing of hers either
    assert [mark for mark in marks if mark in everything_stored(settings)] == []


def test_the_operator_erases_on_request_once_and_the_trail_keeps_no_personal_data(coalition, world, settings):
    member_id = world["member"]["member_id"]

    first = coalition.api.delete(f"/v1/admin/members/{member_id}", token=coalition.admin)
    again = coalition.api.delete(f"/v1/admin/members/{member_id}", token=coalition.admin)
    reopen = coalition.api.patch(f"/v1/admin/members/{member_id}", {"status": "active"}, token=coalition.admin)
    unknown = coalition.api.delete("/v1/admin/members/m_00000000000000000000", token=coalition.admin)
    as_partner = coalition.api.delete(f"/v1/admin/members/{member_id}", token=world["market"])

    assert (first.status, again.status) == (204, 204)
    assert (reopen.status, reopen.error_code) == (422, "rule_violation")
    assert (unknown.status, as_partner.status) == (404, 403)
    stored = everything_stored(settings)
    assert [mark for mark in personal_marks(settings, world) if mark in stored] == []
    entries = coalition.api.container.runtime.store.ledger.all_entries(member_id)
    assert [e.type.value for e in entries].count("forfeit") == 1  # erased once
    trail = coalition.api.get("/v1/admin/audit?from=2026-11-23&to=2026-11-23&limit=100", token=coalition.admin)
    assert [r["action"] for r in trail.json["records"]].count(f"DELETE /v1/admin/members/{member_id}") == 2


def test_a_user_who_never_enrolled_can_delete_their_sign_in(coalition, settings):
    token = sign_up(settings, "just-looking@example.com")
    coalition.program()

    assert coalition.api.delete("/v1/me", token=token).status == 204
    with pytest.raises(boto3.client("cognito-idp", region_name=settings.region).exceptions.UserNotFoundException):
        sign_in(settings, "just-looking@example.com")
