"""The `coalition` commands: each one an operator endpoint (API.md), its answer rendered, an error as one line
(status, code, message) and a non-zero exit code."""

from __future__ import annotations

import json
import webbrowser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .client import Api, ApiError, Unreachable
from .export import write_export
from .render import key_table, partners_table, reconciliation_table, settlement_tables

app = typer.Typer(help="Operate a coalition stage over its API (COALITION_API_URL, COALITION_OPERATOR_KEY).")
partners_app = typer.Typer(help="Onboard, list and suspend partners.")
keys_app = typer.Typer(help="Issue and revoke partners' API keys.")
program_app = typer.Typer(help="The programme: put it from a file, show the published one.")
days_app = typer.Typer(help="Close settlement days.")
jobs_app = typer.Typer(help="Run the scheduled jobs now.")
settlements_app = typer.Typer(help="Read and export closed settlement periods.")
wallet_app = typer.Typer(help="Read stored items for debugging (no API call).")
for name, sub in (
    ("partners", partners_app),
    ("keys", keys_app),
    ("program", program_app),
    ("days", days_app),
    ("jobs", jobs_app),
    ("settlements", settlements_app),
    ("wallet", wallet_app),
):
    app.add_typer(sub, name=name)

out = Console()
err = Console(stderr=True)
T = TypeVar("T")
JOBS = ("tier-review", "expiry", "hold-sweep", "voucher-expiry", "tier-reevaluation", "membership-renewal")
POLL_SECONDS = 1.0


@app.callback()
def connect(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Option(help="the API (default: $COALITION_API_URL or the local stage)")] = None,
    key: Annotated[str | None, typer.Option(help="the operator key (default: $COALITION_OPERATOR_KEY)")] = None,
) -> None:
    if not isinstance(ctx.obj, Api):  # tests hand in an Api of their own
        ctx.obj = Api.from_env(url, key)


def api_of(ctx: typer.Context) -> Api:
    assert isinstance(ctx.obj, Api)
    return ctx.obj


def attempt(action: Callable[[], T]) -> T:
    """Run an API call; a refusal or no answer ends the command with one readable line and exit code 1 (2)."""
    try:
        return action()
    except ApiError as error:
        err.print(f"[red]error[/red] {error.line()}", markup=True, highlight=False)
        raise typer.Exit(1) from None
    except Unreachable as error:
        err.print(f"[red]error[/red] {error}", highlight=False)
        raise typer.Exit(2) from None


def show_json(value: Any) -> None:
    out.print_json(json.dumps(value))


# ---- partners ---------------------------------------------------------------------------------------------
@partners_app.command("create")
def partners_create(
    ctx: typer.Context,
    partner_id: str,
    name: Annotated[str, typer.Option(help="the brand's name")],
    currency: Annotated[str, typer.Option()] = "EUR",
    earn_rate: Annotated[str | None, typer.Option(help='points per currency unit, e.g. "1"')] = None,
    cashback_percent: Annotated[str | None, typer.Option(help="or a %% back, e.g. 2")] = None,
    category_rate: Annotated[list[str] | None, typer.Option(help="CATEGORY=RATE, repeatable: fuel=0.5")] = None,
    fee_per_point: Annotated[str | None, typer.Option(help="what the partner pays the operator per point")] = None,
) -> None:
    """Onboard a partner (POST /v1/admin/partners)."""
    body: dict[str, Any] = {"partner_id": partner_id, "name": name, "currency": currency}
    optional = {"earn_rate": earn_rate, "cashback_percent": cashback_percent, "fee_per_point": fee_per_point}
    body.update({k: v for k, v in optional.items() if v is not None})
    if category_rate:
        body["category_rates"] = dict(pair.split("=", 1) for pair in category_rate)
    created = attempt(lambda: api_of(ctx).call("POST", "/v1/admin/partners", body).json)
    out.print(partners_table([created], f"Partner {partner_id} created"))


@partners_app.command("list")
def partners_list(ctx: typer.Context) -> None:
    """The active partners as published (GET /v1/program): there is no operator listing of every partner yet."""
    program = attempt(lambda: api_of(ctx).get("/v1/program"))
    out.print(partners_table(program["partners"], f"{len(program['partners'])} active partners"))


@partners_app.command("show")
def partners_show(ctx: typer.Context, partner_id: str) -> None:
    """A partner's profile (GET /v1/admin/partners/{id})."""
    show_json(attempt(lambda: api_of(ctx).get(f"/v1/admin/partners/{partner_id}")))


@partners_app.command("suspend")
def partners_suspend(ctx: typer.Context, partner_id: str) -> None:
    """Suspend a partner: its keys stop working (PATCH status suspended)."""
    _set_status(ctx, partner_id, "suspended")


@partners_app.command("reactivate")
def partners_reactivate(ctx: typer.Context, partner_id: str) -> None:
    """Make a suspended partner active again."""
    _set_status(ctx, partner_id, "active")


