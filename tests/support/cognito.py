"""The member user pool in moto: users signing in for real (tokens moto's Cognito issues), the pool's published
keys served on 127.0.0.1 for the verifier to fetch, and tokens signed
with the pool's own key but claims a test chooses (expired, another client, …)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import jwt
from moto.utilities.utils import load_resource

from chalicelib.settings import Settings

PASSWORD = "Correct-horse-9"


@contextmanager
def served_pool_keys() -> Iterator[str]:
    """The JWKS moto's Cognito publishes at <issuer>/.well-known/jwks.json, served on 127.0.0.1 (moto's in-process
    mock answers boto3 calls, not an HTTP download): the URL for MEMBER_JWKS_URL."""
    keys = json.dumps(load_resource("cognitoidp/resources/jwks-public.json")).encode()

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(keys)))
            self.end_headers()
            self.wfile.write(keys)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def sign_up(settings: Settings, email: str, *, phone: str | None = None, verified: bool = True) -> str:
    """A confirmed user of the member pool (as after the emailed code), signed in: their id token."""
    cognito = boto3.client("cognito-idp", region_name=settings.region)
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": str(verified).lower()}]
    if phone is not None:
        attributes += [{"Name": "phone_number", "Value": phone}, {"Name": "phone_number_verified", "Value": "true"}]
    cognito.admin_create_user(
        UserPoolId=settings.member_user_pool_id, Username=email, UserAttributes=attributes, MessageAction="SUPPRESS"
    )
    cognito.admin_set_user_password(
        UserPoolId=settings.member_user_pool_id, Username=email, Password=PASSWORD, Permanent=True
    )
    return sign_in(settings, email)["IdToken"]


def sign_in(settings: Settings, email: str, password: str = PASSWORD, client_id: str | None = None) -> dict[str, Any]:
    """USER_PASSWORD_AUTH against the pool: {IdToken, AccessToken, RefreshToken, ExpiresIn, …}."""
    cognito = boto3.client("cognito-idp", region_name=settings.region)
    reply = cognito.initiate_auth(
        ClientId=client_id or settings.member_app_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return reply["AuthenticationResult"]  # type: ignore[no-any-return]


def pool_signed(settings: Settings, **claims: Any) -> str:
    """A token signed with the pool's key (moto's), an id token for the member app unless `claims` say otherwise."""
    now = int(time.time())
    payload = {
        "iss": settings.member_token_issuer,
        "sub": str(uuid.uuid4()),
        "aud": settings.member_app_client_id,
        "token_use": "id",
        "iat": now,
        "exp": now + 3600,
        **claims,
    }
    payload = {name: value for name, value in payload.items() if value is not None}  # None: leave the claim out
    key = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json")).key
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": "dummy"})


def with_member_pool(settings: Settings, keys_url: str) -> Settings:
    """`settings` with a member pool created in the moto running now (tests that start their own moto per example)."""
    from localdev.infra import create_member_pool

    pool = create_member_pool(settings.region)
    update = {
        "member_user_pool_id": pool.user_pool_id,
        "member_app_client_id": pool.app_client_id,
        "member_jwks_url": keys_url,
    }
    return settings.model_copy(update=update)
