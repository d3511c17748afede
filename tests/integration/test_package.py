"""`chalice package` with infra/ merged: a template cfn-lint accepts, and a zip with no dev tools in it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    out = tmp_path_factory.mktemp("package") / "dev"
    # as `make package` runs it: pip takes requirements.txt's lines alone, so the AWS SDK stays out (it is the layer)
    env = {**os.environ, "AWS_DEFAULT_REGION": "eu-west-1", "PIP_NO_DEPS": "1"}
    env.pop("STAGE", None)
    subprocess.run(
        [
            str(BIN / "chalice"),
            "package",
            "--stage",
            "dev",
            "--pkg-format",
            "cloudformation",
            "--merge-template",
            "infra/resources.json",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    yield out
    shutil.rmtree(out, ignore_errors=True)


@pytest.mark.slow
def test_the_merged_template_passes_cfn_lint(package):
    result = subprocess.run([str(BIN / "cfn-lint"), str(package / "sam.json")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_the_template_declares_protected_tables_a_private_bucket_and_queues_with_a_dlq(package):
    resources = json.loads((package / "sam.json").read_text())["Resources"]
    tables = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table"}
    assert set(tables) == {
        "MembersTable",
        "WalletVaultsTable",
        "LedgerTable",
        "OperationsTable",
        "DirectoryTable",
        "SettlementsTable",
        "VouchersTable",
        "RewardsTable",
        "AuditTable",
    }
    for props in tables.values():
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["DeletionProtectionEnabled"] is True
        assert props["BillingMode"] == "PAY_PER_REQUEST"
    bucket = resources["StatementsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert "deadLetterTargetArn" in resources["JobsQueue"]["Properties"]["RedrivePolicy"]
    consumer = resources["RunJobShard"]["Properties"]["Events"]["RunJobShardSqsEventSource"]["Properties"]
    assert consumer["Queue"] == {"Fn::Sub": "${JobsQueue.Arn}"}
    assert "deadLetterTargetArn" in resources["WebhooksQueue"]["Properties"]["RedrivePolicy"]
    deliveries = resources["DeliverWebhook"]["Properties"]["Events"]["DeliverWebhookSqsEventSource"]["Properties"]
    assert deliveries["Queue"] == {"Fn::Sub": "${WebhooksQueue.Arn}"}
    outbox = resources["LedgerToWebhooks"]["Properties"]["Events"]["LedgerToWebhooksDynamodbEventSource"]["Properties"]
    assert outbox["Stream"] == {"Fn::GetAtt": ["LedgerTable", "StreamArn"]}
    assert resources["LedgerTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}


@pytest.mark.slow
def test_the_deployment_zip_ships_no_test_or_dev_tools(package):
    archive = package / "deployment.zip"
    with zipfile.ZipFile(archive) as zipped:
        top_level = {name.split("/", 1)[0].lower() for name in zipped.namelist()}
    for tool in ("moto", "pytest", "_pytest", "hypothesis", "cfnlint", "ruff", "localdev", "tests", "toolbox", "typer"):
        assert tool not in top_level, tool
    assert {"app.py", "chalicelib", "pynamodb", "aws_lambda_powertools", "pydantic", "jwt"} <= top_level
    assert "openapi_ui_bundles" in top_level  # GET /v1/docs serves its Swagger UI files
    sdk = {"boto3", "botocore", "s3transfer", "urllib3", "dateutil", "six.py"} & top_level  # the SDK layer's
    assert not sdk, f"{sdk}: a zip cached by chalice run without PIP_NO_DEPS=1? (rm -r .chalice/deployments)"
    size_mb = archive.stat().st_size / 1e6
    print(f"deployment.zip: {size_mb:.1f} MB")
    assert size_mb <= 12  # issue 11 (Lambda's own limit for a directly uploaded zip is 50 MB)


@pytest.mark.slow
def test_the_app_imports_from_the_deployment_zip_and_the_sdk_layer_alone(package, tmp_path):
    """The built zip, and the layer laid out from the venv's distributions at the layer's pins (building the layer
    itself needs PyPI: `make package` imports from the real one, bench/package_size.py --check)."""
    from bench.package_size import import_check
    from infra.sdk_layer import pins
    from tests.unit.test_packaging_split import LAYER, lay_out

    found = import_check(package / "deployment.zip", lay_out(list(pins(LAYER)), tmp_path / "python"))
    assert found["from_layer"], found


@pytest.mark.slow
def test_every_function_gets_the_sdk_layer(package):
    template = json.loads((package / "sam.json").read_text())
    assert template["Resources"]["SdkLayer"]["Properties"]["ContentUri"] == "./sdk-layer.zip"
    assert template["Globals"]["Function"]["Layers"] == [{"Ref": "SdkLayer"}]
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    runtimes = {f["Properties"]["Runtime"] for f in functions}
    assert runtimes <= set(template["Resources"]["SdkLayer"]["Properties"]["CompatibleRuntimes"])
    assert functions and all("Layers" not in f["Properties"] for f in functions)  # none overrides the global


@pytest.mark.slow
def test_every_function_gets_the_pii_key_from_a_generated_secret(package):
    template = json.loads((package / "sam.json").read_text())
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]

    assert template["Resources"]["PiiHmacKeySecret"]["Type"] == "AWS::SecretsManager::Secret"
    assert variables["PII_HMAC_KEY"] == {"Fn::Sub": "{{resolve:secretsmanager:${PiiHmacKeySecret}:SecretString}}"}
    assert functions and all("PII_HMAC_KEY" not in f["Properties"]["Environment"]["Variables"] for f in functions)


@pytest.mark.slow
def test_api_gateway_s_own_answers_take_the_contract_shape(package):
    """What API Gateway answers without calling the Lambda (no such path or method, throttling, timeouts)."""
    from chalicelib.api.errors import STATUS_OF_CODE

    status_of_code = {**STATUS_OF_CODE, "internal_error": 500}  # (api/errors.internal_error)
    api = json.loads((package / "sam.json").read_text())["Resources"]["RestAPI"]
    responses = api["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]

    assert {"MISSING_AUTHENTICATION_TOKEN", "THROTTLED", "INTEGRATION_TIMEOUT", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(
        responses
    )
    for kind, response in responses.items():
        # API Gateway substitutes $context.error.messageString as a quoted JSON string
        text = response["responseTemplates"]["application/json"].replace(
            "$context.error.messageString", '"Missing Authentication Token"'
        )
        error = json.loads(text)["error"]
        assert set(error) == {"code", "message"} and error["message"], kind
        assert error["code"] in status_of_code, kind
        if "statusCode" in response:
            assert int(response["statusCode"]) == status_of_code[error["code"]], kind
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"
    assert json.loads(responses["MISSING_AUTHENTICATION_TOKEN"]["responseTemplates"]["application/json"]) == {
        "error": {
            "code": "not_found",
            "message": "no such path, or no such method on it: GET /v1/openapi.json lists them",
        }
    }
    assert responses["INTEGRATION_TIMEOUT"]["responseParameters"] == {"gatewayresponse.header.Retry-After": "'1'"}
