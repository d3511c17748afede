"""schemathesis runs the served OpenAPI document against the app, in-process with moto behind it.

Its engine runs what its CLI runs, for a bounded time: boundary values of every parameter and body field
(coverage), generated valid and invalid requests per operation (fuzzing), and sequences that follow the
document's links (stateful: enrol -> purchase -> return, hold -> capture/void, partner -> key -> revoke …).
Every answer must be no 5xx, a documented status, a documented content type, and match its schema.

The world it starts from has a programme, two partners, members with points, an open hold and a closed day;
the dictionaries below steer some of the generated values to the ids that exist, so that requests get past
404/400 often enough to reach the use cases. FUZZ_SECONDS and FUZZ_SEED widen or vary a run.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pytest
import schemathesis
from schemathesis.engine import Status, events, from_schema

from tests.support.wsgi import chalice_as_wsgi

pytestmark = pytest.mark.contract

# 50 until six partner reads came, 75 until segments (their rules: 200+ coverage cases), 120 until challenges and
# partner campaigns (their coverage cases left the stateful phase unreached on a loaded machine)
SECONDS = int(os.environ.get("FUZZ_SECONDS", "180"))
SEED = int(os.environ.get("FUZZ_SEED", "20261123"))
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)


# Open holds for each of the operations that close one (one set each: a void must not close them all first).
HOLDS = {"capture_hold": ["hc-1", "hc-2", "hc-3"], "void_hold": ["hv-1", "hv-2", "hv-3"]}
# The fuzzer issues and revokes keys of gamma (whose spare key it may revoke) and of beta, whose profile it also
# patches: a partner that issued ~100 keys once made PATCH answer 500 (tests/integration/test_partner_keys.py).
KEY_PARTNER = "gamma"


@pytest.fixture
def world(coalition, clock):
    """A programme, partners alpha (whose key the fuzzer uses), beta and gamma, members (ann holds the member token),
    a purchase, 2026-11-22 closed, open holds; the clock stands on 2026-11-23."""
    clock.now = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
    coalition.program(
        bonuses={"first_purchase": {"points": 200, "funder": "operator"}},
        activities={"review": {"points": 50, "max_per_day": 3}},
    )
    alpha = coalition.partner("alpha", category_rates={"fuel": "0.5"})
    coalition.partner("beta")
    spare_key = coalition.partner(KEY_PARTNER).split("_")[1]  # ck_<key_id>_<secret>
    ann = coalition.member(alpha, email="ann@example.com")
    bob = coalition.member(alpha, card_number="123456789012")
    cy = coalition.member(alpha)  # the one the operator's fuzzed status changes may suspend or close
    bought = coalition.purchase(alpha, ann, "500.00", transaction_id="t-1", occurred_at="2026-11-22T09:00:00Z")
    assert bought.status == 201
    clock.advance(days=1)
    assert coalition.api.post("/v1/admin/settlements/2026-11-22/close", token=coalition.admin).status == 201
    for hold_id in HOLDS["capture_hold"] + HOLDS["void_hold"]:  # open for the whole run
        hold = {"hold_id": hold_id, "member": {"card_number": ann.card_number}, "points": 40, "ttl_seconds": 86400}
        assert coalition.api.post("/v1/holds", hold, token=alpha).status == 201
    return {
        "credentials": {"partnerKey": alpha, "memberToken": ann.token, "operatorKey": coalition.admin},
        "members": [ann.member_id, bob.member_id],
        "patched_members": [cy.member_id],
        "card": bob.card_number,
        "spare_key": spare_key,
    }


def fuzz_config(world: dict[str, Any]) -> dict[str, Any]:
    """schemathesis's configuration (its schemathesis.toml keys) for this world."""
    dictionaries = {
        "amounts": ["12.50", "100.00", "0.01", "3"],
        "currencies": ["EUR"],
        "moments": ["2026-11-23T09:00:00Z", "2026-11-22T08:00:00Z"],
        "members": world["members"],
        "patched_members": world["patched_members"],
        "cards": [world["card"]],
        "emails": ["ann@example.com"],
        "partners": ["beta"],  # the operator fuzzes beta's profile: alpha's key stays usable
        "key_partners": [KEY_PARTNER, "beta"],
        "funders": ["operator", "alpha", "beta"],
        "rates": ["1", "2.5", "0.002"],
        "days": ["2026-11-22", "2026-11-23", "2026-11"],
        "transactions": ["t-1"],
        "keys": [world["spare_key"]],
        "activities": ["review"],
        "categories": ["fuel", "food"],
    }
    bindings = {
        "body.amount": "amounts",
        "body.items[*].amount": "amounts",
        "body.items[*].category": "categories",
        "body.currency": "currencies",
        "body.occurred_at": "moments",
        "body.starts_at": "moments",
        "body.member.member_id": "members",
        "body.member.card_number": "cards",
        "body.member_id": "members",
        "body.email": "emails",
        "body.funder": "funders",
        "body.partners[*]": "partners",
        "body.earn_rate": "rates",
        "body.fee_per_point": "rates",
        "body.multiplier": "rates",
        "body.point_value": "rates",
        "body.type": "activities",
        "path.partner_id": "partners",
        "path.member_id": "patched_members",
        "path.key_id": "keys",
        "path.transaction_id": "transactions",
        "path.period": "days",
        "path.date": "days",
        "query.card_number": "cards",
        "query.email": "emails",
        "query.from": "days",
        "query.to": "days",
    }
    return {
        "seed": SEED,
        "max-time": SECONDS,
        "workers": 1,  # one app object, one moto: requests go one at a time, as chalice local serves them
        "cache": {"enabled": False},
        "auth": {"openapi": {name: {"bearer": secret} for name, secret in world["credentials"].items()}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "generation": {
            "database": "none",
            "max-examples": 25,
            "with-security-parameters": False,  # the credentials are fixed; 401s are tested elsewhere
        },
        "phases": {
            # Methods the document does not list are answered by API Gateway (OPTIONS) or chalice, not the app.
            "coverage": {"unexpected-methods": []},
            "stateful": {"max-steps": 12},
        },
        "dictionaries": {name: {"values": values} for name, values in {**dictionaries, **HOLDS}.items()},
        "parameters": {key: {"dictionary": name, "probability": 0.7} for key, name in bindings.items()},
        "operations": [
            *(
                {
                    "include-operation-id": operation,
                    "parameters": {"path.hold_id": {"dictionary": operation, "probability": 0.7}},
                }
                for operation in HOLDS
            ),
            {
                "include-operation-id": ["issue_key", "revoke_key"],
                "parameters": {"path.partner_id": {"dictionary": "key_partners", "probability": 0.7}},
            },
        ],
    }


@dataclass(frozen=True)
class Finding:
    operation: str
    check: str
    failure: str
    curl: str

    def __str__(self) -> str:
        return f"{self.operation} [{self.check}] {self.failure}\n    {self.curl}"


def run_schemathesis(schema: Any) -> tuple[list[Finding], Counter[str]]:
    """The engine's events reduced to what failed (one finding per operation, check and failure) and how
    many answers each phase got per status, which says what the run reached."""
    findings: dict[tuple[str, str, str], Finding] = {}
    answers: Counter[str] = Counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.FatalError | events.NonFatalError):
            findings[("engine", "error", str(event.info))] = Finding("engine", "error", str(event.info), "")
        if not isinstance(event, events.ScenarioFinished):
            continue
        recorder = event.recorder
        for case_id, interaction in recorder.interactions.items():
            if interaction.response is not None:
                operation = recorder.cases[case_id].value.operation.label if case_id in recorder.cases else "?"
                answers[f"{event.phase.name} {interaction.response.status_code} {operation}{_code(interaction)}"] += 1
        for checks in recorder.checks.values():
            for check in checks:
                if check.status == Status.FAILURE and check.failure_info is not None:
                    failure = check.failure_info.failure
                    finding = Finding(recorder.label, check.name, failure.title, check.failure_info.code_sample)
                    findings.setdefault((finding.operation, finding.check, failure.title), finding)
    return list(findings.values()), answers


def _code(interaction: Any) -> str:
    try:
        return " " + json.loads(interaction.response.content)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return ""


def test_schemathesis_finds_no_5xx_and_no_answer_outside_the_document(api, world):
    app = chalice_as_wsgi(api.http)
    schema = schemathesis.openapi.from_wsgi(
        "/v1/openapi.json", app, config=schemathesis.Config.from_dict(fuzz_config(world))
    )

    findings, answers = run_schemathesis(schema)
    print("\n".join(f"{n:5} {key}" for key, n in sorted(answers.items())))

    assert not findings, "\n".join(map(str, findings))
    # The run reached the use cases, not only the validation in front of them.
    for phase in ("COVERAGE", "FUZZING", "STATEFUL_TESTING"):
        assert any(key.startswith(phase) for key in answers), (phase, answers)
    assert sum(n for key, n in answers.items() if key.split()[1].startswith("2")) >= 30, answers
