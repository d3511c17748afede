"""Partner webhooks: register an HTTPS endpoint and its secret for some events, list them, delete one."""

from __future__ import annotations

import json

from chalice.app import Blueprint, Response

from ..domain.program import KeyScope
from ..services import webhooks
from ..services.operations import Reply
from ..services.requests import WebhookRequest
from .responses import WebhookList, WebhookView
from .routing import Call, Link, endpoint

webhooks_api = Blueprint(__name__)

# Where the partner's events go and the secret that signs them: an admin key's business, not a till's or finance's.
ADMIN_ONLY: tuple[KeyScope, ...] = ()


@endpoint(
    webhooks_api,
    "/v1/webhooks",
    "POST",
    audience="partner",
    scopes=ADMIN_ONLY,
    status=201,
    response=WebhookView,
    links=(Link("delete_webhook", {"path.webhook_id": "webhook_id"}),),
)
def register_webhook(call: Call, body: WebhookRequest) -> Reply:
    """Register an endpoint for events (once per webhook_id: the same body answers the same; the secret is never
    shown again). Deliveries are signed: X-Coalition-Signature = sha256=<hex HMAC-SHA256 of the body>."""
    webhook, created = webhooks.register_webhook(call.rt, call.partner_id, body)
    return Reply(201, json.dumps(webhook.public(), separators=(",", ":")), replayed=not created)


@endpoint(webhooks_api, "/v1/webhooks", "GET", audience="partner", response=WebhookList, scopes=ADMIN_ONLY)
def list_webhooks(call: Call) -> dict[str, object]:
    """This partner's endpoints (at most 10), without their secrets."""
    return {"webhooks": [w.public() for w in webhooks.list_webhooks(call.rt, call.partner_id)]}


@endpoint(webhooks_api, "/v1/webhooks/{webhook_id}", "DELETE", audience="partner", status=204, scopes=ADMIN_ONLY)
def delete_webhook(call: Call, webhook_id: str) -> Response:
    """Delete an endpoint: deliveries still queued for it are dropped."""
    webhooks.delete_webhook(call.rt, call.partner_id, webhook_id)
    return Response(body="", status_code=204)
