"""The app as a partner, member or operator calls it, through chalice's test client."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import jwt

from .aws import ADMIN_KEY

PROGRAM = {
    "currency": "EUR",
    "point_value": "0.01",
    "expiry_months": 24,
    "tier_metric": "qualifying_points",
    "tiers": [
        {"name": "member", "threshold": 0, "earn_multiplier": "1"},
        {"name": "silver", "threshold": 2000, "earn_multiplier": "1.25"},
        {"name": "gold", "threshold": 5000, "earn_multiplier": "1.5"},
    ],
}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def error_code(self) -> str | None:
        body = self.json
        return body.get("error", {}).get("code") if isinstance(body, dict) else None

    @property
    def replayed(self) -> bool:
        return {k.lower(): v for k, v in self.headers.items()}.get("idempotent-replay") == "true"


class ApiClient:
    def __init__(self, client: Any, container: Any) -> None:
        self._client = client
        self.container = container

    @property
    def http(self) -> Any:
        """chalice's test HTTP client, for tools that bring their own requests (tests/support/wsgi.py)."""
        return self._client.http

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        raw: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (None if body is None else json.dumps(body))
        response = getattr(self._client.http, method.lower())(path, headers=sent, body=payload)
        return Reply(response.status_code, dict(response.headers), response.body)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, body=body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("PUT", path, body=body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.request("DELETE", path, **kw)


@dataclass
class Member:
    member_id: str
    card_number: str
    sign_in: Callable[[], str] = field(repr=False)

    @cached_property
    def token(self) -> str:
        """An id token of the member's user in the member pool (signed up and linked on first use)."""
        return self.sign_in()


class Coalition:
    """Factories: a programme, partners with keys, members with tokens, purchases."""

    admin = ADMIN_KEY

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self._ids = itertools.count(1)
        self.program_set = False

    def program(self, **changes: Any) -> dict[str, Any]:
        reply = self.api.put("/v1/admin/program", {**PROGRAM, **changes}, token=self.admin)
        assert reply.status == 200, reply.json
        self.program_set = True
        return reply.json

    def partner(self, partner_id: str, earn_rate: str = "1", currency: str = "EUR", **extra: Any) -> str:
        """Creates the partner and returns a fresh API key for it."""
        if not self.program_set:
            self.program()
        body = {
            "partner_id": partner_id,
            "name": partner_id.title(),
            "currency": currency,
            "earn_rate": earn_rate,
            **extra,
        }
        reply = self.api.post("/v1/admin/partners", body, token=self.admin)
        assert reply.status == 201, reply.json
        return self.key(partner_id)

    def key(self, partner_id: str, scope: str | None = None) -> str:
        """A new key of the partner: an admin key (every partner route) unless a scope is named."""
        body = None if scope is None else {"scope": scope}
        reply = self.api.post(f"/v1/admin/partners/{partner_id}/keys", body, token=self.admin)
        assert reply.status == 201, reply.json
        return reply.json["api_key"]

    def member(self, partner_key: str, **identity: Any) -> Member:
        reply = self.api.post(
            "/v1/members", identity or {"email": f"member{next(self._ids)}@example.com"}, token=partner_key
        )
        assert reply.status == 201, reply.json
        member_id = reply.json["member_id"]
        return Member(member_id, reply.json["card_number"], lambda: self.user_of(member_id))

    def user_of(self, member_id: str) -> str:
        """A user of the member pool linked to the member, signed in: their id token. The user's email is a new one
        (the member may have been enrolled with none), so the link is written as a claim writes it."""
        from chalicelib.services.identity import link_user
        from tests.support.cognito import sign_up

        settings = self.api.container.settings
        token = sign_up(settings, f"user-{member_id}@example.com")
        subject = jwt.decode(token, options={"verify_signature": False})["sub"]
        link_user(self.api.container.runtime, member_id, subject)
        return token

    def purchase(self, partner_key: str, member: Member, amount: str, **extra: Any) -> Reply:
        body = {
            "transaction_id": extra.pop("transaction_id", f"t-{next(self._ids)}"),
            "member": {"member_id": member.member_id},
            "amount": amount,
            "currency": extra.pop("currency", "EUR"),
            "occurred_at": extra.pop("occurred_at", "2026-11-23T09:00:00Z"),
            "channel": extra.pop("channel", "store"),
            **extra,
        }
        return self.api.post("/v1/transactions", body, token=partner_key)

    def sale(self, partner_key: str, amount: str, transaction_id: str, **extra: Any) -> Reply:
        """A sale without a member (extra fields, a `member` among them, go into the body as given)."""
        body = {
            "transaction_id": transaction_id,
            "amount": amount,
            "currency": "EUR",
            "occurred_at": "2026-11-23T09:00:00Z",
            "channel": "store",
            **extra,
        }
        return self.api.post("/v1/transactions", body, token=partner_key)

    def redeem(self, partner_key: str, member: Member, points: int, redemption_id: str | None = None) -> Reply:
        body = {
            "redemption_id": redemption_id or f"r-{next(self._ids)}",
            "member": {"card_number": member.card_number},
            "points": points,
        }
        return self.api.post("/v1/redemptions", body, token=partner_key)

    def me(self, member: Member) -> dict[str, Any]:
        reply = self.api.get("/v1/me", token=member.token)
        assert reply.status == 200, reply.json
        return reply.json
