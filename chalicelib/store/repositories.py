"""The store as the use cases reach it: one repository per aggregate (and the S3 statements), built by the
Container (bootstrap.py) and carried by the Runtime (`rt.store`). The protocols are the seam: `dynamodb_store`
answers from the tables (the modules beside this one do the work, and own the key formats and the layout), and a
test may hand the Container other implementations (tests/support/fake_store.py keeps some in memory) to run a use
case with no AWS at all.

Each method is one DynamoDB call at most (a booking: one transaction; a page: one Query or Scan page), as the use
cases' cost figures count them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from ..domain.campaigns import Campaign
from ..domain.challenges import Challenge
from ..domain.effect import EffectTally, SaleSums
from ..domain.grants import GrantJob, PageDone, ShardFigures
from ..domain.ledger import Entry, EntryFilter, OperationRecord
from ..domain.listing import ShardRead, Window
from ..domain.membership import Plan
from ..domain.program import ApiKey, KeyScope, Partner, Program
from ..domain.rewards import Claim, Reward, RewardTerms
from ..domain.segments import Segment, SegmentCount
from ..domain.settlement import PointFlows, Settlement
from ..domain.spend_codes import SpendCode
from ..domain.vouchers import Voucher
from ..domain.wallet import Wallet
from ..domain.webhooks import PartnerWebhooks
from ..settings import Settings
from . import (
    audit,
    bookings,
    directory,
    jobs,
    ledger,
    member_pool,
    operations,
    rewards,
    sales,
    settlements,
    spend_codes,
    vouchers,
    wallets,
    webhooks,
)
from . import statements as statements_store
from .audit import AuditRecord
from .bookings import Booking
from .rewards import ClaimCursor
from .settlements import StoredPeriod
from .statements import PartyStatement
from .wallets import ScanKey


class Directory(Protocol):
    """Partners and their keys, operator keys, campaigns, segments, the programme, and identity aliases (members
    found by card, email or phone hash, referral code)."""

    def get_partner(self, partner_id: str) -> Partner | None: ...

    def list_partners(self) -> list[Partner]: ...

    def create_partner(self, partner: Partner, created_at: str) -> None: ...

    def save_partner(self, partner: Partner) -> list[str]:
        """Over the version read; returns the partner's key ids (ConcurrencyConflict: read again)."""

    def add_api_key(self, partner_id: str, key_id: str, secret_hash: str, scope: KeyScope, created_at: str) -> None: ...

    def revoke_api_key(self, partner_id: str, key_id: str, revoked_at: str) -> None: ...

    def get_api_key(self, key_id: str) -> ApiKey | None: ...

    def operator_key_exists(self, key_hash: str) -> bool: ...

    def save_campaign(self, document: dict[str, Any], updated_at: str, *, create: bool) -> None: ...

    def delete_campaign(self, campaign_id: str) -> None: ...

    def list_campaigns(self) -> list[Campaign]: ...

    def campaign_document(self, campaign_id: str) -> dict[str, Any] | None: ...

    def campaign_documents(self) -> list[dict[str, Any]]: ...

    def save_segment(self, segment: Segment, updated_at: str, *, create: bool) -> None: ...

    def list_segments(self) -> list[Segment]: ...

    def get_segment(self, segment_id: str) -> Segment | None: ...

    def set_count_job(self, segment: Segment, job_id: str) -> bool:
        """False: the segment's rules changed since `segment` was read (the count is not named on it)."""

    def segment_with_count(self, segment_id: str) -> tuple[Segment, str | None] | None: ...

    def save_challenge(self, challenge: Challenge, updated_at: str, *, create: bool) -> None: ...

    def list_challenges(self) -> list[Challenge]: ...

    def get_challenge(self, challenge_id: str) -> Challenge | None: ...

    def delete_challenge(self, challenge_id: str) -> None: ...

    def save_plan(self, plan: Plan, updated_at: str, *, create: bool) -> None: ...

    def list_plans(self) -> list[Plan]: ...

    def get_plan(self, plan_id: str) -> Plan | None: ...

    def get_program(self, *, consistent: bool = False) -> Program | None: ...

    def put_program(self, document: dict[str, Any], updated_at: str) -> int: ...

    def find_member_id(self, alias_key: str) -> str | None: ...


