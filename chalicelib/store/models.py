"""DynamoDB items, as pynamodb models. Table names and endpoint come from settings (see tables.py).

| table      | pk / sk                  | item                                  | GSI pk / sk (sparse)                 |
|------------|--------------------------|---------------------------------------|--------------------------------------|
| members    | member_id                | wallet head: version, `state` (lots   | holds_due: hold_shard /              |
|            |                          | of its first/last expiry dates, debts,|   next_hold_expiry (open holds only) |
|            |                          | holds, tier, activity, identity:      |                                      |
|            |                          | deflated JSON), vault_version         |                                      |
|            |                          |                                       | reviews_due: review_shard /          |
|            |                          |                                       |   review_on (above the base tier)    |
|            |                          |                                       | expiries_due: expiry_shard /         |
|            |                          |                                       |   next_expiry (members with lots)    |
|            |                          |                                       | memberships_due: membership_shard /  |
|            |                          |                                       |   membership_due_on (paid members)   |
| wallet_    | member_id                | a broad wallet's vault: middle lots,  |                                      |
|   vaults   |                          | expired tally (store/wallet_state.py) |                                      |
| ledger     | member_id / seq          | entry: type, partner, points, held,   | by_settlement_day: settle_key        |
|            |                          | breakdown, attribution, booked_at,    |   (partner#day#shard) / booked_at    |
|            |                          | rates it settles at (point value,     |                                      |
|            |                          |   fee per point by issuer)            |                                      |
| operations | op_key (partner#kind#id) | idempotency record: fingerprint,      | partner_listing: list_key            |
|            |                          | status, body; purchase/hold facts     |   (partner#kind#shard) / list_at     |
|            |                          |                                       | store_listing: store_list_key        |
|            |                          |                                       |   (partner#kind#store#shard)/list_at |
| directory  | PARTNER#id, KEY#id, REF# | partner profile (versioned), API key  | listings: listing / pk               |
|            | PROGRAM, OPKEY#hash,     | hash, programme, operator key hash,   |   (partners, campaigns)              |
|            | CARD#n, EMAIL#h, PHONE#h | identity alias -> member_id           |                                      |
|            | JOB#id, JOBSHARD#id#s,   | a grant's job, a shard's progress     |                                      |
|            |   JOBPAGE#id#s#page      |   counter, a shard's completed page   |                                      |
|            | WEBHOOKS#partner,        | a partner's webhooks (versioned),     | listings: webhooks / pk              |
|            |   NOTICE#event_id        |   an event sent once (TTL)            |                                      |
| settlements| DAY#d, MONTH#m / part   | closed period (ALL) + published_at,   |                                      |
|            | CURSOR / LAST_CLOSED,    | shard flows (PART#n), where closing   |                                      |
|            |   EPOCH, PUBLISHED       |   and publishing stand                |                                      |
"""

from __future__ import annotations

