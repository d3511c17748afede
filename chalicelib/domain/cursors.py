"""Opaque page cursors: where a page ended, as URL-safe base64 of a small JSON object. Each list validates the
fields it gets back (a cursor is the client's to send: anything but what a page returned is a 400)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .errors import InvalidRequest


def encode_cursor(fields: dict[str, Any]) -> str:
    raw = json.dumps(fields, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The fields of a cursor, as a JSON object (the caller checks each one: `refused()` for a bad one)."""
    try:
        fields = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise refused() from None
    if not isinstance(fields, dict):
        raise refused()
    return fields


def refused() -> InvalidRequest:
    return InvalidRequest("cursor is not one this API returned", field="cursor")
