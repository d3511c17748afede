"""Stage-dependent routes, the published programme and the OpenAPI document."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from chalicelib.store.models import OperatorKeyItem

ROOT = Path(__file__).resolve().parents[2]


def routes_on_stage(stage: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "STAGE"}
    if stage is not None:
        env["STAGE"] = stage
    out = subprocess.run(
        [sys.executable, "-c", "import json, app; print(json.dumps(sorted(app.app.routes)))"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_stage_serves_the_same_routes_and_none_mints_member_tokens():
    """Members sign in with the member user pool on every stage, the local one included: no route mints tokens."""
    local = routes_on_stage("local")
    assert "/v1/me/enrolment" in local and not any(route.startswith("/v1/dev") for route in local)
    for stage in ("dev", "prod", None):  # None: how `chalice package` imports the app
        assert routes_on_stage(stage) == local, stage


def test_the_local_operator_key_is_a_local_stage_credential_only(coalition, container):
    coalition.partner("shop")
    OperatorKeyItem(
        pk=f"OPKEY#{hashlib.sha256(b'stored-operator-key').hexdigest()}", name="ops", created_at="2026-11-23T10:00:00Z"
    ).save()
    container.settings.stage = "dev"  # as if this app object had been built with the route on another stage
    try:
        operator_call = coalition.api.get("/v1/admin/partners/shop", token="stored-operator-key")
        local_admin = coalition.api.get("/v1/admin/partners/shop", token=coalition.admin)
    finally:
        container.settings.stage = "local"
    assert operator_call.status == 200  # the stored, hashed operator key works on that stage
    assert local_admin.status == 401  # COALITION_ADMIN_KEY is a local-stage credential only


def test_the_published_programme_lets_a_member_recompute_an_earn(coalition):
    key = coalition.partner("fuelco", earn_rate="2", category_rates={"fuel": "0.5"})
    coalition.partner("closed", earn_rate="9")
    coalition.api.patch("/v1/admin/partners/closed", {"status": "suspended"}, token=coalition.admin)
    member = coalition.member(key)

    program = coalition.api.get("/v1/program").json
    earned = coalition.purchase(key, member, "20.00", items=[{"sku": "d", "category": "fuel", "amount": "8.00"}])

    fuelco = next(p for p in program["partners"] if p["partner_id"] == "fuelco")
    assert [p["partner_id"] for p in program["partners"]] == ["fuelco"]  # suspended partners are not published
    recomputed = int(
        Decimal("8.00") * Decimal(fuelco["category_rates"]["fuel"]) + Decimal("12.00") * Decimal(fuelco["earn_rate"])
    )
    assert earned.json["points"] == recomputed == 28
    assert program["point_value"] == "0.01" and program["expiry_months"] == 24
    assert [t["name"] for t in program["tiers"]] == ["member", "silver", "gold"]


def test_a_programme_with_a_bad_tier_ladder_is_refused(coalition):
    from tests.support.api import PROGRAM

    bad = {**PROGRAM, "tiers": [{"name": "member", "threshold": 10, "earn_multiplier": "1"}]}
    reply = coalition.api.put("/v1/admin/program", bad, token=coalition.admin)
    assert (
        reply.status == 400 and reply.error_code == "invalid_request" and "threshold" in reply.json["error"]["message"]
    )


def test_the_openapi_document_lists_every_route_with_its_request_schema(api):
    import app as application

    document = api.get("/v1/openapi.json").json

    assert document["openapi"].startswith("3.")
    for path, methods in application.app.routes.items():
        for method in methods:
            assert method.lower() in document["paths"][path], (method, path)
    purchase = document["paths"]["/v1/transactions"]["post"]
    schema_name = purchase["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    schema = document["components"]["schemas"][schema_name]
    assert set(schema["required"]) >= {"transaction_id", "amount", "currency", "occurred_at", "channel"}
    assert "member" in schema["properties"] and "member" not in schema["required"]  # none: a sale without a member
    assert purchase["security"] == [{"partnerKey": []}]