class Wallets(Protocol):
    def load(self, member_id: str, *, whole: bool = True, consistent: bool = True) -> Wallet | None:
        """The member's wallet as last written (None: no such member). `whole=False`: its head only (an operation
        that reaches its vault raises WalletIncomplete); `consistent=False`: an eventually consistent read."""

    def load_many(self, member_ids: list[str]) -> list[Wallet]: ...

    def scan(
        self, segment: int, segments: int, limit: int, start: ScanKey | None
    ) -> tuple[list[Wallet], ScanKey | None]:
        """A page of every wallet (operator jobs only: never on a request path that serves partners or members)."""

    def scan_member_ids(
        self, segment: int, segments: int, limit: int, start: ScanKey | None
    ) -> tuple[list[str], ScanKey | None]: ...

    # The members a job is due for, on one shard of its sparse index (store/layout.py): one Query each.
    def holds_due(self, shard: str, at: str) -> list[str]: ...

    def reviews_due(self, shard: str, on: str) -> list[str]: ...

    def expiries_due(self, shard: str, before: str) -> list[str]: ...

    def memberships_due(self, shard: str, on: str) -> list[str]: ...

    def above_base_tier(self, shard: str, limit: int, start: ScanKey | None) -> tuple[list[str], ScanKey | None]:
        """A page of the members above the base tier on one shard of the reviews index (a grant to a tier)."""


class Jobs(Protocol):
    """A grant's job or a segment's count, its shards' progress counters and its completed pages (store/jobs.py)."""

    def create(self, job: GrantJob) -> bool:
        """False: the job exists already."""

    def get(self, job_id: str) -> GrantJob | None: ...

    def mark_dispatched(self, job_id: str, at: str) -> None: ...

    def page_done(self, job_id: str, shard: str, page: str) -> PageDone | None: ...

    def complete_page(
        self, job_id: str, shard: str, page: str, next_cursor: str | None, figures: ShardFigures, at: str
    ) -> bool:
        """The page's record and its figures added to the shard's counter, once (False: completed already)."""

    def shard_figures(self, job_id: str, shards: list[str]) -> list[ShardFigures]: ...

    def create_count(self, count: SegmentCount) -> None: ...

    def get_count(self, job_id: str) -> SegmentCount | None: ...


class Operations(Protocol):
    def find(self, op_key: str) -> OperationRecord | None:
        """An operation's record (its answer, fingerprint and facts) by its key (partner#kind#id)."""

    def find_many(self, op_keys: list[str]) -> dict[str, OperationRecord]:
        """Records by key (those that exist), as last written."""

    def listed(
        self,
        partner_id: str,
        kind: str,
        store_id: str | None,
        shard: int,
        window: Window,
        after: str | None,
        limit: int,
    ) -> ShardRead:
        """One shard of a partner's listing of purchases, redemptions or holds (store/layout.py), newest first."""


class Bookings(Protocol):
    def commit(self, booking: Booking) -> None:
        """Write a booking atomically under its conditions (store/bookings.py says which and what failing means)."""


class Vouchers(Protocol):
    def find(self, code: str) -> Voucher | None: ...

    def of_member(self, member_id: str, limit: int) -> list[Voucher]: ...

    def due(self, shard: str, before: str) -> list[str]:
        """Codes of the open vouchers on `shard` whose last day is before `before`."""


class SpendCodes(Protocol):
    def find(self, code: str) -> SpendCode | None: ...

    def save(self, spend_code: SpendCode) -> None: ...


class Rewards(Protocol):
    def find(self, reward_id: str) -> Reward | None: ...

    def create(self, reward: Reward, at: str) -> bool:
        """False: the id is taken."""

    def replace_terms(self, reward_id: str, offered_by: str, terms: RewardTerms, at: str) -> Reward: ...

    def page(self, limit: int, after: str | None, offered_by: str | None) -> tuple[list[Reward], str | None]: ...

    def find_claim(self, code: str) -> Claim | None: ...

    def member_claims(
        self, member_id: str, limit: int, after: ClaimCursor | None
    ) -> tuple[list[Claim], ClaimCursor | None]: ...

    def save_fulfilment(self, claim: Claim) -> None: ...


class Ledger(Protocol):
    def list_entries(
        self, member_id: str, limit: int, cursor: str | None, wanted: EntryFilter | None = None
    ) -> tuple[list[Entry], str | None]:
        """A page of the member's entries, newest first."""

    def get_entry(self, member_id: str, seq: int) -> Entry | None:
        """One entry of the member by its number (None: no such entry)."""

    def all_entries(self, member_id: str) -> list[Entry]:
        """Every entry of the member (the reconciliation's check of one wallet)."""