from pynamodb.attributes import (
    BinaryAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model


class HoldsDueIndex(GlobalSecondaryIndex["WalletItem"]):
    class Meta:
        index_name = "holds_due"
        projection = KeysOnlyProjection()

    hold_shard = UnicodeAttribute(hash_key=True)
    next_hold_expiry = UnicodeAttribute(range_key=True)


class ReviewsDueIndex(GlobalSecondaryIndex["WalletItem"]):
    class Meta:
        index_name = "reviews_due"
        projection = KeysOnlyProjection()

    review_shard = UnicodeAttribute(hash_key=True)
    review_on = UnicodeAttribute(range_key=True)


class ExpiriesDueIndex(GlobalSecondaryIndex["WalletItem"]):
    class Meta:
        index_name = "expiries_due"
        projection = KeysOnlyProjection()

    expiry_shard = UnicodeAttribute(hash_key=True)
    next_expiry = UnicodeAttribute(range_key=True)


class MembershipsDueIndex(GlobalSecondaryIndex["WalletItem"]):
    class Meta:
        index_name = "memberships_due"
        projection = KeysOnlyProjection()

    membership_shard = UnicodeAttribute(hash_key=True)
    membership_due_on = UnicodeAttribute(range_key=True)


class WalletItem(Model):
    class Meta:
        table_name = "members"

    member_id = UnicodeAttribute(hash_key=True)
    version = VersionAttribute()
    # The wallet's figures, deflated JSON (store/wallet_state.py: decode_state); the vault's version when it has one.
    state = BinaryAttribute(null=True, legacy_encoding=False)
    vault_version = NumberAttribute(null=True)
    review_on = UnicodeAttribute(null=True)  # members above the base tier only (also in `state`; indexed here)
    # Wallets written before `state` hold their figures in attributes of their own, read as they are (legacy).
    entry_seq = NumberAttribute(null=True)
    status = UnicodeAttribute(null=True)
    card_number = UnicodeAttribute(null=True)
    tier = UnicodeAttribute(null=True)
    tier_reached_on = UnicodeAttribute(null=True)
    lots = JSONAttribute(null=True)  # {"2028-11-30|issuer": points}
    debts = JSONAttribute(null=True)  # {issuer: points}
    holds = JSONAttribute(null=True)  # {partner#hold_id: {hold_id, partner_id, points, expires_at, portions}}
    # {"YYYY-MM": {qualifying_points, spend, purchases, partners, redeemed_at, partner_purchases: {partner: n}}}
    activity = JSONAttribute(null=True)
    birth_date = UnicodeAttribute(null=True)
    referral_code = UnicodeAttribute(null=True)
    referred_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    first_purchase_at = UnicodeAttribute(null=True)
    enrolled_by = UnicodeAttribute(null=True)
    enrolled_channel = UnicodeAttribute(null=True)
    engagements = JSONAttribute(null=True)
    campaign_counts = JSONAttribute(null=True)
    tier_floor = UnicodeAttribute(null=True)
    tier_floor_review_on = UnicodeAttribute(null=True)
    tier_basis = JSONAttribute(null=True)
    aliases = JSONAttribute(null=True)
    birth_date_recorded_on = UnicodeAttribute(null=True)
    expired_tally = JSONAttribute(null=True)
    voucher_points = JSONAttribute(null=True)
    issued_today = JSONAttribute(null=True)
    profile = JSONAttribute(null=True)
    # Present only while the member has open holds, so the hold sweep reads only who is due.
    hold_shard = UnicodeAttribute(null=True)
    next_hold_expiry = UnicodeAttribute(null=True)
    holds_due = HoldsDueIndex()
    # Present only for members above the base tier: the tier review reads who is due, nobody else.
    review_shard = UnicodeAttribute(null=True)
    reviews_due = ReviewsDueIndex()
    # Present only while the member has lots: the expiry job reads who has points ending, nobody else.
    expiry_shard = UnicodeAttribute(null=True)
    next_expiry = UnicodeAttribute(null=True)
    expiries_due = ExpiriesDueIndex()
    # Present only while the member has a paid membership: the renewal job reads who is due, nobody else.
    membership_shard = UnicodeAttribute(null=True)
    membership_due_on = UnicodeAttribute(null=True)  # its renewal, or its next monthly voucher if sooner
    memberships_due = MembershipsDueIndex()


class SettlementDayIndex(GlobalSecondaryIndex["EntryItem"]):
    class Meta:
        index_name = "by_settlement_day"
        projection = AllProjection()

    settle_key = UnicodeAttribute(hash_key=True)
    booked_at = UnicodeAttribute(range_key=True)


class EntryItem(Model):
    class Meta:
        table_name = "ledger"

    member_id = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    entry_id = UnicodeAttribute()
    type = UnicodeAttribute()
    partner_id = UnicodeAttribute()
    points = NumberAttribute()  # signed change of lots − debts + held
    held = NumberAttribute(default=0)  # signed change of held points
    breakdown = JSONAttribute(null=True)
    attribution = JSONAttribute(default=list)  # [{issuer, expires_on, points}]
    reference = UnicodeAttribute(null=True)  # the partner's operation id
    booked_at = UnicodeAttribute()
    settle_key = UnicodeAttribute()  # partner#YYYY-MM-DD#shard: one day of one partner, spread over shards
    # The rates the entry settles at, as booked (absent on entries that move no money, and on those booked
    # before rates were recorded): the point value of a spending or reversal; {issuer: fee per point}.
    point_value = UnicodeAttribute(null=True)
    fees_per_point = JSONAttribute(null=True)
    bonuses = JSONAttribute(null=True)  # {funder: money}: a voucher's bonus, spent or voided
    values = JSONAttribute(null=True)  # {issuer: money}: a voucher's shares, spent or voided (whole cents)
    from_tier = UnicodeAttribute(null=True)  # a tier decision: the tier it left (for webhooks' tier.changed)
    sale = JSONAttribute(null=True)  # {amount, currency, channel, store_id, occurred_at}: a purchase's earn, a return
    measured = JSONAttribute(null=True)  # {amount, purchases, in: [[campaign, t|c, spend before, n before, points]]}
    fee_collected = UnicodeAttribute(null=True)  # money: a membership's fee the partner collected for the operator
    by_settlement_day = SettlementDayIndex()


class OperationListingIndex(GlobalSecondaryIndex["OperationItem"]):
    """A partner's purchases, redemptions and holds by booking time (sparse: other kinds carry no list_key). Keys
    only: a return or reversal rewriting a record never writes here; a page reads the records themselves."""

    class Meta:
        index_name = "partner_listing"
        projection = KeysOnlyProjection()

    list_key = UnicodeAttribute(hash_key=True)  # partner#kind#shard
    list_at = UnicodeAttribute(range_key=True)  # booked_at#operation id


class StoreListingIndex(GlobalSecondaryIndex["OperationItem"]):
    """A partner's purchases of one store by booking time (sparse: purchases that name a store)."""

    class Meta:
        index_name = "store_listing"
        projection = KeysOnlyProjection()

    store_list_key = UnicodeAttribute(hash_key=True)  # partner#kind#store#shard
    list_at = UnicodeAttribute(range_key=True)


class OperationItem(Model):
    class Meta:
        table_name = "operations"

    op_key = UnicodeAttribute(hash_key=True)
    version = VersionAttribute()
    kind = UnicodeAttribute()
    partner_id = UnicodeAttribute()
    member_id = UnicodeAttribute()
    fingerprint = UnicodeAttribute()
    status_code = NumberAttribute()
    # The exact JSON sent the first time (replays send it byte for byte) and the facts later calls need (a purchase's
    # amount and points, a hold's size), deflated together (store/operations.py); records written before: as they are.
    packed = BinaryAttribute(null=True, legacy_encoding=False)
    body = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)
    created_at = UnicodeAttribute()
    # Listing keys (store/layout.py), written with the record: present on purchases, redemptions and holds only.
    list_key = UnicodeAttribute(null=True)
    store_list_key = UnicodeAttribute(null=True)
    list_at = UnicodeAttribute(null=True)
    partner_listing = OperationListingIndex()
    store_listing = StoreListingIndex()