def _set_status(ctx: typer.Context, partner_id: str, status: str) -> None:
    changed = attempt(lambda: api_of(ctx).call("PATCH", f"/v1/admin/partners/{partner_id}", {"status": status}).json)
    out.print(f"{partner_id}: {changed.get('status', status)}")


# ---- keys -------------------------------------------------------------------------------------------------
@keys_app.command("issue")
def keys_issue(
    ctx: typer.Context,
    partner_id: str,
    scope: Annotated[str | None, typer.Option(help="till | finance | admin (sent only when given)")] = None,
) -> None:
    """Issue an API key; the secret is shown this once."""
    body = None if scope is None else {"scope": scope}
    issued = attempt(lambda: api_of(ctx).call("POST", f"/v1/admin/partners/{partner_id}/keys", body).json)
    out.print(key_table(issued))


@keys_app.command("revoke")
def keys_revoke(ctx: typer.Context, partner_id: str, key_id: str) -> None:
    """Revoke one of a partner's keys."""
    attempt(lambda: api_of(ctx).call("DELETE", f"/v1/admin/partners/{partner_id}/keys/{key_id}"))
    out.print(f"revoked {key_id} of {partner_id}")


# ---- program ----------------------------------------------------------------------------------------------
@program_app.command("put")
def program_put(ctx: typer.Context, file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Replace the whole programme with a JSON file's (PUT /v1/admin/program)."""
    try:
        document = json.loads(file.read_text())
    except ValueError as error:
        err.print(f"[red]error[/red] {file} is not JSON: {error}", highlight=False)
        raise typer.Exit(1) from None
    saved = attempt(lambda: api_of(ctx).call("PUT", "/v1/admin/program", document).json)
    out.print(f"programme saved: {len(saved.get('tiers', []))} tiers, points valid {saved.get('expiry_months')} months")


@program_app.command("show")
def program_show(ctx: typer.Context) -> None:
    """The published programme (GET /v1/program)."""
    show_json(attempt(lambda: api_of(ctx).get("/v1/program")))


# ---- days -------------------------------------------------------------------------------------------------
@days_app.command("close")
def days_close(
    ctx: typer.Context,
    from_: Annotated[str | None, typer.Option("--from", help="first day (default: --to)")] = None,
    to: Annotated[str | None, typer.Option(help="last day (default: yesterday, UTC)")] = None,
) -> None:
    """Close each day from..to in order (days close in order; a closed day answers as it was: counted apart)."""
    last = _day(to) if to else datetime.now(timezone.utc).date() - timedelta(days=1)
    first = _day(from_) if from_ else last
    if first > last:
        err.print(f"[red]error[/red] --from {first} is after --to {last}", highlight=False)
        raise typer.Exit(1)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    closed = already = 0
    with progress_bar() as bar:
        task = bar.add_task("closing days", total=len(days))
        for day in days:
            bar.update(task, description=f"closing {day}")
            answer = attempt(lambda d=day: api_of(ctx).call("POST", f"/v1/admin/settlements/{d}/close"))  # type: ignore[misc]
            already += answer.replayed
            closed += not answer.replayed
            bar.advance(task)
    out.print(f"{len(days)} days closed ({first} .. {last}): {closed} now, {already} already closed")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        err.print(f"[red]error[/red] {text!r} is not a day (YYYY-MM-DD)", highlight=False)
        raise typer.Exit(1) from None


# ---- jobs -------------------------------------------------------------------------------------------------
@jobs_app.command("run")
def jobs_run(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(help=" | ".join(JOBS))],
    as_of: Annotated[str | None, typer.Option(help="the day a dated job runs for (default: today)")] = None,
) -> None:
    """Run a scheduled job now (POST /v1/admin/jobs/{job}); a job the API tracks is followed to its end."""
    body = {} if as_of is None else {"as_of": as_of}
    with progress_bar() as bar:
        task = bar.add_task(f"{job}", total=None)
        started = attempt(lambda: api_of(ctx).call("POST", f"/v1/admin/jobs/{job}", body).json)
        if started.get("inline"):  # no queue (the local stage): every shard ran within the call
            bar.update(task, total=started["shards"], completed=started["shards"])
        else:
            follow(api_of(ctx), started["job_id"], bar, task)
    processed = started.get("processed")
    out.print(
        f"{started['job_id']}: {started['shards']} shards"
        + (f", {processed} processed" if processed is not None else ", queued")
    )


@jobs_app.command("watch")
def jobs_watch(ctx: typer.Context, job_id: str) -> None:
    """Follow a tracked job (a grant's: GET /v1/admin/jobs/{job_id}) until it is done."""
    with progress_bar() as bar:
        task = bar.add_task(job_id, total=None)
        progress = follow(api_of(ctx), job_id, bar, task)
    show_json(progress)