class Settlements(Protocol):
    """Closed periods, a close's shard parts, the cursors of closing and publishing, and a day's entries by the
    settlement index."""

    def day_entries(self, partner_id: str, day: str, shard: int) -> Iterator[Entry]: ...

    def get_closed(self, period: str) -> Settlement | None: ...

    def get_closed_days(self, days: list[str]) -> dict[str, Settlement]: ...

    def get_document(self, period: str) -> str | None: ...

    def get_stored(self, period: str) -> StoredPeriod | None: ...

    def mark_published(self, period: str, published_at: str) -> None: ...

    def save_closed(self, settlement: Settlement, document: str) -> bool: ...

    def save_part(self, day: str, shard: int, flows: PointFlows) -> None: ...

    def parts(self, day: str) -> dict[int, PointFlows]: ...

    def save_effects(self, day: str, effects: EffectTally) -> None: ...

    def effect_days(self, campaign_id: str) -> list[tuple[str, EffectTally]]: ...

    def cursor(self, name: str) -> str | None: ...

    def set_cursor(self, name: str, value: str, *, only_if_absent: bool = False) -> None: ...

    def advance_cursor(self, name: str, value: str) -> None: ...


class Audit(Protocol):
    def save(self, record: AuditRecord) -> None: ...

    def day(self, day: str, limit: int, after: str | None) -> tuple[list[AuditRecord], str | None]:
        """A day's operator actions in order, a page at a time."""


class Statements(Protocol):
    def put_period(self, period: str, document: str, statements: list[PartyStatement]) -> None:
        """A closed period's documents, as objects finance teams open (S3)."""

    def put_page(self, key: str, html: str) -> None: ...

    def put_object(self, key: str, body: str) -> None: ...

    def read_object(self, key: str, first_byte: int = 0, max_bytes: int | None = None) -> bytes | None: ...

    def list_keys(self, prefix: str) -> list[str]: ...

    def presigned_url(self, key: str, seconds: int) -> str: ...


class MemberPool(Protocol):
    def delete_user(self, subject: str) -> None:
        """The member pool's user with this `sub` deleted (erasure): they can no longer sign in."""

    def user_exists(self, subject: str) -> bool:
        """Whether the member pool still has this user (a token outlives its deleted user by up to an hour)."""


class Webhooks(Protocol):
    """Partners' webhook endpoints (store/webhooks.py) and the events sent once."""

    def get(self, partner_id: str, *, consistent: bool = False) -> PartnerWebhooks: ...

    def save(self, webhooks: PartnerWebhooks) -> None:
        """Over the version read (ConcurrencyConflict: read again)."""

    def all(self) -> list[PartnerWebhooks]: ...

    def notice_sent(self, event_id: str) -> bool: ...

    def record_notice(self, event_id: str, sent_at: str) -> None: ...


class Sales(Protocol):
    """Purchases summed per partner and day: members' by the close, non-members' by each sale (store/sales.py)."""

    def book_anonymous_sale(self, record: OperationRecord, day: str, amount: Decimal) -> None:
        """The sale's record (DuplicateOperation: it exists) and its day's counter, in one transaction."""

    def anonymous_sales(self, partner_id: str, first: str, last: str) -> SaleSums: ...

    def save_member_sales(self, day: str, sales: dict[str, SaleSums]) -> None: ...

    def member_sales(self, partner_id: str, first: str, last: str) -> SaleSums: ...


@dataclass(frozen=True)
class Store:
    directory: Directory
    wallets: Wallets
    operations: Operations
    bookings: Bookings
    vouchers: Vouchers
    spend_codes: SpendCodes
    rewards: Rewards
    ledger: Ledger
    settlements: Settlements
    statements: Statements
    audit: Audit
    member_pool: MemberPool
    jobs: Jobs
    webhooks: Webhooks
    sales: Sales


