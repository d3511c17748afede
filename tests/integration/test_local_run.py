"""`make run`'s stack: starts on 127.0.0.1, the curl lines it prints work as printed, parallel requests on one
member apply exactly as on AWS, and Ctrl-C stops it. One stack serves the whole module (it takes seconds to start)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_DAYS = 6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_api(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class LocalStack:
    """The running `make run`: what it printed, and HTTP calls against its API."""

    api_port: int
    log: Path

    @property
    def printed(self) -> list[str]:
        return [line.strip() for line in self.log.read_text().splitlines()]

    @property
    def exports(self) -> dict[str, str]:
        pairs = (line.removeprefix("export ").split("=", 1) for line in self.printed if line.startswith("export "))
        return dict(pairs)

    def call(
        self, method: str, path: str, key: str, body: Any = None, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        status, _, answer = self.exchange(method, path, key, body, content_type)
        return status, answer

    def exchange(
        self, method: str, path: str, key: str, body: Any = None, content_type: str = "application/json"
    ) -> tuple[int, dict[str, str], Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.api_port}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": content_type},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read())


@pytest.fixture(scope="module")
def make_run(tmp_path_factory):
    """`python -m localdev.run` on free ports; Ctrl-C at the end must stop it."""
    api_port, moto_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "STAGE"}
    env.update({"PORT": str(api_port), "MOTO_PORT": str(moto_port), "COALITION_ADMIN_KEY": "fixed-admin-key"})
    env["DEMO_DAYS"] = str(DEMO_DAYS)  # the default's two months take minutes of moto: a shorter history, same code
    log = tmp_path_factory.mktemp("make-run") / "run.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "localdev.run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_api(api_port, time.monotonic() + 240)
        yield LocalStack(api_port, log)
    finally:
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C does in a terminal
        try:
            stopped = server.wait(timeout=20) is not None
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            stopped = False
    assert stopped, "Ctrl-C did not stop make run"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", api_port)) != 0, "the API still listens after Ctrl-C"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_make_run_serves_and_its_printed_curl_lines_work(make_run):
    # (the guide names make run's .venv; a checkout without one, such as a worktree, runs this interpreter)
    exports = [
        line.replace(".venv/bin/python", sys.executable) for line in make_run.printed if line.startswith("export ")
    ]
    curls = [line for line in make_run.printed if line.startswith("curl ")]
    assert "export ADMIN_KEY=fixed-admin-key" in exports
    assert len(curls) >= 6

    outputs = []
    for curl in curls:
        script = "\n".join([*exports, curl.replace("curl -s", "curl -s -w '\\n%{http_code}'", 1)])
        done = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=30)
        body, status = done.stdout.rsplit("\n", 1)
        outputs.append((curl, int(status), json.loads(body)))

    for curl, status, body in outputs:
        assert status in (200, 201), (curl, status, body)
        assert "error" not in body, (curl, body)
    earned = next(body for curl, _, body in outputs if "/v1/transactions" in curl)
    assert earned["points"] == 25 and sum(line["points"] for line in earned["breakdown"]) == 25
    # A new user signed up to the member pool, enrolled online, and reads their own (empty) account
    enrolled = next(body for curl, _, body in outputs if "/v1/me/enrolment" in curl)
    newcomer = next(body for curl, _, body in outputs if "NEW_TOKEN" in curl and curl.endswith('/v1/me"'))
    assert newcomer["member_id"] == enrolled["member_id"] and newcomer["available_points"] == 0
    ana = next(body for curl, _, body in outputs if "MEMBER_TOKEN" in curl and curl.endswith('/v1/me"'))
    assert ana["card_number"] in " ".join(make_run.printed)
    signed_in = next(body for curl, _, body in outputs if "InitiateAuth" in curl)
    assert set(signed_in["AuthenticationResult"]) >= {"IdToken", "AccessToken", "RefreshToken"}
    statement = next(body for curl, _, body in outputs if "$FRESHMART_KEY" in curl and "/v1/settlements/" in curl)
    assert statement["partner_id"] == "freshmart" and statement["issued_points"] > 0


@pytest.mark.slow
def test_make_run_seeds_a_history_with_every_day_closed_and_serves_the_docs(make_run):
    today = datetime.now(timezone.utc).date()
    yesterday = (today - timedelta(days=1)).isoformat()
    closed = next(line for line in make_run.printed if line.startswith("Settlement days closed:"))
    first, last = closed.removeprefix("Settlement days closed: ").split(".")[0].strip(), closed.split(" .. ")[1][:10]
    assert first == (today - timedelta(days=DEMO_DAYS)).isoformat()
    # yesterday closes once its grace has passed (00:15 UTC): a run just after midnight closes the day before
    assert last == yesterday or (
        last == (today - timedelta(days=2)).isoformat() and datetime.now(timezone.utc).hour == 0
    )
    admin = make_run.exports["ADMIN_KEY"]

    status, day = make_run.call("GET", f"/v1/admin/settlements/{last}", admin)
    assert status == 200 and day["net_total"] == "0.00" and day["entries"] > 0, day
    status, first_day = make_run.call("GET", f"/v1/admin/settlements/{first}", admin)
    assert status == 200 and first_day["partners"]["freshmart"]["issued_points"] > 0
    summary = next(line for line in make_run.printed if line.startswith("Demo history:"))
    assert " purchases, " in summary and " s: 27 members" in summary
    with urllib.request.urlopen(f"http://127.0.0.1:{make_run.api_port}/v1/docs", timeout=30) as page:
        assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
        assert b"docs/assets/swagger-ui-bundle.js" in page.read()


@pytest.mark.slow
def test_the_operator_cli_works_against_make_run(make_run):
    env = {
        **os.environ,
        "COALITION_API_URL": f"http://127.0.0.1:{make_run.api_port}",
        "COALITION_OPERATOR_KEY": make_run.exports["ADMIN_KEY"],
        "COLUMNS": "200",
    }
    last = next(line for line in make_run.printed if line.startswith("Settlement days closed:")).split(" .. ")[1][:10]

    def coalition(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "toolbox", *args]
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    reconciled = coalition("reconcile")
    assert reconciled.returncode == 0 and "all invariants hold" in reconciled.stdout, reconciled.stderr
    shown = coalition("settlements", "show", last)
    assert shown.returncode == 0 and f"Settlement {last}" in shown.stdout and "freshmart" in shown.stdout
    again = coalition("days", "close", "--to", last)
    assert again.returncode == 0 and "0 now, 1 already closed" in again.stdout
    refused = coalition("partners", "show", "nobody")
    assert refused.returncode == 1 and refused.stderr.strip().startswith("error 404 not_found")


@pytest.mark.slow
@pytest.mark.concurrency
def test_parallel_http_requests_on_one_member_apply_as_on_aws(make_run):
    keys = make_run.exports
    shop, cinema, admin = keys["FRESHMART_KEY"], keys["CINEMAX_KEY"], keys["ADMIN_KEY"]

    # Given a new member with exactly 300 points: 100.00 at rate 1, plus the first-purchase bonus of 200
    status, enrolled = make_run.call("POST", "/v1/members", shop, {"email": "race@example.com"})
    assert status == 201, enrolled
    member = {"card_number": enrolled["card_number"]}
    status, earned = make_run.call("POST", "/v1/transactions", shop, purchase("race-0", member, "100.00"))
    assert (status, earned["points"], earned["available_points"]) == (201, 300, 300), earned

    # When 12 redemptions of 30 race each other
    def redeem(n: int) -> tuple[int, Any]:
        body = {"redemption_id": f"race-r{n}", "member": member, "points": 30}
        return make_run.call("POST", "/v1/redemptions", cinema, body)

    with ThreadPoolExecutor(max_workers=12) as pool:
        redemptions = list(pool.map(redeem, range(12), timeout=120))

    # Then exactly 10 succeed, each leaving a different balance, and 2 find nothing left
    assert sorted(status for status, _ in redemptions) == [201] * 10 + [422] * 2
    assert sorted(body["available_points"] for status, body in redemptions if status == 201) == list(range(0, 300, 30))
    assert [body["error"]["code"] for status, body in redemptions if status == 422] == ["insufficient_points"] * 2

    # When 6 earns of 10 points and 8 holds of 10 points race on the emptied wallet
    def earn_or_hold(n: int) -> tuple[str, int, Any]:
        if n % 2 == 0 and n < 12:
            return (
                "earn",
                *make_run.call("POST", "/v1/transactions", shop, purchase(f"race-{n + 1}", member, "10.00")),
            )
        return (
            "hold",
            *make_run.call("POST", "/v1/holds", cinema, {"hold_id": f"race-h{n}", "member": member, "points": 10}),
        )

    with ThreadPoolExecutor(max_workers=14) as pool:
        mixed = list(pool.map(earn_or_hold, range(14), timeout=120))

    # Then every earn lands, a hold succeeds only against points already earned, and nothing is lost
    assert [(kind, status, body["points"]) for kind, status, body in mixed if kind == "earn"] == [("earn", 201, 10)] * 6
    held = [body for kind, status, body in mixed if kind == "hold" and status == 201]
    refused = [body for kind, status, body in mixed if kind == "hold" and status != 201]
    assert len(held) + len(refused) == 8 and len(held) <= 6
    assert {body["error"]["code"] for body in refused} <= {"insufficient_points"}
    token = subprocess.run(  # the member signs up to the member pool with the email the till enrolled, and claims
        [sys.executable, "-m", "localdev.members", "sign-up", "race@example.com", "Race-secret-9"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    status, claimed = make_run.call("POST", "/v1/me/claims", token, {"card_number": enrolled["card_number"]})
    assert (status, claimed["member_id"]) == (201, enrolled["member_id"]), claimed
    status, me = make_run.call("GET", "/v1/me", token)
    assert (me["available_points"], me["held_points"]) == (60 - 10 * len(held), 10 * len(held))

    status, report = make_run.call("GET", "/v1/admin/reconciliation", admin)
    assert status == 200 and report["ok"] is True, report


@pytest.mark.slow
def test_chalice_local_refuses_a_method_or_media_type_in_the_contract_shape(make_run):
    key = make_run.exports["CINEMAX_KEY"]
    body = {"redemption_id": "shape-1", "member": {"email": "ana@example.com"}, "points": 1}

    status, _, answer = make_run.exchange("POST", "/v1/redemptions", key, body, content_type="text/plain")

    assert status == 415
    assert answer == {
        "error": {
            "code": "unsupported_media_type",
            "message": "Content-Type text/plain is not accepted: send the body as application/json",
        }
    }

    status, headers, answer = make_run.exchange("DELETE", "/v1/redemptions", key)

    assert (status, headers.get("Allow")) == (405, "POST, GET")  # a partner posts and lists its redemptions
    assert answer == {
        "error": {
            "code": "method_not_allowed",
            "message": "DELETE is not a method of /v1/redemptions; it has POST, GET",
        }
    }


def purchase(transaction_id: str, member: dict[str, str], amount: str) -> dict[str, Any]:
    occurred_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "transaction_id": transaction_id,
        "member": member,
        "amount": amount,
        "currency": "EUR",
        "occurred_at": occurred_at,
        "channel": "store",
    }


CHROMIUM = "/usr/bin/chromium"  # Debian's package (make test installs it): playwright downloads no browser
# As the machine's probe starts it: no sandbox as root, and nothing that calls Google's hosts from a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "build"


def printed_statement_link(stack: LocalStack) -> tuple[str, str]:
    """The statement period and link make run printed (the line after the one that names the period)."""
    lines = stack.printed
    heading = next(n for n, line in enumerate(lines) if line.startswith("FreshMart's statement page of "))
    period = lines[heading].removeprefix("FreshMart's statement page of ").split(" ")[0]
    return period, lines[heading + 1]


@pytest.mark.slow
def test_the_demo_statement_page_opens_from_its_link_in_a_browser_with_the_json_statements_figures(make_run):
    from playwright.sync_api import sync_playwright

    period, link = printed_statement_link(make_run)
    status, statement = make_run.call("GET", f"/v1/settlements/{period}", make_run.exports["FRESHMART_KEY"])
    assert status == 200 and statement["period"] == period
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            opened = page.goto(link)  # no header, no key: the link alone
            assert opened is not None and opened.status == 200

            figures = {
                element.get_attribute("data-figure"): element.get_attribute("data-value")
                for element in page.query_selector_all("[data-figure][data-value]")
            }
            assert figures["net"] == statement["net"]
            assert (figures["receivable"], figures["payable"]) == (statement["receivable"], statement["payable"])
            assert figures["outstanding_points"] == str(statement["outstanding_points"])
            assert figures["issued_points"] == str(statement["issued_points"])
            assert figures["returned_points"] == str(statement["returned_points"])
            assert figures["expired_points"] == str(statement["expired_points"])
            assert figures["redeemed_here_points"] == str(sum(statement["redeemed_here"].values()))
            assert figures["fees"] == statement["fees"]
            # FreshMart's tills sold paid memberships on the history's first day (four: localdev/history.py): their fees
            assert statement["memberships_sold"] >= 4 and Decimal(statement["membership_fees"]) > 0
            assert figures["memberships_sold"] == str(statement["memberships_sold"])
            assert figures["membership_fees"] == statement["membership_fees"]
            shown_net = page.inner_text('[data-figure="net"]')  # what a person reads: grouped, with the currency
            assert shown_net == f"{Decimal(statement['net']):,.2f} {statement['currency']}"
            days = page.query_selector_all("tr[data-day]")
            assert len(days) == len(statement_days(period)) and page.locator("svg").count() == 2
            page.screenshot(path=str(SCREENSHOTS / "statement.png"), full_page=True)
            assert requested == [link]  # the page needed nothing else: no script, style, font or image

            expired = page.goto(expired_variant(link))
            assert expired is not None and expired.status == 403
            assert "Request has expired" in page.content()
        finally:
            browser.close()


def statement_days(period: str) -> list[str]:
    first, last = (datetime.fromisoformat(day).date() for day in period.split(".."))
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def expired_variant(link: str) -> str:
    """The same object presigned as the API presigns it, but a week ago for a day: as a link looks once expired."""
    from unittest import mock

    import boto3
    from botocore.config import Config

    parts = urllib.parse.urlsplit(link)
    bucket, key = urllib.parse.unquote(parts.path).lstrip("/").split("/", 1)
    s3 = boto3.client(
        "s3",
        endpoint_url=f"{parts.scheme}://{parts.netloc}",
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(signature_version="s3v4"),
    )
    a_week_ago = (datetime.now(timezone.utc) - timedelta(days=7)).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=a_week_ago):
        return s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=86400)


@pytest.mark.slow
def test_the_api_reference_page_renders_in_a_browser_from_the_apis_own_files(make_run):
    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{make_run.api_port}"
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{base}/v1/docs")
            page.wait_for_selector(".opblock", timeout=30_000)  # Swagger UI drew the operations
            operations = page.locator(".opblock").count()
            page.screenshot(path=str(SCREENSHOTS / "docs.png"))
        finally:
            browser.close()
    document = json.loads(urllib.request.urlopen(f"{base}/v1/openapi.json", timeout=30).read())
    # Swagger UI lists an operation under each of its tags (the audiences that may call it)
    assert operations == sum(len(op["tags"]) for methods in document["paths"].values() for op in methods.values())
    assert requested and all(url.startswith(base) for url in requested), requested  # no CDN, nothing outside