class PartnerListingIndex(GlobalSecondaryIndex["PartnerItem"]):
    class Meta:
        index_name = "listings"
        projection = AllProjection()

    listing = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class PartnerItem(Model):
    class Meta:
        table_name = "directory"

    pk = UnicodeAttribute(hash_key=True)  # PARTNER#<id>
    version = VersionAttribute()  # concurrent operator changes (profile, status, keys) serialise on it
    listing = UnicodeAttribute(default="partner")
    partner_id = UnicodeAttribute()
    name = UnicodeAttribute()
    currency = UnicodeAttribute()
    earn_rate = UnicodeAttribute(null=True)  # absent when the base rate is a % back
    category_rates = JSONAttribute(default=dict)
    # Rates given as a % back, kept as promised (items written before cashback have neither: read as none).
    cashback_percent = UnicodeAttribute(null=True)
    category_cashback_percent = JSONAttribute(default=dict)
    fee_per_point = UnicodeAttribute(default="0")
    status = UnicodeAttribute(default="active")
    key_ids = JSONAttribute(default=list)
    created_at = UnicodeAttribute()
    partners = PartnerListingIndex()


class CampaignListingIndex(GlobalSecondaryIndex["CampaignItem"]):
    class Meta:
        index_name = "listings"
        projection = AllProjection()

    listing = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class CampaignItem(Model):
    class Meta:
        table_name = "directory"

    pk = UnicodeAttribute(hash_key=True)  # CAMPAIGN#<id>
    listing = UnicodeAttribute(default="campaign")
    document = JSONAttribute()  # the campaign as the operator defined it (validated)
    updated_at = UnicodeAttribute()
    campaigns = CampaignListingIndex()


