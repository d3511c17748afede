"""Chalice entry points: wiring only. Routes live in chalicelib/api, jobs in chalicelib/jobs."""

from aws_lambda_powertools.logging import correlation_paths
from chalice import ConvertToMiddleware, Cron, Rate

from chalicelib.api.admin import admin_api
from chalicelib.api.application import CoalitionApp, contract_shaped_errors
from chalicelib.api.docs import docs_api
from chalicelib.api.member import member_api
from chalicelib.api.partner import partner_api
from chalicelib.api.public import public_api
from chalicelib.api.rewards import rewards_api
from chalicelib.api.settlements import settlement_api
from chalicelib.bootstrap import Container
from chalicelib.jobs import dispatch
from chalicelib.observability import logger, metrics

app = CoalitionApp(app_name="coalition")  # the request being served is kept per thread
app.container = Container()  # built lazily on first use; tests put their own

app.register_middleware(
    ConvertToMiddleware(
        logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    )
)
app.register_middleware(ConvertToMiddleware(metrics.log_metrics))
app.register_middleware(contract_shaped_errors, "http")

for blueprint in (public_api, docs_api, partner_api, member_api, rewards_api, admin_api, settlement_api):
    app.register_blueprint(blueprint)


@app.schedule(Rate(5, unit=Rate.MINUTES))
def sweep_holds(event):
    """Release expired holds: one queue message per shard."""
    return dispatch.fan_out(app.container.runtime, "hold-sweep")


@app.schedule(Cron(30, 0, "*", "*", "?", "*"))
def review_tiers(event):
    """Daily tier review (00:30 UTC): one queue message per shard of the members due."""
    return dispatch.fan_out(app.container.runtime, "tier-review")


@app.schedule(Cron(45, 0, "*", "*", "?", "*"))
def expire_points(event):
    """Daily expiry (00:45 UTC): points whose validity ended yesterday, and open vouchers past their last day;
    one message per shard of each."""
    return [dispatch.fan_out(app.container.runtime, job) for job in ("expiry", "voucher-expiry")]


@app.schedule(Rate(1, unit=Rate.HOURS))
def close_settlement_days(event):
    """Close every settlement day that is due (its grace after midnight UTC has passed), catching up."""
    return dispatch.close_due_settlements(app.container.runtime)


@app.on_sqs_message(queue="coalition-jobs", batch_size=1)
def run_job_shard(event):
    """Run one shard of a fanned-out job."""
    for record in event:
        dispatch.run_message(app.container.runtime, record.body)
