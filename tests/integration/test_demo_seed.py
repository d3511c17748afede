"""`make run`'s demo history, seeded into the embedded AWS as make run does it, on a fixed calendar: a pilot month
whose points expire, tier upgrades, every day closed, and a ledger that reconciles."""

from __future__ import annotations

import os
from datetime import date

import pytest

from localdev.emulator import SerialisedMotoServer


@pytest.fixture
def local_stack(monkeypatch):
    """The embedded AWS with make run's tables and member pool, and make run's settings."""
    from localdev.run import local_environment, local_member_pool

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with SerialisedMotoServer() as server:
        port = int(server.url.rsplit(":", 1)[1])
        for name, value in local_environment(port).items():
            monkeypatch.setenv(name, value)
        pool = local_member_pool(server.url, "eu-west-1")
        for name, value in pool.api_environment().items():
            monkeypatch.setenv(name, value)
        from chalicelib.settings import Settings
        from localdev.infra import create_all

        settings = Settings.from_env()
        create_all(settings)
        yield settings, pool


@pytest.mark.slow
def test_a_history_across_a_month_end_expires_the_pilots_points_and_closes_every_day(local_stack):
    from chalicelib.bootstrap import Container
    from chalicelib.services.reconciliation import reconcile
    from localdev.seed import seed_demo, summary

    settings, pool = local_stack

    # 2026-09-30 .. 2026-11-01: the pilot's day (September) expires at the end of October, booked on November 1st
    demo = seed_demo(settings, pool, days=33, today=date(2026, 11, 2))

    figures = demo.figures
    assert (demo.first_day, demo.last_closed, figures.days_closed) == ("2026-09-30", "2026-11-01", 33)
    assert figures.expired_points > 0
    assert figures.purchases > 100 and figures.returns > 0 and figures.redemptions > 0
    assert any(" silver on " in change for change in figures.tier_changes)
    assert summary(demo)[0].startswith("Demo history: 2026-09-30 to today in ")
    assert os.environ["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")  # direct calls ended with the seed

    from datetime import datetime, timezone

    rt = Container(settings, lambda: datetime(2026, 11, 2, 12, tzinfo=timezone.utc)).runtime
    report = reconcile(rt, 0, 1, 100, None)
    assert report["ok"] is True, report
    assert report["invariant_3"]["net_totals"] and set(report["invariant_3"]["net_totals"].values()) == {"0.00"}
    november_first = rt.store.settlements.get_closed("2026-11-01")
    assert november_first is not None