class SegmentListingIndex(GlobalSecondaryIndex["SegmentItem"]):
    class Meta:
        index_name = "listings"
        projection = AllProjection()

    listing = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class SegmentItem(Model):
    class Meta:
        table_name = "directory"

    pk = UnicodeAttribute(hash_key=True)  # SEGMENT#<id>
    listing = UnicodeAttribute(default="segment")
    document = JSONAttribute()  # the segment as its owner defined it (validated): domain/segments.py
    updated_at = UnicodeAttribute()
    count_job = UnicodeAttribute(null=True)  # its latest count's job (services/segment_counts.py)
    segments = SegmentListingIndex()


class ChallengeListingIndex(GlobalSecondaryIndex["ChallengeItem"]):
    class Meta:
        index_name = "listings"
        projection = AllProjection()

    listing = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class ChallengeItem(Model):
    class Meta:
        table_name = "directory"

    pk = UnicodeAttribute(hash_key=True)  # CHALLENGE#<id>
    listing = UnicodeAttribute(default="challenge")
    document = JSONAttribute()  # the challenge as the operator defined it (validated): domain/challenges.py
    updated_at = UnicodeAttribute()
    challenges = ChallengeListingIndex()


class PlanListingIndex(GlobalSecondaryIndex["PlanItem"]):
    class Meta:
        index_name = "listings"
        projection = AllProjection()

    listing = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class PlanItem(Model):
    class Meta:
        table_name = "directory"

    pk = UnicodeAttribute(hash_key=True)  # PLAN#<id>
    listing = UnicodeAttribute(default="plan")
    document = JSONAttribute()  # the paid membership plan as the operator defined it: domain/membership.py
    updated_at = UnicodeAttribute()
    plans = PlanListingIndex()


class ApiKeyItem(Model):
    class Meta:
        table_name = "directory"

    pk = UnicodeAttribute(hash_key=True)  # KEY#<key_id>
    key_id = UnicodeAttribute()
    partner_id = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
    # Copied from the partner on every status change, so that authenticating a key is one read.
    partner_status = UnicodeAttribute(default="active")
    revoked_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    # till | finance | admin; keys issued before scopes existed have none and keep what they could do: admin.
    scope = UnicodeAttribute(null=True)


class ProgramItem(Model):
    class Meta:
        table_name = "directory"

    pk = UnicodeAttribute(hash_key=True)  # PROGRAM
    version = VersionAttribute()
    document = JSONAttribute()
    updated_at = UnicodeAttribute()


class AliasItem(Model):
    class Meta:
        table_name = "directory"

    pk = UnicodeAttribute(hash_key=True)  # CARD#<number> | EMAIL#<hmac> | PHONE#<hmac>
    member_id = UnicodeAttribute()


class SpendCodeItem(Model):
    """A member's spend code (SPEND#<code>), deleted by the booking that uses it; `expires_ttl` lets DynamoDB
    remove unused ones (the code itself refuses use after `expires_at`, whenever TTL gets to it)."""

    class Meta:
        table_name = "directory"

    pk = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute()
    points_max = NumberAttribute()
    expires_at = UnicodeAttribute()
    expires_ttl = NumberAttribute()  # epoch seconds


