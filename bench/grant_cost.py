"""A grant to every member: DynamoDB calls per member credited, and what a redelivery costs and credits.

    python -m bench.grant_cost [members] [--no-rerun]      (default: 2000; --no-rerun skips the slow last run)

Seeds the members (base tier, written directly), then POST /v1/admin/grants {"to": {"all": true}} with the jobs
queue on: the POST only sends one message per Scan segment; each message is then run through the SQS-triggered
job handler (`run_job_shard`), its continuations (a page of 200 leaves more behind) as they come. Then every
message is delivered a second time (the pages are complete), and then every page is run again as if its
consumer had died before recording it: the executor finds each member's credit and books nothing.

Measured (moto 5, in-process, 16 segments, pages of 200):

    members  run                          calls  per member  TransactWriteItems  GetItem  Scan  credits  time
        100  grant (POST + handler)         270       2.70                 116      135    16      100
        100  redelivery of every message     32       0.32                   0       32     0        0
        100  every page run again           364       3.64                 116      232    16        0
        300  grant (POST + handler)         670       2.23                 316      335    16      300    29 s
        300  every page run again           964       3.21                 316      632    16        0
      1,000  grant (POST + handler)       2,070       2.07               1,016    1,035    16    1,000   260 s
      1,000  redelivery of every message     32       0.03                   0       32     0        0
      1,000  every page run again         3,068       3.07               1,016    2,036    16        0
      2,000  grant (POST + handler)       4,076       2.04               2,016    2,041    16    2,000  1222 s
      2,000  redelivery of every message     32       0.02                   0       32     0        0

The calls are 2 per member credited + a fixed 70 (per shard: a Scan page, the job and page-record GetItem, the
page's TransactWriteItems; per POST: the job's GetItem, PutItem and UpdateItem, the funder, the audit record):
2 × 2,000 + 70 = 4,070 calls for 2,000 members (2.04 a member), 2,016 TransactWriteItems, 16 Scan pages; a
redelivery of every message 32 GetItem and no credit.

A member credited costs 1 GetItem (its wallet, consistent) + 1 TransactWriteItems (operation record, entry,
wallet, the shard's progress counter); a page adds its Scan, 2 GetItem (job, page record) and 1 TransactWriteItems
(page record + counter), a shard its programme and fee reads. A redelivered message of a completed page is 2
GetItem; a page run again costs 3 calls per member (its wallet, the transaction refused by the operation record,
the record read for the replay) and credits nobody. Time is moto's (its TransactWriteItems copies the tables it
touches, so it grows with them); on DynamoDB it does not.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from datetime import datetime, timezone

from bench import prepare

prepare()

import moto  # noqa: E402


def main(population: int, rerun: bool = True) -> None:
    import boto3
    from chalice.test import Client

    import app as application
    from chalicelib.bootstrap import Container
    from chalicelib.services import programs
    from chalicelib.services.requests import ProgramDocument
    from chalicelib.store.models import EntryItem, JobPageItem
    from localdev.infra import create_all
    from tests.jobs.test_grants import seed_wallets
    from tests.support.api import PROGRAM, ApiClient, Coalition
    from tests.support.aws import DynamoMeter, make_settings
    from tests.support.clock import Clock

    settings = make_settings(config_cache_seconds=300)
    with moto.mock_aws(), DynamoMeter() as meter:
        create_all(settings)
        container = Container(settings, Clock(datetime(2026, 11, 23, 10, tzinfo=timezone.utc)))
        programs.set_program(container.runtime, ProgramDocument.model_validate(PROGRAM))
        application.app.container = container
        sqs = boto3.client("sqs", region_name=settings.region)
        container.settings.jobs_queue_url = sqs.get_queue_url(QueueName="coalition-local-jobs")["QueueUrl"]
        with Client(application.app) as http, Client(application.app) as lambdas:
            coalition = Coalition(ApiClient(http, container))
            coalition.program_set = True
            coalition.partner("market", fee_per_point="0.002")
            seed_wallets(population, first=0)

            def drain() -> list[str]:
                bodies = []
                url = container.settings.jobs_queue_url
                while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                    for message in batch:
                        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                        event = lambdas.events.generate_sqs_event([message["Body"]], queue_name="coalition-jobs")
                        lambdas.lambda_.invoke("run_job_shard", event)
                        bodies.append(message["Body"])
                return bodies

            def measure(name: str, run) -> None:
                entries = EntryItem.count()
                meter.reset()
                started = time.perf_counter()
                run()
                elapsed = time.perf_counter() - started
                counts = Counter(c.operation for c in meter.calls)
                calls = sum(counts.values())
                credits = EntryItem.count() - entries
                print(
                    f"{name:<30} {calls:>6} {calls / population:>10.2f} {counts['TransactWriteItems']:>19} "
                    f"{counts['GetItem']:>8} {counts['Scan']:>5} {credits:>8} {elapsed:>7.1f}s"
                )

            print(
                f"{'run':<30} {'calls':>6} {'per member':>10} {'TransactWriteItems':>19} {'GetItem':>8} "
                f"{'Scan':>5} {'credits':>8} {'time':>8}"
            )
            body = {"grant_id": "launch", "points": 500, "funder": "market", "reason": "launch", "to": {"all": True}}
            delivered: list[str] = []

            def grant() -> None:
                reply = coalition.api.post("/v1/admin/grants", body, token=coalition.admin)
                assert reply.status == 202, reply.json
                delivered.extend(drain())

            measure("grant (POST + handler)", grant)

            def redeliver() -> None:
                for message in delivered:
                    sqs.send_message(QueueUrl=container.settings.jobs_queue_url, MessageBody=message)
                drain()

            measure("redelivery of every message", redeliver)
            job = coalition.api.get("/v1/admin/jobs/grant-launch", token=coalition.admin).json
            print({k: job[k] for k in ("status", "total", "granted", "points_granted", "shards", "shards_done")})
            if not rerun:
                return
            for page in JobPageItem.scan(JobPageItem.pk.startswith("JOBPAGE#")):  # as if no consumer had recorded
                page.delete()  # its page (the counters' `done` then counts them twice: a state no crash leaves)
            measure("every page run again", redeliver)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000, rerun="--no-rerun" not in sys.argv)
