"""Tier review cost at 1k and 10k members, 1% of them due: items read (counted) and time per due member.

    python -m bench.tier_review [member counts…]      (default: 1000 10000)

Time is moto's, in-process: its TransactWriteItems copies the tables it touches, so time per member grows
with the table; on DynamoDB it does not. The items read are what AWS bills.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone

from bench import prepare

prepare()

import moto  # noqa: E402


def main(populations: list[int]) -> None:
    from chalicelib.bootstrap import Container
    from chalicelib.jobs import dispatch
    from chalicelib.services import programs
    from chalicelib.services.requests import ProgramDocument
    from localdev.infra import create_all
    from tests.jobs.test_job_costs import items_read, seed_members
    from tests.support.api import PROGRAM
    from tests.support.aws import DynamoMeter, make_settings
    from tests.support.clock import Clock

    print(f"{'members':>8} {'due':>5} {'queries':>8} {'items read':>10} {'read/due':>8} {'ms/due member':>14}")
    for total in populations:
        settings = make_settings(config_cache_seconds=300)
        with moto.mock_aws(), DynamoMeter() as meter:
            create_all(settings)
            rt = Container(settings, Clock(datetime(2027, 11, 23, 1, tzinfo=timezone.utc))).runtime
            programs.set_program(rt, ProgramDocument.model_validate(PROGRAM))
            due = seed_members(settings, total, total // 100)
            meter.reset()
            started = time.perf_counter()
            result = dispatch.fan_out(rt, "tier-review", "2027-11-23")
            elapsed = time.perf_counter() - started
            assert result["processed"] == len(due)
            read = items_read(meter)
            queries = meter.counts()["Query"]
            print(
                f"{total:>8} {len(due):>5} {queries:>8} {read:>10} {read / len(due):>8.1f} "
                f"{1000 * elapsed / len(due):>14.1f}"
            )


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [1000, 10000])