class OperatorKeyItem(Model):
    class Meta:
        table_name = "directory"

    pk = UnicodeAttribute(hash_key=True)  # OPKEY#<sha256 of the key>
    name = UnicodeAttribute()
    created_at = UnicodeAttribute()


class VaultItem(Model):
    """The part of a broad wallet that the usual earn and spend never touch: its middle lots, its expired tally
    (store/wallet_state.py). Written with its head, in one transaction."""

    class Meta:
        table_name = "wallet_vaults"

    member_id = UnicodeAttribute(hash_key=True)
    version = NumberAttribute()  # the head records the version it matches
    state = BinaryAttribute(legacy_encoding=False)


TABLE_OF_MODEL: dict[type[Model], str] = {
    WalletItem: "members",
    VaultItem: "wallet_vaults",
    EntryItem: "ledger",
    OperationItem: "operations",
    PartnerItem: "directory",
    CampaignItem: "directory",
    SegmentItem: "directory",
    ChallengeItem: "directory",
    PlanItem: "directory",
    ApiKeyItem: "directory",
    ProgramItem: "directory",
    AliasItem: "directory",
    SpendCodeItem: "directory",
    OperatorKeyItem: "directory",
}


class SettlementItem(Model):
    """Settlements: (DAY#2026-11-23 | MONTH#2026-11, ALL) the closed period, with `published_at` once its
    objects are in S3; (DAY#…, PART#007) one shard's point flows while a fanned-out close is under way;
    (CURSOR, LAST_CLOSED | EPOCH | PUBLISHED) where closing and publishing stand."""

    class Meta:
        table_name = "settlements"

    period = UnicodeAttribute(hash_key=True)
    part = UnicodeAttribute(range_key=True)
    document = UnicodeAttribute(null=True)  # the operator's JSON, byte for byte on every read
    currency = UnicodeAttribute(null=True)
    point_value = UnicodeAttribute(null=True)
    flows = JSONAttribute(null=True)
    transfers = JSONAttribute(null=True)
    outstanding = JSONAttribute(null=True)
    outstanding_vouchers = JSONAttribute(null=True)  # absent on periods closed before voucher lines: none
    parties = JSONAttribute(null=True)
    value = UnicodeAttribute(null=True)  # cursor items: a date
    closed_at = UnicodeAttribute(null=True)
    published_at = UnicodeAttribute(null=True)  # outside the document: publishing never changes a closed period


TABLE_OF_MODEL[SettlementItem] = "settlements"


class SaleSumsItem(Model):
    """Purchases summed per day, in the settlements table: (SALES#<partner>, <day>) its members' purchases, written
    by the day's close; (ANON#<partner>#<shard>, <day>) its sales without a member, added to by each sale's booking
    (sharded by the sale's id, so a partner's busiest second stays far from one key's write limit). Amounts in
    thousandths: domain/effect.py's SaleSums."""

    class Meta:
        table_name = "settlements"

    period = UnicodeAttribute(hash_key=True)
    part = UnicodeAttribute(range_key=True)
    sales = NumberAttribute(default=0)  # how many purchases
    amount = NumberAttribute(default=0)
    amount_sq = NumberAttribute(default=0)


TABLE_OF_MODEL[SaleSumsItem] = "settlements"


class VoucherMemberIndex(GlobalSecondaryIndex["VoucherItem"]):
    class Meta:
        index_name = "by_member"
        projection = AllProjection()

    member_id = UnicodeAttribute(hash_key=True)
    issued_at = UnicodeAttribute(range_key=True)


class VouchersDueIndex(GlobalSecondaryIndex["VoucherItem"]):
    class Meta:
        index_name = "vouchers_due"
        projection = KeysOnlyProjection()

    expiry_shard = UnicodeAttribute(hash_key=True)
    expires_on = UnicodeAttribute(range_key=True)


