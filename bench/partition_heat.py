"""Partition heat: every write's partition key (base tables and GSIs) over 1,000 purchases, half of them
at one partner, spread over 200 members. Prints the hottest keys and what they mean at 5,000 tx/s.

    python -m bench.partition_heat [transactions]
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from bench import prepare

prepare()

import moto  # noqa: E402


def main(transactions: int) -> None:
    from chalicelib.bootstrap import Container
    from chalicelib.services import members, partners
    from chalicelib.services.requests import EnrolRequest, PartnerCreate
    from localdev.infra import create_all
    from tests.settlement.test_settlement_costs import book_purchases, partition_keys
    from tests.support.aws import DynamoMeter, make_settings
    from tests.support.clock import Clock

    settings = make_settings()
    clock = Clock(datetime(2026, 11, 23, 9, tzinfo=timezone.utc))
    with moto.mock_aws(), DynamoMeter() as meter:
        create_all(settings)
        rt = Container(settings, clock).runtime
        names = ["bigmart", "p2", "p3", "p4", "p5", "p6"]
        for name in names:
            partners.create_partner(rt, PartnerCreate(partner_id=name, name=name, currency="EUR", earn_rate="1"))
        member_ids = [
            members.enrol_member(rt, "p2", EnrolRequest(email=f"m{n}@x.com"))["member_id"] for n in range(200)
        ]
        meter.reset()
        book_purchases(
            rt,
            clock,
            member_ids,
            ["bigmart", "p2", "bigmart", "p3", "bigmart", "p4", "bigmart", "p5", "bigmart", "p6"],
            transactions,
            "heat",
        )
        keys = partition_keys(meter.calls)
    print(f"{transactions} purchases, {transactions // 2} at bigmart; {sum(keys.values())} partition-key writes")
    print(f"{'key':<58} {'writes':>6} {'share':>7} {'writes/s at 5,000 tx/s':>24}")
    for key, count in keys.most_common(8):
        share = count / transactions
        print(f"{key:<58} {count:>6} {share:>7.1%} {5000 * share:>24.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
