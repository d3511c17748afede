"""Chalice entry points: wiring only. Routes live in chalicelib/api, jobs in chalicelib/jobs."""

from aws_lambda_powertools.logging import correlation_paths
from chalice import ConvertToMiddleware, Cron, Rate

from chalicelib.api.admin import admin_api
from chalicelib.api.application import CoalitionApp, contract_shaped_errors
from chalicelib.api.docs import docs_api
from chalicelib.api.member import member_api
from chalicelib.api.partner import partner_api
from chalicelib.api.partner_reads import partner_reads_api
from chalicelib.api.public import public_api
from chalicelib.api.rewards import rewards_api
from chalicelib.api.settlements import settlement_api
from chalicelib.api.webhooks import webhooks_api
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

for blueprint in (
    public_api,
    docs_api,
    partner_api,
    partner_reads_api,
    member_api,
    rewards_api,
    admin_api,
    settlement_api,
    webhooks_api,
):
    app.register_blueprint(blueprint)


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