class VoucherItem(Model):
    """A voucher, by its code: what it is worth and who funds it; spent once, voided, expired (domain/vouchers)."""

    class Meta:
        table_name = "vouchers"

    code = UnicodeAttribute(hash_key=True)
    version = VersionAttribute()
    member_id = UnicodeAttribute()
    points = NumberAttribute()
    value = UnicodeAttribute()
    currency = UnicodeAttribute()
    issued_at = UnicodeAttribute()
    expires_on = UnicodeAttribute()
    usable_at = JSONAttribute(null=True)  # partner ids; absent: every partner
    funding = JSONAttribute()  # [[party, points, value], ...]
    status = UnicodeAttribute()
    spent = JSONAttribute(null=True)  # {partner_id, redemption_id, spent_at} while spent
    by_member = VoucherMemberIndex()
    # Present only while the voucher is open: the expiry job reads what is due, nothing spent or expired.
    expiry_shard = UnicodeAttribute(null=True)
    vouchers_due = VouchersDueIndex()


TABLE_OF_MODEL[VoucherItem] = "vouchers"


# Keys only: a claim moves the reward's counter, and a projected counter would make every claim of every reward
# a write to the catalogue's one index partition. A page reads its keys here, then the items by BatchGetItem.
class CatalogueIndex(GlobalSecondaryIndex["RewardItem"]):
    class Meta:
        index_name = "catalogue"
        projection = KeysOnlyProjection()

    listing = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class OffererIndex(GlobalSecondaryIndex["RewardItem"]):
    class Meta:
        index_name = "by_offerer"
        projection = KeysOnlyProjection()

    catalogue_of = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class RewardItem(Model):
    """A catalogue reward (REWARD#<id>): its terms as the offerer last put them, and the claims counter that
    only claims and cancels move (ADD, under the stock condition), so a PUT of the terms never resets it."""

    class Meta:
        table_name = "rewards"

    pk = UnicodeAttribute(hash_key=True)
    listing = UnicodeAttribute(default="reward")
    reward_id = UnicodeAttribute()
    offered_by = UnicodeAttribute()
    catalogue_of = UnicodeAttribute()  # = offered_by, on rewards only (claims carry offered_by too): by_offerer
    terms = JSONAttribute()  # RewardTerms (store/rewards.py)
    stock = NumberAttribute(null=True)  # copied from the terms: the claim's condition compares `claimed` to it
    claimed = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    catalogue = CatalogueIndex()
    by_offerer = OffererIndex()


class ClaimMemberIndex(GlobalSecondaryIndex["ClaimItem"]):
    class Meta:
        index_name = "by_member"
        projection = AllProjection()

    member_id = UnicodeAttribute(hash_key=True)
    claimed_at = UnicodeAttribute(range_key=True)


class ClaimItem(Model):
    """A member's claim of a reward (CLAIM#<code>)."""

    class Meta:
        table_name = "rewards"

    pk = UnicodeAttribute(hash_key=True)
    version = VersionAttribute()
    code = UnicodeAttribute()
    claim_id = UnicodeAttribute()
    member_id = UnicodeAttribute()
    reward_id = UnicodeAttribute()
    offered_by = UnicodeAttribute()
    reward_name = UnicodeAttribute()
    points = NumberAttribute()
    point_value = UnicodeAttribute()
    spent = JSONAttribute()  # [{issuer, expires_on, points}]
    claimed_at = UnicodeAttribute()
    status = UnicodeAttribute()
    closed_at = UnicodeAttribute(null=True)
    by_member = ClaimMemberIndex()


class RewardUsesItem(Model):
    """How many claims of a reward a member holds (USES#<reward>#<member>), for its per-member limit."""

    class Meta:
        table_name = "rewards"

    pk = UnicodeAttribute(hash_key=True)
    uses = NumberAttribute(default=0)


TABLE_OF_MODEL[RewardItem] = "rewards"
TABLE_OF_MODEL[ClaimItem] = "rewards"
TABLE_OF_MODEL[RewardUsesItem] = "rewards"