def follow(api: Api, job_id: str, bar: Progress, task: Any, sleep: Callable[[float], None] | None = None) -> Any:
    """Poll the job's progress where the API keeps one; a job it does not track (404) is reported queued."""
    import time

    wait = sleep or time.sleep
    while True:
        try:
            progress = api.get(f"/v1/admin/jobs/{job_id}")
        except ApiError as error:
            if error.status == 404:
                bar.update(task, description=f"{job_id}: queued (this job's progress is not tracked)")
                return None
            raise
        bar.update(task, total=progress.get("total") or progress.get("shards"), completed=progress.get("done", 0))
        if progress.get("status") == "done":
            return progress
        wait(POLL_SECONDS)


# ---- settlements ------------------------------------------------------------------------------------------
@settlements_app.command("show")
def settlements_show(ctx: typer.Context, period: str) -> None:
    """A closed day or month for all parties: statements, net positions, payments."""
    document = attempt(lambda: api_of(ctx).get(f"/v1/admin/settlements/{period}"))
    for table in settlement_tables(document):
        out.print(table)


@settlements_app.command("export")
def settlements_export(
    ctx: typer.Context,
    month: str,
    out_dir: Annotated[Path, typer.Option("--out", help="directory to write into")] = Path("."),
) -> None:
    """The month's operator document (JSON) and each partner's statement (CSV), into --out."""
    api = api_of(ctx)
    document = attempt(lambda: api.get(f"/v1/admin/settlements/{month}"))

    def partner_csv(partner_id: str) -> str:
        return attempt(lambda: api.text(f"/v1/admin/settlements/{month}/statements/{partner_id}?format=csv"))

    for path in write_export(document, out_dir, partner_csv):
        out.print(f"wrote {path}")


@settlements_app.command("open")
def settlements_open(
    ctx: typer.Context,
    partner_id: str,
    period: str,
    out_file: Annotated[Path | None, typer.Option("--out", help="where to save the page")] = None,
    browser: Annotated[bool, typer.Option(help="open the saved page in the default browser")] = True,
) -> None:
    """A partner's statement page (a day, a month or FIRST..LAST), saved as one HTML file and opened."""
    page = attempt(lambda: api_of(ctx).text(f"/v1/admin/settlements/{period}/statements/{partner_id}?format=html"))
    path = out_file or Path(f"statement-{partner_id}-{period}.html")
    path.write_text(page)
    out.print(f"wrote {path}")
    if browser:
        webbrowser.open(path.resolve().as_uri())


# ---- reconciliation ---------------------------------------------------------------------------------------
@app.command()
def reconcile(ctx: typer.Context) -> None:
    """The ledger invariants checked live (GET /v1/admin/reconciliation, every page); exit code 1 if one fails."""
    pages: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        path = "/v1/admin/reconciliation" + (f"?cursor={quote(cursor)}" if cursor else "")
        pages.append(attempt(lambda p=path: api_of(ctx).get(p)))  # type: ignore[misc]
        cursor = pages[-1].get("next_cursor")
        if not cursor:
            break
    out.print(reconciliation_table(pages))
    ok = all(page["ok"] for page in pages)
    out.print("[green]all invariants hold[/green]" if ok else "[bold red]an invariant does not hold[/bold red]")
    if not ok:
        raise typer.Exit(1)


@wallet_app.command("decode")
def wallet_decode(
    item_file: Annotated[typer.FileText, typer.Argument(help="an item as `aws dynamodb get-item` prints it")] = "-",  # type: ignore[assignment]
) -> None:
    """A wallet's head or vault, or an operation record, as readable JSON: its packed attribute (`state`, `packed`)
    decoded, the other attributes as they are. Reads a file or stdin; calls nothing."""
    try:
        out.print_json(data=decoded_item(json.load(item_file)))
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        err.print(f"[red]not a stored item this command reads: {error}[/red]")
        raise typer.Exit(2) from None


def decoded_item(printed: dict[str, Any]) -> dict[str, Any]:
    import base64

    from boto3.dynamodb.types import TypeDeserializer

    from chalicelib.store.operations import unpack_answer
    from chalicelib.store.wallet_state import decode_state

    raw = printed.get("Item", printed)
    as_bytes = {  # the AWS CLI prints binaries in base64
        name: {"B": base64.b64decode(value["B"])} if isinstance(value.get("B"), str) else value
        for name, value in raw.items()
    }
    attributes = {name: TypeDeserializer().deserialize(value) for name, value in as_bytes.items()}
    decoded: dict[str, Any] = {}
    for name, value in attributes.items():
        if name == "state":
            decoded[name] = decode_state(bytes(value))
        elif name == "packed":
            decoded[name] = unpack_answer(bytes(value))
        else:
            decoded[name] = int(value) if isinstance(value, Decimal) and value == int(value) else value
    return decoded


@contextmanager
def progress_bar() -> Iterator[Progress]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as bar:  # stderr: stdout stays the result
        yield bar


def main() -> None:
    app(prog_name="coalition")
