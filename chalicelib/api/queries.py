"""The query parameters an endpoint takes, as pydantic models.

An endpoint declares its model (`endpoint(..., query=Page)`): routing validates the query string against it
before the view runs (a bad value is a 400 naming the parameter), and the OpenAPI document lists its fields
as the operation's query parameters. Parameters an endpoint does not declare are ignored, as they always were.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..domain.ledger import EntryFilter
from ..domain.movements import EntryType
from ..services.requests import CardNumber, Email, PartnerId, Phone

Limit = Annotated[int, Field(ge=1, le=100, description="page size")]
Cursor = Annotated[
    str, Field(min_length=1, max_length=2048, description="opaque: the next_cursor of the previous page")
]


# defer_build: a model's validator and serializer are built when first used, not at import: every Lambda
# function imports every model, and a request uses few of them (issue 11).
class Query(BaseModel):
    # Query values arrive as text: lax parsing turns "25" into 25.
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, defer_build=True)


class Page(Query):
    limit: Limit = 25
    cursor: Cursor | None = None


class Limited(Query):
    limit: Limit = 25


class MemberLookup(Query):
    """Exactly one of them (checked by the use case: OpenAPI parameters cannot say "one of")."""

    card_number: CardNumber | None = None
    email: Email | None = None
    phone: Phone | None = None


class StatementFormat(Query):
    format: Literal["json", "csv", "html"] = "json"


class ItemsQuery(Page):
    format: Literal["json", "csv"] = "json"


class DateRange(Query):
    from_: Annotated[date, Field(alias="from", description="first day, YYYY-MM-DD")]
    to: Annotated[date, Field(description="last day, YYYY-MM-DD (at most 92 days after from)")]


class EffectThrough(Query):
    """The effect as it stood at the end of a day (default: every closed day). Always from the campaign's first day:
    a customer counts once, on their first measured purchase, so a range starting later would count nobody right."""

    to: Annotated[date | None, Field(description="the last day counted, YYYY-MM-DD")] = None


class AuditRange(DateRange):
    limit: Limit = 25
    cursor: Cursor | None = None


class ReconciliationPage(Query):
    segment: Annotated[int, Field(ge=0, le=999, description="parallel-Scan segment, below segments")] = 0
    segments: Annotated[int, Field(ge=1, le=1000)] = 1
    limit: Limit = 100
    cursor: Cursor | None = None


class HistoryPage(Page):
    """A member's history, filtered: any of partner, type and booking days (UTC, inclusive)."""

    partner_id: PartnerId | None = None
    type: EntryType | None = None
    from_: Annotated[date | None, Field(alias="from", description="first booking day, YYYY-MM-DD")] = None
    to: Annotated[date | None, Field(description="last booking day, YYYY-MM-DD")] = None

    def entry_filter(self) -> EntryFilter:
        return EntryFilter(self.partner_id, self.type, self.from_, self.to)


class RecordPage(Page):
    """A page of a partner's own records, newest first, booked within [from, to] (UTC days, at most 92; default: the
    92 days to today). A `cursor` carries its list's days and store: sent with it, they may be left out."""

    from_: Annotated[date | None, Field(alias="from", description="first booking day, YYYY-MM-DD")] = None
    to: Annotated[date | None, Field(description="last booking day, YYYY-MM-DD (at most 92 days after from)")] = None


class TransactionPage(RecordPage):
    store_id: Annotated[str | None, Field(min_length=1, max_length=64, description="only this store's purchases")] = (
        None
    )
