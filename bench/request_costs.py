"""DynamoDB calls and items per request at several history lengths, against in-process moto.

    python -m bench.request_costs [history sizes…]      (default: 5 500 2000)

Latency through moto says little about DynamoDB; the call and item counts are what AWS bills and throttles.
"""

from __future__ import annotations

import sys
import time
from statistics import median

from bench import coalition_app, member_pool, prepare

prepare()

import moto  # noqa: E402


def main(sizes: list[int]) -> None:
    from tests.integration.test_request_costs import grow_history
    from tests.support.aws import DynamoMeter, make_settings

    with moto.mock_aws(), member_pool() as pool, DynamoMeter() as meter:
        settings = make_settings(**pool, config_cache_seconds=300)
        with coalition_app(settings) as coalition:
            container = coalition.api.container
            key = coalition.partner("shop")
            member = coalition.member(key)
            coalition.purchase(key, member, "1.00")
            print(f"{'history':>8} {'request':<24} {'calls':<45} {'items':>5} {'ms (moto)':>9}")
            for size in sizes:
                grow_history(container, member.member_id, "shop", size)
                requests = {
                    "GET /v1/me": lambda: coalition.api.get("/v1/me", token=member.token),
                    "GET /v1/me/entries": lambda: coalition.api.get("/v1/me/entries", token=member.token),
                    "POST /v1/transactions": lambda n: coalition.purchase(key, member, "9.99", transaction_id=f"b{n}"),
                    "POST /v1/redemptions": lambda n: coalition.redeem(key, member, 1, redemption_id=f"b{n}"),
                }
                for name, send in requests.items():
                    timings = []
                    for n in range(5):
                        meter.reset()
                        started = time.perf_counter()
                        reply = send(f"{size}-{n}") if name.startswith("POST") else send()
                        timings.append((time.perf_counter() - started) * 1000)
                        assert reply.status in (200, 201), reply.json
                    calls = ", ".join(f"{c.operation}" for c in meter.calls)
                    items = sum(c.items for c in meter.calls)
                    print(f"{size:>8} {name:<24} {calls:<45} {items:>5} {median(timings):>9.1f}")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [5, 500, 2000])
