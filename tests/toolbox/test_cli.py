"""`coalition …` against the app on chalice's test client: the same HTTP requests an operator's terminal sends."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from toolbox.cli import app
from toolbox.client import Answer, Api

BASE = "http://api.test"


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """Tables as a wide terminal prints them: one line per row, whatever the runner's 80 columns."""
    from rich.console import Console

    from toolbox import cli

    monkeypatch.setattr(cli, "out", Console(width=200))
    monkeypatch.setattr(cli, "err", Console(width=200, stderr=True))


@pytest.fixture
def run(api, coalition):
    """`coalition ARGS` as the operator (or with another key): (exit code, stdout, stderr)."""

    def through_test_client(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Answer:
        reply = api.request(
            method, url.removeprefix(BASE), raw=None if body is None else body.decode(), headers=headers
        )
        return Answer(reply.status, reply.headers, reply.body)

    def invoke(*args: str, key: str = coalition.admin):
        result = CliRunner().invoke(app, list(args), obj=Api(BASE, key, through_test_client))
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_partners_and_keys_are_created_listed_suspended_and_revoked(run, coalition, api):
    coalition.program()

    code, printed, _ = run(
        "partners",
        "create",
        "alpha",
        "--name",
        "Alpha Stores",
        "--earn-rate",
        "2",
        "--category-rate",
        "fuel=0.5",
        "--fee-per-point",
        "0.002",
    )
    assert code == 0 and "Partner alpha created" in printed and "Alpha Stores" in printed
    code, printed, _ = run("keys", "issue", "alpha")
    assert code == 0
    key_id = next(line.split()[-2] for line in printed.splitlines() if " key_id " in line)
    api_key = next(line.split()[-2] for line in printed.splitlines() if " api_key " in line)
    assert api_key.startswith(f"ck_{key_id}_")
    assert api.get("/v1/reports/summary?from=2026-11-01&to=2026-11-30", token=api_key).status == 200

    code, printed, _ = run("partners", "list")
    assert code == 0 and "1 active partners" in printed and "alpha" in printed

    assert run("keys", "revoke", "alpha", key_id)[0] == 0
    assert api.get("/v1/reports/summary?from=2026-11-01&to=2026-11-30", token=api_key).status == 401
    code, printed, _ = run("partners", "suspend", "alpha")
    assert (code, printed.strip()) == (0, "alpha: suspended")
    assert api.get("/v1/admin/partners/alpha", token=coalition.admin).json["status"] == "suspended"


def test_an_api_refusal_is_one_line_with_its_code_and_a_non_zero_exit(run, coalition):
    coalition.partner("alpha")

    code, printed, error = run("partners", "create", "alpha", "--name", "Again", "--earn-rate", "1")
    assert code == 1 and printed == ""
    assert error.strip().startswith("error 409 ")
    assert len(error.strip().splitlines()) == 1

    code, _, error = run("partners", "show", "alpha", key="not-the-operator")
    assert code == 1 and "401 unauthenticated" in error


def test_a_stage_that_does_not_answer_is_one_line_and_exit_code_2():
    result = CliRunner().invoke(app, ["--url", "http://127.0.0.1:9", "--key", "k", "reconcile"])

    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error cannot reach http://127.0.0.1:9/v1/admin/reconciliation")


def test_the_programme_is_put_from_a_file_and_shown_as_published(run, tmp_path):
    from tests.support.api import PROGRAM

    path = tmp_path / "programme.json"
    path.write_text(json.dumps({**PROGRAM, "expiry_months": 18}))

    code, printed, _ = run("program", "put", str(path))
    assert (code, printed.strip()) == (0, "programme saved: 3 tiers, points valid 18 months")
    code, printed, _ = run("program", "show")
    assert code == 0 and json.loads(printed)["expiry_months"] == 18

    path.write_text("{not json")
    assert run("program", "put", str(path))[0] == 1


def test_closing_three_days_closes_three_and_again_closes_none(run, coalition, clock):
    coalition.partner("alpha")  # the coalition's first day: 2026-11-23
    clock.advance(days=3, hours=1)

    code, printed, _ = run("days", "close", "--from", "2026-11-23", "--to", "2026-11-25")
    assert code == 0 and "3 days closed (2026-11-23 .. 2026-11-25): 3 now, 0 already closed" in printed
    code, printed, _ = run("days", "close", "--from", "2026-11-23", "--to", "2026-11-25")
    assert code == 0 and "3 now" not in printed and "0 now, 3 already closed" in printed

    code, _, error = run("days", "close", "--from", "2026-11-27", "--to", "2026-11-27")
    assert code == 1 and "422 rule_violation" in error  # not over yet


def test_settlements_show_prints_the_nets_of_the_json_and_export_writes_each_partners_csv(
    run, coalition, api, clock, tmp_path
):
    shop, cinema = coalition.partner("alpha"), coalition.partner("beta", earn_rate="2")
    member = coalition.member(shop)
    assert coalition.purchase(shop, member, "120.00").status == 201
    assert coalition.redeem(cinema, member, 80).status == 201
    clock.advance(days=1, hours=1)
    assert run("days", "close", "--to", "2026-11-23")[0] == 0
    document = api.get("/v1/admin/settlements/2026-11-23", token=coalition.admin).json

    code, printed, _ = run("settlements", "show", "2026-11-23")

    assert code == 0
    nets = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in _table(printed, "Net positions")}
    assert nets == document["net_positions"] and sum(Decimal(v) for v in nets.values()) == 0
    assert any(Decimal(v) != 0 for v in nets.values())
    payments = [[cell.strip() for cell in line.split("│")[1:4]] for line in _table(printed, "Payments")]
    assert payments == [[p["from"], p["to"], p["amount"]] for p in document["payments"]] and payments

    code, printed, _ = run("settlements", "export", "2026-11-23", "--out", str(tmp_path / "out"))
    assert code == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["alpha-2026-11-23.csv", "beta-2026-11-23.csv", "settlement-2026-11-23.json"]
    assert json.loads((tmp_path / "out" / "settlement-2026-11-23.json").read_text()) == document
    own = api.get("/v1/settlements/2026-11-23?format=csv", token=shop).body.decode()
    exported = (tmp_path / "out" / "alpha-2026-11-23.csv").read_bytes().decode()  # as written: CRLF rows
    assert exported == own and list(csv.reader(io.StringIO(exported)))[0][:2] == ["section", "line"]

    page = tmp_path / "alpha.html"
    code, printed, _ = run("settlements", "open", "alpha", "2026-11-23", "--out", str(page), "--no-browser")
    assert code == 0 and f"wrote {page}" in printed
    assert page.read_text() == api.get("/v1/settlements/2026-11-23?format=html", token=shop).body.decode()
    code, _, errors = run("settlements", "open", "nobody", "2026-11-23", "--out", str(page), "--no-browser")
    assert code == 1 and "404 not_found" in errors


