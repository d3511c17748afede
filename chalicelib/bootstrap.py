"""Composition root: builds settings, the store (its repositories) and the shared runtime, lazily,
on the first request (never at import time, so cold starts and tests stay cheap)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cached_property

from .services.auth import MemberKeys, Principal, authenticate
from .services.runtime import Runtime, utc_now
from .settings import Settings
from .store.repositories import Store, dynamodb_store
from .store.tables import configure_models


class Container:
    def __init__(
        self, settings: Settings | None = None, clock: Callable[[], datetime] = utc_now, store: Store | None = None
    ) -> None:
        self._given_settings = settings
        self._clock = clock
        self._given_store = store  # None: the DynamoDB tables the settings name

    @cached_property
    def settings(self) -> Settings:
        return self._given_settings or Settings.from_env()

    @cached_property
    def runtime(self) -> Runtime:
        configure_models(self.settings)
        return Runtime(self.settings, self._clock, self._given_store or dynamodb_store(self.settings))

    @cached_property
    def member_keys(self) -> MemberKeys:
        return MemberKeys(self.settings)

    def authenticate(self, authorization: Sequence[str]) -> Principal:
        """`authorization`: the values of every Authorization header the request carried."""
        return authenticate(self.runtime, self.member_keys, authorization)
