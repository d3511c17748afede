"""Local-stage conveniences. Registered by app.py on the local stage only."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from ..domain.errors import NotFound
from ..services.members import member_overview
from ..services.requests import MemberTokenRequest
from .responses import MemberToken
from .routing import Call, endpoint

dev_api = Blueprint(__name__)


@endpoint(dev_api, "/v1/dev/member-token", "POST", audience="operator", status=201, response=MemberToken)
def member_token(call: Call, body: MemberTokenRequest) -> dict[str, Any]:
    """Local stage only: mint a member token."""
    if not call.rt.settings.is_local:  # defence in depth: app.py does not even register this elsewhere
        raise NotFound("no such route")
    member_overview(call.rt, body.member_id)  # 404 for an unknown member
    token = call.container.member_keys.mint(body.member_id)
    return {"member_id": body.member_id, "token": token, "token_type": "Bearer", "expires_in": 3600}