def test_reconcile_exits_0_when_every_invariant_holds_and_1_when_one_does_not(run, coalition):
    shop = coalition.partner("alpha")
    coalition.purchase(shop, coalition.member(shop), "10.00")

    code, printed, _ = run("reconcile")
    assert code == 0 and "all invariants hold" in printed and "NOT OK" not in printed

    report = {
        "ok": False,
        "scope": {"segment": 0, "segments": 1, "members": 1, "complete": True},
        "invariant_1": {"ok": False, "members_checked": 1, "mismatches": [{"member_id": "m_1"}]},
        "invariant_2": {"ok": True, "by_issuer": {}, "vouchers": {"ok": True, "by_issuer": {}}},
        "invariant_3": {"ok": True, "net_totals": {"2026-11-23": "0.00"}},
        "next_cursor": None,
    }
    broken = Api(BASE, "k", lambda *_: Answer(200, {}, json.dumps(report).encode()))
    result = CliRunner().invoke(app, ["reconcile"], obj=broken)
    assert result.exit_code == 1 and "NOT OK" in result.stdout and "1 mismatches" in result.stdout


def test_a_job_runs_and_reports_what_it_processed(run, coalition, clock):
    coalition.partner("alpha")

    code, printed, _ = run("jobs", "run", "expiry", "--as-of", "2026-11-23")
    assert code == 0 and "16 shards, 0 processed" in printed and printed.startswith("expiry-")
    code, _, error = run("jobs", "run", "expiry", "--as-of", "2030-01-01")
    assert code == 1 and "400 invalid_request" in error and "(field as_of)" in error


def test_a_grant_job_is_followed_to_its_end(run, coalition):
    shop = coalition.partner("alpha")
    member = coalition.member(shop)
    grant = {
        "grant_id": "g-1",
        "points": 25,
        "funder": "operator",
        "reason": "goodwill",
        "to": {"member_ids": [member.member_id]},
    }
    started = coalition.api.post("/v1/admin/grants", grant, token=coalition.admin).json

    code, printed, _ = run("jobs", "watch", started["job_id"])

    assert code == 0
    progress = json.loads(printed)
    assert (progress["status"], progress["granted"], progress["points_granted"]) == ("done", 1, 25)


def _table(printed: str, title: str) -> list[str]:
    """The body rows of the rich table titled `title`."""
    lines = printed.splitlines()
    start = next(n for n, line in enumerate(lines) if title in line)
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("└"):
            break
        if line.startswith("│"):
            rows.append(line)
    return rows  # (the header row is drawn with ┃)


def test_a_stored_wallet_and_its_operation_record_decode_to_readable_json(run, coalition, settings, tmp_path):
    """`coalition wallet decode` reads an item as `aws dynamodb get-item` prints it: packed attributes become JSON."""
    import base64

    import boto3

    shop = coalition.partner("shop")
    member = coalition.member(shop)
    coalition.purchase(shop, member, "12.00", transaction_id="t-1")
    dynamodb = boto3.client("dynamodb", region_name=settings.region)
    head = dynamodb.get_item(TableName=settings.members_table, Key={"member_id": {"S": member.member_id}})
    record = dynamodb.get_item(TableName=settings.operations_table, Key={"op_key": {"S": "shop#purchase#t-1"}})
    for printed in (head, record):  # as the AWS CLI prints them: binaries in base64
        for value in printed["Item"].values():
            if "B" in value:
                value["B"] = base64.b64encode(value["B"]).decode()
    (tmp_path / "head.json").write_text(json.dumps(head))
    (tmp_path / "record.json").write_text(json.dumps(record))

    code, printed, _ = run("wallet", "decode", str(tmp_path / "head.json"))
    wallet = json.loads(printed)
    assert code == 0 and wallet["member_id"] == member.member_id
    assert wallet["state"]["card_number"] == member.card_number
    assert wallet["state"]["names"] == ["shop"] and wallet["state"]["lots"] == {"2028-11-30": [[0, 12]]}

    code, printed, _ = run("wallet", "decode", str(tmp_path / "record.json"))
    answer = json.loads(printed)["packed"]
    assert code == 0 and json.loads(answer["body"])["points"] == 12

    (tmp_path / "other.json").write_text(json.dumps({"Item": {"state": {"B": base64.b64encode(b"\x09zz").decode()}}}))
    code, _, complaint = run("wallet", "decode", str(tmp_path / "other.json"))
    assert code == 2 and "not a stored item" in complaint
