"""Structured JSON logs with a correlation id, and business metrics as CloudWatch EMF."""

from __future__ import annotations

import io
import json

from chalicelib.observability import logger
from chalicelib.services import members


def json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


def test_an_earn_emits_points_issued_as_emf(coalition, capsys):
    key = coalition.partner("shop", earn_rate="2")
    member = coalition.member(key)
    capsys.readouterr()

    coalition.purchase(key, member, "42.50")

    emf = [line for line in json_lines(capsys.readouterr().out) if "_aws" in line]
    issued = [line for line in emf if "PointsIssued" in line]
    assert len(issued) == 1 and issued[0]["PointsIssued"] == [85.0]
    assert issued[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Coalition"


def test_a_replay_emits_no_second_metric(coalition, capsys):
    key = coalition.partner("shop")
    member = coalition.member(key)
    coalition.purchase(key, member, "10.00", transaction_id="t1")
    capsys.readouterr()

    coalition.purchase(key, member, "10.00", transaction_id="t1")

    assert not [line for line in json_lines(capsys.readouterr().out) if "PointsIssued" in line]


def test_errors_are_logged_as_json_with_the_request_correlation_id(coalition, monkeypatch):
    key = coalition.partner("shop")
    member = coalition.member(key)
    monkeypatch.setattr(members, "member_overview", lambda *a: 1 / 0)
    buffer = io.StringIO()
    previous = logger.registered_handler.setStream(buffer)

    try:
        reply = coalition.api.get("/v1/me", token=member.token)
    finally:
        logger.registered_handler.setStream(previous)

    logged = [line for line in json_lines(buffer.getvalue()) if line.get("message") == "unhandled error"]
    assert reply.status == 500
    assert logged and logged[0]["level"] == "ERROR" and logged[0].get("correlation_id")
