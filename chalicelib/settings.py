"""Typed settings, read from the environment once, when the composition root is first built."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, Field, SecretStr, ValidationError, model_validator

# The local stage's PII key: public (it is in this file), so no other stage may run with it.
LOCAL_PII_KEY = "local-only-pii-key"
MIN_PII_KEY_LENGTH = 32


class InvalidSettings(RuntimeError):
    """The environment cannot run this stage. Not a ValidationError: no caller should get a 400 for it."""


class Settings(BaseModel):
    stage: str = "local"
    region: str = "eu-west-1"
    members_table: str = "coalition-local-members"
    wallet_vaults_table: str = "coalition-local-wallet-vaults"
    ledger_table: str = "coalition-local-ledger"
    operations_table: str = "coalition-local-operations"
    directory_table: str = "coalition-local-directory"
    settlements_table: str = "coalition-local-settlements"
    vouchers_table: str = "coalition-local-vouchers"
    rewards_table: str = "coalition-local-rewards"
    audit_table: str = "coalition-local-audit"
    statements_bucket: str = "coalition-local-statements"
    jobs_queue_url: str | None = None
    # Webhook deliveries and the deliveries that failed every attempt (infra/resources.json). Without the first,
    # no event is sent (the local stage unless a test or make run names one).
    webhooks_queue_url: str | None = None
    webhooks_dead_letter_url: str | None = None
    # Operator credential of the local stage (other stages store hashed operator keys in the directory).
    admin_key: SecretStr | None = None
    # Key of the HMAC under which emails and phones are looked up; never the clear value in a key. Deployed
    # stages get it from the deployment (a generated secret, infra/resources.json); it must never change.
    pii_hmac_key: SecretStr = SecretStr(LOCAL_PII_KEY)
    # The member user pool (Cognito) and the member app's client: from the stack (infra/resources.json), on the
    # local stage from the embedded AWS. Tokens are accepted from this pool and this client only.
    member_user_pool_id: str | None = None
    member_app_client_id: str | None = None
    # Where the pool publishes its signing keys: Cognito's own URL unless set (the local stage reads them from
    # the embedded AWS, tests from a file of the same keys).
    member_jwks_url: str | None = None
    # Partners, keys and the programme are cached per Lambda container this long (0 = always read).
    config_cache_seconds: float = Field(default=30, ge=0)
    # Credentials (API keys, operator keys) for at most this long: how late another warm container may
    # still accept the key of a partner just suspended or a key just revoked (this container forgets at once).
    key_cache_seconds: float = Field(default=5, ge=0)
    # A day closes this long after midnight UTC: longer than any request can take, so nothing booked
    # on the day can still be in flight when it closes.
    settlement_grace_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Parallel Scan segments of the full tier re-evaluation (how the job splits a read of every member; not a
    # data layout: any count reads every member). The due indexes' shards are layout: store/layout.py.
    scan_segments: int = Field(default=16, ge=1, le=256)
    # A statement's net is due this many days after the period's last day (the payment instruction's due date).
    payment_terms_days: int = Field(default=5, ge=0, le=90)
    # A statement link (a presigned S3 URL) opens the page for this long; S3 allows presigned URLs at most 7 days.
    statement_link_hours: int = Field(default=72, ge=1, le=7 * 24)
    write_attempts: int = Field(default=4, ge=1, le=10)  # for transient failures
    conflict_attempts: int = Field(default=40, ge=1)  # for optimistic-lock conflicts on a busy wallet

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    @property
    def member_token_issuer(self) -> str | None:
        """The `iss` of the pool's tokens (Cognito writes it from the region and the pool id)."""
        if not self.member_user_pool_id:
            return None
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.member_user_pool_id}"

    @property
    def member_keys_url(self) -> str | None:
        issuer = self.member_token_issuer
        return self.member_jwks_url or (None if issuer is None else f"{issuer}/.well-known/jwks.json")

    @model_validator(mode="after")
    def deployed_stages_have_their_own_pii_key(self) -> Settings:
        key = self.pii_hmac_key.get_secret_value()
        if not self.is_local and (key == LOCAL_PII_KEY or len(key) < MIN_PII_KEY_LENGTH):
            raise ValueError(
                f"stage {self.stage} needs PII_HMAC_KEY from its deployment (at least {MIN_PII_KEY_LENGTH} "
                "characters, not the local key)"
            )
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        names = {
            "stage": "STAGE",
            "region": "AWS_REGION",
            "members_table": "MEMBERS_TABLE",
            "wallet_vaults_table": "WALLET_VAULTS_TABLE",
            "ledger_table": "LEDGER_TABLE",
            "operations_table": "OPERATIONS_TABLE",
            "directory_table": "DIRECTORY_TABLE",
            "settlements_table": "SETTLEMENTS_TABLE",
            "vouchers_table": "VOUCHERS_TABLE",
            "rewards_table": "REWARDS_TABLE",
            "audit_table": "AUDIT_TABLE",
            "settlement_grace_minutes": "SETTLEMENT_GRACE_MINUTES",
            "statements_bucket": "STATEMENTS_BUCKET",
            "jobs_queue_url": "JOBS_QUEUE_URL",
            "webhooks_queue_url": "WEBHOOKS_QUEUE_URL",
            "webhooks_dead_letter_url": "WEBHOOKS_DEAD_LETTER_URL",
            "admin_key": "COALITION_ADMIN_KEY",
            "pii_hmac_key": "PII_HMAC_KEY",
            "member_user_pool_id": "MEMBER_USER_POOL_ID",
            "member_app_client_id": "MEMBER_APP_CLIENT_ID",
            "member_jwks_url": "MEMBER_JWKS_URL",
            "config_cache_seconds": "CONFIG_CACHE_SECONDS",
            "key_cache_seconds": "KEY_CACHE_SECONDS",
            "payment_terms_days": "PAYMENT_TERMS_DAYS",
            "statement_link_hours": "STATEMENT_LINK_HOURS",
        }
        values = {field: env[var] for field, var in names.items() if env.get(var)}
        if "region" not in values and env.get("AWS_DEFAULT_REGION"):
            values["region"] = env["AWS_DEFAULT_REGION"]
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors(include_input=False))
            raise InvalidSettings(f"invalid settings: {problems}") from None
