"""The botocore clients of this process: one botocore session, one client per service (and region, endpoint,
signing), built on first use and shared by every request after it.

A client costs tens of milliseconds to build (its service model and the endpoint rules read and parsed); a session
reads each file once and keeps it (its loader's cache), so clients of one session share what their services have
in common. boto3.client() builds each on boto3's default session, and pynamodb on a session of its own: one
S3 client per call and a second session put ~0.1 s on the first request of a container. Clients are thread-safe;
sessions are not, so clients are built under a lock.

Nothing is built at import (a job that never calls S3 never pays for it). A client is keyed by what botocore read
from the environment when it was built (endpoint, credentials): a process that changes them (tests, the local
runner's direct calls) gets a client of the new ones.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import botocore.session
from botocore.config import Config

_lock = threading.RLock()  # re-entrant: building a client asks for the session
_sessions: dict[tuple[str | None, ...], botocore.session.Session] = {}
_clients: dict[tuple[Any, ...], Any] = {}

# What botocore takes from the environment when it builds a client (a change gives a client of its own).
_ENVIRONMENT = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


def building() -> threading.RLock:
    """Held while something other than `client()` (pynamodb) builds a client on the session."""
    return _lock


def session() -> botocore.session.Session:
    """The process's botocore session (one per set of credentials in the environment)."""
    credentials = tuple(os.environ.get(name) for name in _ENVIRONMENT)
    with _lock:
        found = _sessions.get(credentials)
        if found is None:
            found = _sessions[credentials] = botocore.session.get_session()
        return found


def client(service: str, region: str, *, signature_version: str | None = None) -> Any:
    """The shared client of `service` in `region` (SigV4-signed presigned URLs need `signature_version="s3v4"`)."""
    endpoints = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_ENDPOINT_URL")))
    key = (service, region, signature_version, endpoints, tuple(os.environ.get(name) for name in _ENVIRONMENT))
    found = _clients.get(key)
    if found is not None:
        return found
    shared = session()
    config = None if signature_version is None else Config(signature_version=signature_version)
    with _lock:
        found = _clients.get(key)
        if found is None:
            found = _clients[key] = shared.create_client(service, region_name=region, config=config)
        return found
