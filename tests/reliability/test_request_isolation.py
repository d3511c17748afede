"""One app object serves threads at once (`chalice local`, tests racing the test Client): each request reads
its own request and Lambda context, never another's."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

import app as application
from chalicelib.api.partner import partner_api


def test_each_thread_reads_its_own_request_and_lambda_context():
    app = application.app
    app.load_routes()  # blueprints are registered to the app when its routes are first read (app.py)
    both_set = threading.Barrier(2, timeout=10)

    def serve(name: str) -> tuple[str, str, str]:
        app.current_request = SimpleNamespace(name=f"request {name}")
        app.lambda_context = SimpleNamespace(aws_request_id=f"context {name}")
        both_set.wait()  # the other thread has now set its own
        return (
            partner_api.current_request.name,  # what blueprints read: current_app.current_request
            partner_api.current_app.current_request.name,
            partner_api.lambda_context.aws_request_id,
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        seen = list(pool.map(serve, ["a", "b"], timeout=30))

    assert seen == [("request a", "request a", "context a"), ("request b", "request b", "context b")]


@pytest.mark.concurrency
def test_parallel_requests_through_one_app_each_answer_their_own_caller(coalition, api):
    shop = coalition.partner("shop")
    members = [coalition.member(shop) for _ in range(6)]
    for n, member in enumerate(members):
        coalition.purchase(shop, member, f"{10 * (n + 1)}.00")

    def me(n: int) -> tuple[str, int]:
        member = members[n % len(members)]
        body = api.get("/v1/me", token=member.token).json
        return body["member_id"], body["available_points"]

    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns every few bytecodes: a shared request would show
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            seen = list(pool.map(me, range(48), timeout=120))
    finally:
        sys.setswitchinterval(switch_interval)

    assert seen == [(members[n % 6].member_id, 10 * (n % 6 + 1)) for n in range(48)]