# ---- DynamoDB ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DynamoDirectory:
    settings: Settings

    get_partner = staticmethod(directory.get_partner)
    list_partners = staticmethod(directory.list_partners)
    create_partner = staticmethod(directory.create_partner)
    get_api_key = staticmethod(directory.get_api_key)
    operator_key_exists = staticmethod(directory.operator_key_exists)
    save_campaign = staticmethod(directory.save_campaign)
    delete_campaign = staticmethod(directory.delete_campaign)
    list_campaigns = staticmethod(directory.list_campaigns)
    campaign_document = staticmethod(directory.campaign_document)
    campaign_documents = staticmethod(directory.campaign_documents)
    save_segment = staticmethod(directory.save_segment)
    list_segments = staticmethod(directory.list_segments)
    get_segment = staticmethod(directory.get_segment)
    set_count_job = staticmethod(directory.set_count_job)
    segment_with_count = staticmethod(directory.segment_with_count)
    save_challenge = staticmethod(directory.save_challenge)
    list_challenges = staticmethod(directory.list_challenges)
    get_challenge = staticmethod(directory.get_challenge)
    delete_challenge = staticmethod(directory.delete_challenge)
    save_plan = staticmethod(directory.save_plan)
    list_plans = staticmethod(directory.list_plans)
    get_plan = staticmethod(directory.get_plan)
    get_program = staticmethod(directory.get_program)
    put_program = staticmethod(directory.put_program)
    find_member_id = staticmethod(directory.find_member_id)

    def save_partner(self, partner: Partner) -> list[str]:
        return directory.save_partner(partner, self.settings)

    def add_api_key(self, partner_id: str, key_id: str, secret_hash: str, scope: KeyScope, created_at: str) -> None:
        directory.add_api_key(partner_id, key_id, secret_hash, scope, created_at, self.settings)

    def revoke_api_key(self, partner_id: str, key_id: str, revoked_at: str) -> None:
        directory.revoke_api_key(partner_id, key_id, revoked_at, self.settings)


class DynamoWallets:
    def load(self, member_id: str, *, whole: bool = True, consistent: bool = True) -> Wallet | None:
        return wallets.load_wallet(member_id, whole=whole, consistent=consistent)

    load_many = staticmethod(wallets.load_wallets)
    scan = staticmethod(wallets.scan_wallets)
    scan_member_ids = staticmethod(wallets.scan_member_ids)
    holds_due = staticmethod(wallets.holds_due)
    reviews_due = staticmethod(wallets.reviews_due)
    expiries_due = staticmethod(wallets.expiries_due)
    memberships_due = staticmethod(wallets.memberships_due)
    above_base_tier = staticmethod(wallets.above_base_tier)


class DynamoOperations:
    def find(self, op_key: str) -> OperationRecord | None:
        return operations.find_operation(op_key)

    def find_many(self, op_keys: list[str]) -> dict[str, OperationRecord]:
        return operations.find_operations(op_keys)

    def listed(
        self,
        partner_id: str,
        kind: str,
        store_id: str | None,
        shard: int,
        window: Window,
        after: str | None,
        limit: int,
    ) -> ShardRead:
        return operations.listed_positions(partner_id, kind, store_id, shard, window, after, limit)


@dataclass(frozen=True)
class DynamoBookings:
    settings: Settings

    def commit(self, booking: Booking) -> None:
        bookings.commit(booking, self.settings)


class DynamoVouchers:
    def find(self, code: str) -> Voucher | None:
        return vouchers.find_voucher(code)

    def of_member(self, member_id: str, limit: int) -> list[Voucher]:
        return vouchers.member_vouchers(member_id, limit)

    due = staticmethod(vouchers.vouchers_due)


class DynamoSpendCodes:
    def find(self, code: str) -> SpendCode | None:
        return spend_codes.find_spend_code(code)

    def save(self, spend_code: SpendCode) -> None:
        spend_codes.save_spend_code(spend_code)


class DynamoRewards:
    def find(self, reward_id: str) -> Reward | None:
        return rewards.find_reward(reward_id)

    def create(self, reward: Reward, at: str) -> bool:
        return rewards.create_reward(reward, at)

    def replace_terms(self, reward_id: str, offered_by: str, terms: RewardTerms, at: str) -> Reward:
        return rewards.replace_terms(reward_id, offered_by, terms, at)

    def page(self, limit: int, after: str | None, offered_by: str | None) -> tuple[list[Reward], str | None]:
        return rewards.catalogue_page(limit, after, offered_by)

    def find_claim(self, code: str) -> Claim | None:
        return rewards.find_claim(code)

    def member_claims(
        self, member_id: str, limit: int, after: ClaimCursor | None
    ) -> tuple[list[Claim], ClaimCursor | None]:
        return rewards.member_claims(member_id, limit, after)

    def save_fulfilment(self, claim: Claim) -> None:
        rewards.save_fulfilment(claim)


