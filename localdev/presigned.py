"""Presigned S3 URLs checked as S3 checks them, in the embedded AWS.

moto serves a presigned GET whatever its signature and however long ago it expired, so a statement link would
never expire on `make run`. This WSGI middleware refuses, as S3 does, a presigned request (one whose query carries
`X-Amz-Signature`) that expired (`403 AccessDenied`, "Request has expired") or whose signature does not match
(`403 SignatureDoesNotMatch`). The signature is recomputed by botocore's own SigV4 query signer, with the credentials
the local stack signs with; every other request goes to moto untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
MAX_EXPIRES = 7 * 24 * 3600  # S3's limit for a SigV4 presigned URL
CLOCK_SKEW = timedelta(minutes=15)  # S3 refuses a request dated further in the future


class PresignedUrlCheck:
    def __init__(
        self,
        app: WSGIApp,
        secrets: Mapping[str, str],
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        """`secrets`: access key id -> secret key of the credentials the local stack signs with."""
        self._app = app
        self._secrets = dict(secrets)
        self._clock = clock

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        if "X-Amz-Signature" in query:
            refusal = self._refusal(environ, query)
            if refusal is not None:
                code, message = refusal
                body = f"<?xml version='1.0'?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
                start_response("403 Forbidden", [("Content-Type", "application/xml")])
                return [body.encode()]
        return self._app(environ, start_response)

    def _refusal(self, environ: dict[str, Any], query: dict[str, str]) -> tuple[str, str] | None:
        try:
            signed_at = datetime.strptime(query["X-Amz-Date"], SIGV4_TIMESTAMP).replace(tzinfo=timezone.utc)
            expires = int(query["X-Amz-Expires"])
            access_key, _, region, service, _ = query["X-Amz-Credential"].split("/")
        except (KeyError, ValueError):
            return (
                "AuthorizationQueryParametersError",
                "Query-string authentication requires X-Amz-Date, X-Amz-Expires and X-Amz-Credential",
            )
        if not 1 <= expires <= MAX_EXPIRES:
            return "AuthorizationQueryParametersError", "X-Amz-Expires must be between 1 and 604800 seconds"
        if signed_at > self._clock() + CLOCK_SKEW:
            return "AccessDenied", "Request is not valid yet"
        if self._clock() > signed_at + timedelta(seconds=expires):
            return "AccessDenied", "Request has expired"
        secret = self._secrets.get(access_key)
        if secret is None:
            return "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        if (
            _signature(environ, query, Credentials(access_key, secret), region, service, expires)
            != query["X-Amz-Signature"]
        ):
            return (
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        return None


def _signature(
    environ: dict[str, Any], query: dict[str, str], credentials: Credentials, region: str, service: str, expires: int
) -> str:
    """What botocore signs for this request: the canonical request over the query without the signature."""
    unsigned = urlencode([(k, v) for k, v in query.items() if k != "X-Amz-Signature"], quote_via=quote)
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    path = quote(environ.get("PATH_INFO", "/"), safe="/~")
    request = AWSRequest(
        method=environ["REQUEST_METHOD"], url=f"http://{host}{path}?{unsigned}", headers={"host": host}
    )
    request.context["timestamp"] = query["X-Amz-Date"]
    signer = S3SigV4QueryAuth(credentials, service, region, expires=expires)
    return str(signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request))
