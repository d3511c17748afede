"""Spend codes in the directory table: SPEND#<code> -> the member, the most it may spend, until when."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import PutError

from ..domain.errors import ConcurrencyConflict
from ..domain.spend_codes import SpendCode
from .errors import get_or_none, translated
from .models import SpendCodeItem


def spend_code_key(code: str) -> str:
    return f"SPEND#{code}"


def save_spend_code(spend_code: SpendCode) -> None:
    expires = datetime.fromisoformat(spend_code.expires_at.replace("Z", "+00:00"))
    item = SpendCodeItem(
        pk=spend_code_key(spend_code.code),
        member_id=spend_code.member_id,
        points_max=spend_code.points_max,
        expires_at=spend_code.expires_at,
        expires_ttl=int(expires.timestamp()) + 3600,  # TTL deletes within days: the code refuses use itself
    )
    try:
        with translated():
            item.save(condition=SpendCodeItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":  # a live code drew the same digits
            raise ConcurrencyConflict() from error
        raise


def find_spend_code(code: str) -> SpendCode | None:
    with translated():
        item = get_or_none(SpendCodeItem, spend_code_key(code), consistent_read=True)
    if item is None:
        return None
    return SpendCode(code, item.member_id, int(item.points_max), item.expires_at)
