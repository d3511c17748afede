"""Members of the local stage's user pool (Cognito in the embedded AWS): the demo's users, and a one-line helper that
signs a person up or in and prints their id token, as the member app would get it.

    .venv/bin/python -m localdev.members sign-in ana@example.com Demo-member-1
    .venv/bin/python -m localdev.members sign-up zoe@example.com Zoe-secret-9

`make run` writes where the pool is to .local/member-pool.json; this helper reads it from there.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3
import jwt
from botocore.exceptions import ClientError

POOL_FILE = Path(__file__).resolve().parent.parent / ".local" / "member-pool.json"
DEMO_PASSWORD = "Demo-member-1"


@dataclass(frozen=True)
class LocalPool:
    endpoint: str  # the embedded AWS
    region: str
    user_pool_id: str
    app_client_id: str

    def api_environment(self) -> dict[str, str]:
        """What the API reads the pool from (as the stack's outputs on AWS); its keys from the embedded AWS."""
        return {
            "MEMBER_USER_POOL_ID": self.user_pool_id,
            "MEMBER_APP_CLIENT_ID": self.app_client_id,
            "MEMBER_JWKS_URL": f"{self.endpoint}/{self.user_pool_id}/.well-known/jwks.json",
        }

    def save(self, path: Path = POOL_FILE) -> None:
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: Path = POOL_FILE) -> LocalPool:
        return cls(**json.loads(path.read_text()))

    def _cognito(self) -> Any:
        return boto3.client(
            "cognito-idp",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def sign_up(self, email: str, password: str) -> str:
        """A new user, as after the code Cognito emails: signed up, confirmed, email verified. Their id token.
        Signing up again with the same password signs in (so that a pasted guide line can be run twice)."""
        cognito = self._cognito()
        try:
            cognito.sign_up(
                ClientId=self.app_client_id,
                Username=email,
                Password=password,
                UserAttributes=[{"Name": "email", "Value": email}],
            )
        except cognito.exceptions.UsernameExistsException:
            return self.sign_in(email, password)
        # What typing the emailed code does in Cognito (the embedded AWS sends no email): confirmed, email verified.
        cognito.admin_confirm_sign_up(UserPoolId=self.user_pool_id, Username=email)
        cognito.admin_update_user_attributes(
            UserPoolId=self.user_pool_id, Username=email, UserAttributes=[{"Name": "email_verified", "Value": "true"}]
        )
        return self.sign_in(email, password)

    def create_user(self, email: str, password: str, phone: str | None = None) -> str:
        """A user the operator created (the demo's): email (and phone) verified, a permanent password. Their sub."""
        attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        if phone is not None:
            attributes += [{"Name": "phone_number", "Value": phone}, {"Name": "phone_number_verified", "Value": "true"}]
        cognito = self._cognito()
        cognito.admin_create_user(
            UserPoolId=self.user_pool_id, Username=email, UserAttributes=attributes, MessageAction="SUPPRESS"
        )
        cognito.admin_set_user_password(UserPoolId=self.user_pool_id, Username=email, Password=password, Permanent=True)
        return str(jwt.decode(self.sign_in(email, password), options={"verify_signature": False})["sub"])

    def sign_in(self, email: str, password: str) -> str:
        reply = self._cognito().initiate_auth(
            ClientId=self.app_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
        return str(reply["AuthenticationResult"]["IdToken"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdev.members", description="Print a member's id token.")
    parser.add_argument("action", choices=["sign-in", "sign-up"])
    parser.add_argument("email")
    parser.add_argument("password")
    args = parser.parse_args(argv)
    if not POOL_FILE.exists():
        print("start the local stack first: make run", file=sys.stderr)
        return 2
    pool = LocalPool.load()
    try:
        token = (
            pool.sign_up(args.email, args.password)
            if args.action == "sign-up"
            else pool.sign_in(args.email, args.password)
        )
    except ClientError as error:  # a wrong password, an unknown user, an email taken …
        print(error.response["Error"]["Message"], file=sys.stderr)
        return 1
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
