"""PUT /v1/admin/program: every funder is a party that settles, and no field goes unread."""

from __future__ import annotations

import copy

import pytest

from tests.support.api import PROGRAM
from tests.support.aws import table_snapshot

WITH_FUNDERS = {
    **PROGRAM,
    "bonuses": {
        "first_purchase": {"points": 200, "funder": "operator"},
        "birthday_month_multiplier": "2",
        "birthday_funder": "operator",
        "referral": {"referrer_points": 500, "referee_points": 250, "funder": "operator"},
    },
    "activities": {"review": {"points": 50, "max_per_day": 1, "funder": "operator"}},
}

FUNDER_PATHS = {
    "bonuses.first_purchase.funder": ("bonuses", "first_purchase", "funder"),
    "bonuses.referral.funder": ("bonuses", "referral", "funder"),
    "bonuses.birthday_funder": ("bonuses", "birthday_funder"),
    "activities.review.funder": ("activities", "review", "funder"),
}


def with_funder(path: tuple[str, ...], funder: str) -> dict:
    document = copy.deepcopy(WITH_FUNDERS)
    node = document
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = funder
    return document


@pytest.mark.parametrize("field", FUNDER_PATHS, ids=list(FUNDER_PATHS))
def test_a_funder_that_is_neither_the_operator_nor_a_partner_is_refused(coalition, settings, field):
    coalition.partner("shop")
    before = table_snapshot(settings)
    published = coalition.api.get("/v1/program").json

    reply = coalition.api.put("/v1/admin/program", with_funder(FUNDER_PATHS[field], "nobody"), token=coalition.admin)

    assert (reply.status, reply.error_code, reply.json["error"]["field"]) == (400, "invalid_request", field)
    assert "nobody" in reply.json["error"]["message"]
    assert table_snapshot(settings) == before
    assert coalition.api.get("/v1/program").json == published


@pytest.mark.parametrize("field", FUNDER_PATHS, ids=list(FUNDER_PATHS))
def test_a_partner_may_fund_every_kind_of_bonus_and_activity(coalition, field):
    coalition.partner("shop")

    reply = coalition.api.put("/v1/admin/program", with_funder(FUNDER_PATHS[field], "shop"), token=coalition.admin)

    assert reply.status == 200, reply.json
    node = reply.json
    for part in FUNDER_PATHS[field]:
        node = node[part]
    assert node == "shop"


def test_unknown_programme_fields_are_refused_and_nothing_is_published(coalition, settings):
    coalition.program()
    before = table_snapshot(settings)

    top = coalition.api.put("/v1/admin/program", {**PROGRAM, "expiry_monthz": 3}, token=coalition.admin)
    nested = coalition.api.put(
        "/v1/admin/program",
        {**PROGRAM, "bonuses": {"first_purchase": {"points": 1, "funder": "operator", "pointz": 2}}},
        token=coalition.admin,
    )

    assert (top.status, top.error_code, top.json["error"]["field"]) == (400, "invalid_request", "expiry_monthz")
    assert (nested.status, nested.json["error"]["field"]) == (400, "bonuses.first_purchase.pointz")
    assert table_snapshot(settings) == before
    assert "expiry_monthz" not in coalition.api.get("/v1/program").json


def test_the_demo_and_test_programmes_still_validate():
    from chalicelib.services.requests import ProgramDocument
    from localdev.seed import PROGRAM as DEMO

    for document in (DEMO, PROGRAM, WITH_FUNDERS):
        ProgramDocument.model_validate(document)  # raises on an unknown or malformed field


VOUCHERS = {
    "denominations": [
        {"points": 500, "value": "5.00"},
        {"points": 1000, "value": "11.00", "bonus_funder": "shop"},
    ],
    "validity_months": 12,
    "usable_at": ["shop"],
    "auto_convert": {"threshold": 1500, "denomination": 1000},
}


def test_voucher_rules_are_published_as_put(coalition):
    coalition.partner("shop")

    saved = coalition.api.put("/v1/admin/program", {**PROGRAM, "vouchers": VOUCHERS}, token=coalition.admin)

    assert saved.status == 200, saved.json
    assert coalition.api.get("/v1/program").json["vouchers"] == {**VOUCHERS}


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"denominations": [{"points": 500, "value": "4.99"}]}, 400, "vouchers.denominations[0].value"),
        ({"denominations": [{"points": 500, "value": "5.001"}]}, 400, "vouchers.denominations[0].value"),
        ({"denominations": [{"points": 500, "value": "5.50"}]}, 400, "vouchers.denominations[0].bonus_funder"),
        (
            {"denominations": [{"points": 500, "value": "5.50", "bonus_funder": "nobody"}]},
            400,
            "vouchers.denominations[0].bonus_funder",
        ),
        ({"usable_at": ["shop", "nobody"]}, 400, "vouchers.usable_at[1]"),
        ({"auto_convert": {"threshold": 1500, "denomination": 700}}, 400, "vouchers"),
        ({"auto_convert": {"threshold": 900, "denomination": 1000}}, 400, "vouchers"),
        ({"denominations": [{"points": 500, "value": "5.00"}, {"points": 500, "value": "6.00"}]}, 400, "vouchers"),
        ({"validity_months": 0}, 400, "vouchers.validity_months"),
    ],
)
def test_voucher_rules_that_would_leak_value_are_refused_and_write_nothing(coalition, settings, change, status, field):
    coalition.partner("shop")
    before = table_snapshot(settings)
    document = {**PROGRAM, "vouchers": {**VOUCHERS, "auto_convert": None, **change}}

    reply = coalition.api.put("/v1/admin/program", document, token=coalition.admin)

    assert (reply.status, reply.error_code, reply.json["error"]["field"]) == (status, "invalid_request", field)
    assert table_snapshot(settings) == before
