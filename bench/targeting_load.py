"""Capacity of a warm purchase for a member in everything targeting can put in a wallet, against in-process moto.

    python -m bench.targeting_load

The worst the limits allow, built up over four months: 20 monthly challenges of every kind (purchases, spend,
partners, weekly streak), each completed every month (the completed periods are kept 90 days for returns: the
current month's and three before), and 20 measured campaigns the member is measured in. A purchase is measured
before anything (the floor: 6 WCU, 0.5 RCU), then each month, then with everything: WCU and RCU as DynamoDB bills
them (tests/support/capacity.py), the calls, and the size of each item written (record, wallet head, entry).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bench import coalition_app, member_pool, prepare

prepare()

import moto  # noqa: E402

MONTHS = ("2026-08", "2026-09", "2026-10", "2026-11")
KINDS = (("purchases", 1), ("spend", "5.00"), ("partners", 1), ("streak", 1))


def main() -> None:
    from chalicelib.domain.timefmt import iso
    from tests.support.api import Reply
    from tests.support.aws import make_settings
    from tests.support.capacity import capacity_meter
    from tests.support.clock import Clock

    with moto.mock_aws(), member_pool() as pool:
        settings = make_settings(**pool, config_cache_seconds=3600, key_cache_seconds=300)
        clock = Clock(datetime(2026, 8, 1, 12, tzinfo=timezone.utc))
        with coalition_app(settings, clock) as coalition:
            till = coalition.partner("shop")
            member = coalition.member(till)

            def buy(amount: str) -> Reply:  # an hour ago, as the clock stands
                return coalition.purchase(till, member, amount, occurred_at=iso(clock.now - timedelta(hours=1)))

            buy("1.00")  # warm: key, partner, programme, campaigns cached

            def measure(label: str) -> None:
                with capacity_meter() as meter:
                    reply = buy("10.00")
                assert reply.status == 201, reply.json
                calls = ", ".join(b.operation for b in meter.billed)
                written = "+".join(str(n) for b in meter.billed for n in b.written_bytes)
                print(f"{label:<44} {meter.wcu:>4g} WCU {meter.rcu:>4g} RCU  {calls:<30} {written}")

            measure("nothing running")
            for n in range(20):
                kind, target = KINDS[n % 4]
                challenge = {
                    "challenge_id": f"ch-{n:02d}",
                    "name": f"Challenge number {n}",
                    "kind": kind,
                    "period": "month",
                    "target": target,
                    "reward": {"points": 100, "funder": "operator"},
                    "starts_at": "2026-08-01T00:00:00Z",
                    "ends_at": "2026-12-31T00:00:00Z",
                }
                assert coalition.api.post("/v1/admin/challenges", challenge, token=coalition.admin).status == 201
                campaign = {
                    "campaign_id": f"measured-{n:02d}",
                    "name": "m",
                    "points": 1,
                    "funder": "operator",
                    "control_share": "0.5",
                    "starts_at": "2026-08-01T00:00:00Z",
                    "ends_at": "2026-12-31T00:00:00Z",
                }
                assert coalition.api.post("/v1/admin/campaigns", campaign, token=coalition.admin).status == 201
            coalition.api.container.runtime.cache.forget("challenges")
            coalition.api.container.runtime.cache.forget("campaigns")
            for month in MONTHS:
                clock.now = datetime.fromisoformat(f"{month}-20T12:00:00+00:00")
                measure(f"{month}: completes 20 challenges, 20 measured")
            measure("then: 20 challenges × 4 periods kept, 20 measured")


if __name__ == "__main__":
    main()
