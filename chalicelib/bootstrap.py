"""Composition root: builds settings, the store (its repositories) and the shared runtime, lazily,
on the first request (never at import time, so cold starts and tests stay cheap).

What it builds is imported when it is built, not with this module: app.py makes a Container at import, and a
function that imports app (every Lambda function does) should not pay for settings, the store's models and
authentication before it needs them (issue 11).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .services.auth import MemberKeys, Principal
    from .services.runtime import Runtime
    from .settings import Settings
    from .store.repositories import Store


class Container:
    def __init__(
        self,
        settings: Settings | None = None,
        clock: Callable[[], datetime] | None = None,  # None: the time now, in UTC
        store: Store | None = None,
    ) -> None:
        self._given_settings = settings
        self._clock = clock
        self._given_store = store  # None: the DynamoDB tables the settings name

    @cached_property
    def settings(self) -> Settings:
        from .settings import Settings

        return self._given_settings or Settings.from_env()

    @cached_property
    def runtime(self) -> Runtime:
        from .services.runtime import Runtime, utc_now
        from .store.repositories import dynamodb_store
        from .store.tables import configure_models

        configure_models(self.settings)
        return Runtime(self.settings, self._clock or utc_now, self._given_store or dynamodb_store(self.settings))

    @cached_property
    def member_keys(self) -> MemberKeys:
        from .services.auth import MemberKeys

        return MemberKeys(self.settings)

    def prepare(self, *, configuration: bool = False) -> None:
        """Settings, the runtime and its DynamoDB client built now (a Lambda's init) rather than on first use.

        `configuration`: also read what every earn reads through the cache, the same for every caller (the programme
        the campaigns and the challenges), so a container's first purchase reads only what is its caller's own (key,
        partner)."""
        runtime = self.runtime
        if self._given_store is None:
            from .store.tables import connection

            connection(runtime.settings).client  # noqa: B018 - a property: building the client is the point
        if configuration:
            from .services.campaigns import all_campaigns
            from .services.challenges import all_challenges
            from .services.programs import current_program

            current_program(runtime)
            all_campaigns(runtime)
            all_challenges(runtime)

    def authenticate(self, authorization: Sequence[str]) -> Principal:
        """`authorization`: the values of every Authorization header the request carried."""
        from .services.auth import authenticate

        return authenticate(self.runtime, self.member_keys, authorization)