class AuditItem(Model):
    """An operator action (AUDIT day / at#id): who, when, what, and the state before and after."""

    class Meta:
        table_name = "audit"

    day = UnicodeAttribute(hash_key=True)  # YYYY-MM-DD: a day's actions read with one Query
    at_id = UnicodeAttribute(range_key=True)  # the moment, then a random id: in order, never clashing
    actor = UnicodeAttribute()
    action = UnicodeAttribute()  # METHOD path
    target = UnicodeAttribute(null=True)
    request = JSONAttribute(null=True)
    before = JSONAttribute(null=True)
    after = JSONAttribute(null=True)
    status = NumberAttribute()


TABLE_OF_MODEL[AuditItem] = "audit"


class JobItem(Model):
    """A grant's job (JOB#<job_id>, in the directory table): its plan, the POST's fingerprint and first answer,
    when it started and when its shards were sent. A segment's count (kind segment-count) is one too: its plan."""

    class Meta:
        table_name = "directory"

    pk = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()
    plan = JSONAttribute()
    fingerprint = UnicodeAttribute()
    body = UnicodeAttribute()
    started_at = UnicodeAttribute()
    dispatched_at = UnicodeAttribute(null=True)


class JobShardItem(Model):
    """One shard's progress counter (JOBSHARD#<job_id>#<shard>): `granted` and `points` added (ADD) by each booking
    that credits a member, in its transaction; `seen`, `skipped`, `failed`, `finished` by each completed page.
    A shard runs one page at a time: its counter is never a hot item."""

    class Meta:
        table_name = "directory"

    pk = UnicodeAttribute(hash_key=True)
    granted = NumberAttribute(default=0)
    points = NumberAttribute(default=0)
    matched = NumberAttribute(default=0)  # a segment's count: members found in it
    seen = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    finished = NumberAttribute(default=0)
    last_at = UnicodeAttribute(null=True)


class JobPageItem(Model):
    """A completed page of a shard (JOBPAGE#<job_id>#<shard>#<page>), written once (attribute_not_exists): a
    redelivered page finds it and only passes on where the shard goes on from."""

    class Meta:
        table_name = "directory"

    pk = UnicodeAttribute(hash_key=True)
    next_cursor = UnicodeAttribute(null=True)
    at = UnicodeAttribute()


class WebhooksListingIndex(GlobalSecondaryIndex["WebhooksItem"]):
    class Meta:
        index_name = "listings"
        projection = AllProjection()

    listing = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class WebhooksItem(Model):
    """A partner's webhook endpoints (WEBHOOKS#<partner_id>): at most 10, in one item, so the partner's list and the
    delivery side's lookup are one GetItem; `listing` = webhooks puts every partner's item in one Query of the
    listings index (the recipients of coalition-wide events: tier.changed)."""

    class Meta:
        table_name = "directory"

    pk = UnicodeAttribute(hash_key=True)
    version = VersionAttribute()  # two registrations at once: one wins, the other re-reads
    listing = UnicodeAttribute(default="webhooks")
    partner_id = UnicodeAttribute()
    endpoints = JSONAttribute(default=list)  # [{webhook_id, url, events, secret, created_at}]
    webhooks = WebhooksListingIndex()


class NoticeItem(Model):
    """An event sent once (NOTICE#<event_id>), e.g. points.expiring per (member, expiry date, issuer); DynamoDB's
    TTL can remove it after `expires_ttl` (as spend codes)."""

    class Meta:
        table_name = "directory"

    pk = UnicodeAttribute(hash_key=True)
    sent_at = UnicodeAttribute()
    expires_ttl = NumberAttribute()


TABLE_OF_MODEL[JobItem] = "directory"
TABLE_OF_MODEL[WebhooksItem] = "directory"
TABLE_OF_MODEL[NoticeItem] = "directory"
TABLE_OF_MODEL[JobShardItem] = "directory"
TABLE_OF_MODEL[JobPageItem] = "directory"
