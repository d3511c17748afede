"""What the voucher use cases answer about a voucher, as typed values (pydantic: the OpenAPI document is written
from them). Timestamps and days are kept as the store writes them (ISO 8601 UTC with milliseconds; YYYY-MM-DD)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..domain.money import to_str
from ..domain.vouchers import Voucher


# defer_build: built when first used, not at import (see services/requests.py).
class VoucherView(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)  # answers may gain fields (API.md)

    code: str
    points: int
    value: str = Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$", description="the face value, a decimal as a string")
    currency: str
    issued_at: str = Field(json_schema_extra={"format": "date-time"})
    expires_on: str = Field(json_schema_extra={"format": "date"}, description="the last day it can be spent")
    usable_at: Literal["all"] | list[str]
    status: Literal["open", "spent", "expired"]


class VoucherList(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)

    vouchers: list[VoucherView]


def voucher_view(voucher: Voucher) -> VoucherView:
    return VoucherView(
        code=voucher.code,
        points=voucher.points,
        value=to_str(voucher.value),
        currency=voucher.currency,
        issued_at=voucher.issued_at,
        expires_on=voucher.expires_on,
        usable_at="all" if voucher.usable_at is None else sorted(voucher.usable_at),
        status=voucher.status,  # type: ignore[arg-type]  # open | spent | expired (domain/vouchers.py)
    )
