"""Chalice entry points: wiring only. Routes live in chalicelib/api, jobs in chalicelib/jobs."""

import os

from aws_lambda_powertools.logging import correlation_paths
from chalice import ConvertToMiddleware, Cron, Rate

from chalicelib.api.application import CoalitionApp, contract_shaped_errors
from chalicelib.bootstrap import Container
from chalicelib.observability import logger, metrics

# The jobs (chalicelib/jobs) are imported by the functions that run them, not here: the API function never needs
# them, and each job function needs only its own (issue 11: cold starts).

app = CoalitionApp(app_name="coalition")  # the request being served is kept per thread
app.container = Container()  # built lazily on first use; tests put their own

app.register_middleware(
    ConvertToMiddleware(
        logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    )
)
app.register_middleware(ConvertToMiddleware(metrics.log_metrics))
app.register_middleware(contract_shaped_errors, "http")


def register_routes() -> None:
    """The API's routes, imported and registered when the routes are first read (CoalitionApp.routes_from): the
    other functions import this file too, and never serve a route."""
    from chalicelib.api.blueprints import blueprints

    for blueprint in blueprints():
        app.register_blueprint(blueprint)


app.routes_from(register_routes)


@app.schedule(Rate(5, unit=Rate.MINUTES))
def sweep_holds(event):
    """Release expired holds: one queue message per shard."""
    from chalicelib.jobs import dispatch

    return dispatch.fan_out(app.container.runtime, "hold-sweep")


@app.schedule(Cron(30, 0, "*", "*", "?", "*"))
def review_tiers(event):
    """Daily tier review (00:30 UTC): one queue message per shard of the members due."""
    from chalicelib.jobs import dispatch

    return dispatch.fan_out(app.container.runtime, "tier-review")


@app.schedule(Cron(45, 0, "*", "*", "?", "*"))
def expire_points(event):
    """Daily expiry (00:45 UTC): points whose validity ended yesterday, and open vouchers past their last day;
    one message per shard of each."""
    from chalicelib.jobs import dispatch

    return [dispatch.fan_out(app.container.runtime, job) for job in ("expiry", "voucher-expiry")]


@app.schedule(Cron(15, 0, "*", "*", "?", "*"))
def renew_memberships(event):
    """Daily (00:15 UTC): paid memberships whose period ended are renewed (their seller charges the fee) or lapse;
    one message per shard of the members due."""
    from chalicelib.jobs import dispatch

    return dispatch.fan_out(app.container.runtime, "membership-renewal")


@app.schedule(Rate(1, unit=Rate.HOURS))
def close_settlement_days(event):
    """Close every settlement day that is due (its grace after midnight UTC has passed), catching up."""
    from chalicelib.jobs import dispatch

    return dispatch.close_due_settlements(app.container.runtime)


@app.on_sqs_message(queue="coalition-jobs", batch_size=1)
def run_job_shard(event):
    """Run one shard of a fanned-out job."""
    from chalicelib.jobs import dispatch

    for record in event:
        dispatch.run_message(app.container.runtime, record.body)


@app.schedule(Cron(0, 1, "*", "*", "?", "*"))
def announce_expiring_points(event):
    """Daily (01:00 UTC): points.expiring to the issuers of points ending within 30 days, members who consented."""
    from chalicelib.jobs import dispatch, webhook_outbox

    return dispatch.fan_out(app.container.runtime, webhook_outbox.EXPIRING)


# Chalice needs a literal ARN here; infra/resources.json replaces it in the package with the ledger table's
# StreamArn (as it gives RunJobShard its queue), since the stream's ARN is only known once the stack exists.
@app.on_dynamodb_record(stream_arn="arn:aws:dynamodb:eu-west-1:000000000000:table/ledger/stream/set-by-infra")
def ledger_to_webhooks(event):
    """The ledger's stream is the outbox: new entries worth an event become webhook deliveries (not the request)."""
    from chalicelib.jobs import webhook_outbox

    images = [record.new_image for record in event if record.event_name == "INSERT" and record.new_image]
    webhook_outbox.from_stream(app.container.runtime, images)


@app.on_sqs_message(queue="coalition-webhooks", batch_size=1)
def deliver_webhook(event):
    """Post one delivery to its endpoint (signed); a failure is re-queued with backoff, then dead-lettered."""
    from chalicelib.jobs import webhook_delivery

    for record in event:
        webhook_delivery.deliver(app.container.runtime, record.body)


def prepare(handler: str) -> None:
    """What this function's first event would build, built in Lambda's init phase instead (before the first event
    arrives; AWS's advice for SDK clients, and with provisioned concurrency before any event). The API function:
    its routes, the DynamoDB client, the member pool's keys and the programme's configuration (read through the
    cache, which forgets it after its time as always); the others: the DynamoDB client. Best effort: what fails
    here, the first event builds again (and answers as it would have).

    Only in Lambda (its handler setting, _HANDLER, says which function this is): imported elsewhere (tests,
    chalice local and package, bench/cold_start.py's import figure), app.py builds nothing."""
    try:
        api = handler == "app.app"
        if api:
            app.load_routes()
            app.container.member_keys.prepare()
        app.container.prepare(configuration=api)
    except Exception:  # noqa: BLE001 - e.g. settings the stage lacks: the first event reports it as it always did
        logger.exception("Lambda init: not prepared; the first event builds it")


if os.environ.get("_HANDLER", "").startswith("app."):
    prepare(os.environ["_HANDLER"])
