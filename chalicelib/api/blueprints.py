"""Every blueprint of the API, in the order app.py registers them. Importing a blueprint's module declares its
endpoints (routing.ENDPOINTS): what needs all of them (app.py's routes, the OpenAPI document) gets them here.

The modules are imported when first asked for, not with this module (see app.py's `register_routes`)."""

from __future__ import annotations

from chalice.app import Blueprint


def blueprints() -> tuple[Blueprint, ...]:
    from .admin import admin_api
    from .challenges import challenges_api
    from .docs import docs_api
    from .member import member_api
    from .memberships import memberships_api
    from .partner import partner_api
    from .partner_reads import partner_reads_api
    from .partner_targeting import partner_targeting_api
    from .public import public_api
    from .rewards import rewards_api
    from .settlements import settlement_api
    from .targeting import targeting_api
    from .webhooks import webhooks_api

    return (
        public_api,
        docs_api,
        partner_api,
        partner_reads_api,
        member_api,
        rewards_api,
        admin_api,
        targeting_api,
        challenges_api,
        memberships_api,
        partner_targeting_api,
        settlement_api,
        webhooks_api,
    )