class DynamoLedger:
    list_entries = staticmethod(ledger.list_entries)
    all_entries = staticmethod(ledger.all_entries)
    get_entry = staticmethod(ledger.get_entry)


class DynamoSettlements:
    day_entries = staticmethod(settlements.day_entries)
    get_closed = staticmethod(settlements.get_closed)
    get_closed_days = staticmethod(settlements.get_closed_days)
    get_document = staticmethod(settlements.get_document)
    get_stored = staticmethod(settlements.get_stored)
    mark_published = staticmethod(settlements.mark_published)
    save_closed = staticmethod(settlements.save_closed)
    save_part = staticmethod(settlements.save_part)
    parts = staticmethod(settlements.parts)
    save_effects = staticmethod(settlements.save_effects)
    effect_days = staticmethod(settlements.effect_days)
    cursor = staticmethod(settlements.cursor)
    set_cursor = staticmethod(settlements.set_cursor)
    advance_cursor = staticmethod(settlements.advance_cursor)


@dataclass(frozen=True)
class S3Statements:
    settings: Settings

    def put_period(self, period: str, document: str, statements: list[PartyStatement]) -> None:
        statements_store.put_period(self.settings, period, document, statements)

    def put_page(self, key: str, html: str) -> None:
        statements_store.put_page(self.settings, key, html)

    def put_object(self, key: str, body: str) -> None:
        statements_store.put_object(self.settings, key, body)

    def read_object(self, key: str, first_byte: int = 0, max_bytes: int | None = None) -> bytes | None:
        return statements_store.read_object(self.settings, key, first_byte, max_bytes)

    def list_keys(self, prefix: str) -> list[str]:
        return statements_store.list_keys(self.settings, prefix)

    def presigned_url(self, key: str, seconds: int) -> str:
        return statements_store.presigned_url(self.settings, key, seconds)


@dataclass(frozen=True)
class CognitoMemberPool:
    settings: Settings

    def delete_user(self, subject: str) -> None:
        member_pool.delete_user(self.settings, subject)

    def user_exists(self, subject: str) -> bool:
        return member_pool.user_exists(self.settings, subject)


class DynamoAudit:
    save = staticmethod(audit.save_record)
    day = staticmethod(audit.day_records)


@dataclass(frozen=True)
class DynamoJobs:
    settings: Settings

    create = staticmethod(jobs.create_job)
    get = staticmethod(jobs.get_job)
    mark_dispatched = staticmethod(jobs.mark_dispatched)
    page_done = staticmethod(jobs.page_done)
    shard_figures = staticmethod(jobs.shard_figures)
    create_count = staticmethod(jobs.create_count)
    get_count = staticmethod(jobs.get_count)

    def complete_page(
        self, job_id: str, shard: str, page: str, next_cursor: str | None, figures: ShardFigures, at: str
    ) -> bool:
        return jobs.complete_page(job_id, shard, page, next_cursor, figures, at, self.settings)


class DynamoWebhooks:
    get = staticmethod(webhooks.get_webhooks)
    save = staticmethod(webhooks.save_webhooks)
    all = staticmethod(webhooks.all_webhooks)
    notice_sent = staticmethod(webhooks.notice_sent)
    record_notice = staticmethod(webhooks.record_notice)


@dataclass(frozen=True)
class DynamoSales:
    settings: Settings

    anonymous_sales = staticmethod(sales.anonymous_sales)
    save_member_sales = staticmethod(sales.save_member_sales)
    member_sales = staticmethod(sales.member_sales)

    def book_anonymous_sale(self, record: OperationRecord, day: str, amount: Decimal) -> None:
        sales.book_anonymous_sale(record, day, amount, self.settings)


def dynamodb_store(settings: Settings) -> Store:
    return Store(
        directory=DynamoDirectory(settings),
        wallets=DynamoWallets(),
        operations=DynamoOperations(),
        bookings=DynamoBookings(settings),
        vouchers=DynamoVouchers(),
        spend_codes=DynamoSpendCodes(),
        rewards=DynamoRewards(),
        ledger=DynamoLedger(),
        settlements=DynamoSettlements(),
        statements=S3Statements(settings),
        audit=DynamoAudit(),
        member_pool=CognitoMemberPool(settings),
        jobs=DynamoJobs(settings),
        webhooks=DynamoWebhooks(),
        sales=DynamoSales(settings),
    )
