"""Deploy templates: cfn-lint on the SAM template, and everything Docker would need, minus Docker.

Docker cannot run on these machines, so the image is never built here. What can be checked is:
the template lints, it wires the API, usage plan, key, bucket and IAM as promised, the Dockerfile
copies what the handler needs and names it, and the Lambda requirements cover every third-party
module the handler really imports when it prices a request and writes to S3.
The IAM (roles and policies) is checked in tests/test_infra_iam.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.settings import REPO_ROOT
from tests.importable import requirement_pins, run_probe
from tests.infra_support import (
    INFRA,
    TEMPLATE,
    compactor_function,
    load_template,
    pricing_function,
    resources,
)
from tests.service_fixtures import MOTO_ENV


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def cfn_lint(path: Path) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or "cfn-lint"
    return subprocess.run([executable, str(path)], capture_output=True, text=True, timeout=120)


def test_the_template_has_the_pricing_function_and_the_compactor(
    template: dict[str, Any],
) -> None:
    assert set(resources(template, "AWS::Serverless::Function")) == {
        "PricingFunction",
        "PredictionsCompactorFunction",
    }


def test_cfn_lint_passes_on_the_sam_template() -> None:
    result = cfn_lint(TEMPLATE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_would_catch_a_broken_template(tmp_path: Path) -> None:
    broken = TEMPLATE.read_text().replace(
        "DependsOn: PricingApiStage", "DependsOn: NoSuchResource", 1
    )
    (tmp_path / "template.yaml").write_text(broken)
    result = cfn_lint(tmp_path / "template.yaml")
    assert result.returncode != 0
    assert "NoSuchResource" in result.stdout


def test_the_api_requires_keys_and_the_usage_plan_limits_them(template: dict[str, Any]) -> None:
    (api,) = resources(template, "AWS::Serverless::Api").values()
    assert api["Properties"]["Auth"]["ApiKeyRequired"] is True
    function = pricing_function(template)
    event = function["Properties"]["Events"]["Predict"]["Properties"]
    assert (event["Path"], event["Method"], event["Auth"]["ApiKeyRequired"]) == (
        "/predict",
        "post",
        True,
    )
    (plan,) = resources(template, "AWS::ApiGateway::UsagePlan").values()
    props = plan["Properties"]
    assert props["Throttle"] == {
        "RateLimit": {"Ref": "ThrottleRateLimit"},
        "BurstLimit": {"Ref": "ThrottleBurstLimit"},
    }
    assert props["Quota"] == {"Limit": {"Ref": "DailyQuota"}, "Period": "DAY"}
    plan_keys = resources(template, "AWS::ApiGateway::UsagePlanKey").values()
    keys = {plan_key["Properties"]["KeyId"]["Ref"] for plan_key in plan_keys}
    assert keys == {"PricingApiKey", "PricingOwnerApiKey"}  # the app's and the owners', one plan
    assert set(resources(template, "AWS::ApiGateway::ApiKey")) == keys


def test_local_server_defaults_match_the_template(template: dict[str, Any]) -> None:
    from laptop_pricing.api.gateway import DEFAULT_BURST, DEFAULT_QUOTA, DEFAULT_RATE

    params = template["Parameters"]
    assert params["ThrottleRateLimit"]["Default"] == DEFAULT_RATE
    assert params["ThrottleBurstLimit"]["Default"] == DEFAULT_BURST
    assert params["DailyQuota"]["Default"] == DEFAULT_QUOTA


def test_the_log_bucket_is_encrypted_private_and_tls_only(template: dict[str, Any]) -> None:
    bucket = template["Resources"]["PredictionsBucket"]["Properties"]
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    policy = template["Resources"]["PredictionsBucketPolicy"]["Properties"]["PolicyDocument"]
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_outcomes_are_a_route_of_the_same_function_key_and_usage_plan(
    template: dict[str, Any],
) -> None:
    events = pricing_function(template)["Properties"]["Events"]
    routes = {(e["Properties"]["Path"], e["Properties"]["Method"]) for e in events.values()}
    assert routes == {
        ("/predict", "post"),
        ("/outcome", "post"),
        ("/quote/{quote_id}", "get"),
        ("/purchase", "post"),
        ("/purchase/preview", "post"),
        ("/purchase", "get"),  # ?serial=, owners only (the handler decides from the key id)
        ("/purchase/{purchase_id}", "get"),
        ("/purchase/{purchase_id}/photos", "post"),
        ("/stock", "get"),
        ("/stock/{purchase_id}", "get"),
        ("/stock/{purchase_id}/events", "post"),
    }
    for route in (e["Properties"] for e in events.values()):
        assert route["Auth"] == {"ApiKeyRequired": True}
        assert route["RestApiId"] == {"Ref": "PricingApi"}


def test_records_expire_long_after_the_compactor_folded_them(template: dict[str, Any]) -> None:
    from laptop_pricing.request_log import compact

    bucket = template["Resources"]["PredictionsBucket"]["Properties"]
    rules = [r for r in bucket["LifecycleConfiguration"]["Rules"] if "_records" in str(r)]
    assert [rule["Prefix"] for rule in rules] == [
        {"Fn::Sub": "${PredictionsPrefix}/_records/"},
        {"Fn::Sub": "${OutcomesPrefix}/_records/"},
    ]
    for rule in rules:
        assert rule["Status"] == "Enabled"
        assert rule["ExpirationInDays"] * 24 * 3600 > 30 * compact.MARGIN.total_seconds()


def test_the_glue_table_reads_the_rollup_with_its_columns_and_partitions(
    template: dict[str, Any],
) -> None:
    from laptop_pricing.request_log.glue import GlueColumn, rollup_table_columns

    table = template["Resources"]["RequestLogRollupTable"]["Properties"]["TableInput"]
    assert [c["Name"] for c in table["PartitionKeys"]] == ["year", "month"]
    found = [GlueColumn(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
    expected = list(rollup_table_columns())
    paste = "\n".join(column.as_yaml() for column in expected[len(found) :])
    assert found == expected, (
        "infra/template.yaml RequestLogRollupTable Columns differ from the request log's; "
        f"append at the end of that list:\n{paste}"
    )
    assert table["StorageDescriptor"]["Location"] == {
        "Fn::Sub": "s3://${PredictionsBucket}/${PredictionsPrefix}/_rollup/"
    }
    assert table["Parameters"]["projection.enabled"] == "true"
    assert "MapredParquetInputFormat" in table["StorageDescriptor"]["InputFormat"]


def test_the_compactor_runs_hourly_from_the_pricing_image_with_its_own_command(
    template: dict[str, Any],
) -> None:
    from laptop_pricing.request_log import compact

    function = compactor_function(template)
    props = function["Properties"]
    assert props["PackageType"] == "Image"
    (command,) = props["ImageConfig"]["Command"]
    assert command == "laptop_pricing.request_log.compact.handler"
    module, name = command.rsplit(".", 1)
    assert module == compact.__name__ and callable(getattr(compact, name))
    # The same build as the pricing function, so sam build makes one image for both.
    assert function["Metadata"] == pricing_function(template)["Metadata"]
    (event,) = props["Events"].values()
    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"] == "rate(1 hour)"
    assert event["Properties"].get("State", "ENABLED") == "ENABLED"
    assert event["Properties"].get("Enabled", True) is True
    env = props["Environment"]["Variables"]
    pricing_env = pricing_function(template)["Properties"]["Environment"]["Variables"]
    for name in ("PREDICTIONS_BUCKET", "PREDICTIONS_PREFIX"):
        assert env[name] == pricing_env[name]
    # Room for the rollup's retries beside another run, and far under Lambda's 15 minutes.
    assert compact.ROLLUP_ATTEMPTS * 10 < props["Timeout"] <= 300
    assert 128 <= props["MemorySize"] <= 1024


def test_the_compactor_logs_to_its_own_group_with_retention(template: dict[str, Any]) -> None:
    group = template["Resources"]["PredictionsCompactorLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert (
        group["LogGroupName"]
        != (template["Resources"]["PricingFunctionLogGroup"]["Properties"]["LogGroupName"])
    )
    logging_config = compactor_function(template)["Properties"]["LoggingConfig"]
    assert logging_config["LogGroup"] == {"Ref": "PredictionsCompactorLogGroup"}


def test_logs_are_retained_for_a_bounded_time(template: dict[str, Any]) -> None:
    group = template["Resources"]["PricingFunctionLogGroup"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert template["Parameters"]["LogRetentionDays"]["Default"] == 30
    function = pricing_function(template)
    assert function["Properties"]["LoggingConfig"]["LogGroup"] == {"Ref": "PricingFunctionLogGroup"}


def test_the_function_is_the_image_with_the_handler_and_its_configuration(
    template: dict[str, Any],
) -> None:
    function = pricing_function(template)
    props = function["Properties"]
    assert props["PackageType"] == "Image"
    assert props["Timeout"] < 29  # answers before API Gateway's integration timeout
    env = props["Environment"]["Variables"]
    assert env["PREDICTIONS_BUCKET"] == {"Ref": "PredictionsBucket"}
    assert env["PREDICTIONS_PREFIX"] == {"Ref": "PredictionsPrefix"}
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "LaptopPricing"
    meta = function["Metadata"]
    assert (INFRA / meta["DockerContext"] / meta["Dockerfile"]).resolve() == (
        INFRA / "Dockerfile"
    ).resolve()


def test_dockerfile_uses_the_aws_base_image_copies_the_model_and_names_the_handler() -> None:
    lines = [
        line.strip()
        for line in (INFRA / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert re.fullmatch(r"FROM public\.ecr\.aws/lambda/python:3\.\d+", lines[0])
    assert "COPY model/ ${LAMBDA_TASK_ROOT}/model/" in lines
    assert "COPY laptop_pricing/ ${LAMBDA_TASK_ROOT}/laptop_pricing/" in lines
    assert any("pip install" in line and "requirements-lambda.txt" in line for line in lines)
    assert json.loads(lines[-1].removeprefix("CMD ")) == ["laptop_pricing.api.handler.handler"]
    for copied in (
        "model/model.txt",
        "model/model_metadata.json",
        "laptop_pricing/api/handler.py",
    ):
        assert (REPO_ROOT / copied).exists(), copied


def test_dockerignore_sends_only_what_the_image_copies() -> None:
    for path in (REPO_ROOT / ".dockerignore", INFRA / "Dockerfile.dockerignore"):
        rules = [r for r in path.read_text().splitlines() if r and not r.startswith("#")]
        assert rules[0] == "*"
        assert {"!laptop_pricing/", "!model/", "!infra/requirements-lambda.txt"} <= set(rules)
        assert ".streamlit/" in rules and "var/" in rules


def test_lambda_requirements_are_pinned_like_the_app() -> None:
    lambda_pins = requirement_pins(INFRA / "requirements-lambda.txt")
    app_pins = requirement_pins(REPO_ROOT / "requirements.txt")
    for name, version in lambda_pins.items():
        assert app_pins.get(name) == version, f"{name} differs from requirements.txt"


# Runs in a fresh interpreter where only the Lambda image's distributions can be imported: any
# other installed distribution (pandas, streamlit, mlflow, scikit-learn...) raises
# ModuleNotFoundError.
IMPORT_PROBE = """
from laptop_pricing.api import handler
from laptop_pricing.pricing.laptop_spec import LaptopSpec
event = {"httpMethod": "POST", "body": json.dumps(LaptopSpec.default().to_payload())}
answer = handler.handler(event, None)
assert answer["statusCode"] == 200, answer
from laptop_pricing.trade_in.condition import Condition
payload = {**LaptopSpec.default().to_payload(), "condition": Condition.best().as_dict()}
offer = handler.handler({"httpMethod": "POST", "body": json.dumps(payload)}, None)
assert offer["statusCode"] == 200 and json.loads(offer["body"])["quote_id"], offer
mods = sorted(m for m in sys.modules if m.startswith("laptop_pricing"))
print(json.dumps({"modules": mods, "pandas": "pandas" in sys.modules,
                  "sklearn": "sklearn" in sys.modules}))
"""


def _probe_env(moto_endpoint: str, bucket: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(REPO_ROOT),
        **MOTO_ENV,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "PREDICTIONS_BUCKET": bucket,
        "POWERTOOLS_METRICS_DISABLED": "true",
    }


def test_the_handler_runs_with_only_the_lambda_requirements_importable(
    tmp_path: Path, moto_endpoint: str, s3: Any, bucket: str
) -> None:
    probe = run_probe(
        IMPORT_PROBE,
        INFRA / "requirements-lambda.txt",
        env=_probe_env(moto_endpoint, bucket),
        cwd=tmp_path,
    )
    assert probe["pandas"] is False
    assert probe["sklearn"] is False  # the model is LightGBM's own text (model/model.txt)
    # The row went to S3 through the handler's default observer (request log from the env).
    # One record object per request (each is stored before its answer): the price and the offer;
    # and the offer's quote kept under its id.
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sum("/_records/" in key for key in keys) == 2
    assert sum("/_quotes/" in key for key in keys) == 1 and len(keys) == 3
    # Nothing that .dockerignore leaves out of the image was imported.
    left_out = ("laptop_pricing.training", "laptop_pricing.monitoring")
    assert not [m for m in probe["modules"] if m.startswith(left_out)]


# The compactor's command in the same image, invoked the way its Schedule event invokes it.
COMPACTOR_PROBE = """
from laptop_pricing.request_log import compact
event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
answer = compact.handler(event, None)
mods = sorted(m for m in sys.modules if m.startswith("laptop_pricing"))
print(json.dumps({"days": answer["days"], "modules": mods, "pandas": "pandas" in sys.modules}))
"""


def test_the_compactor_command_runs_with_only_the_lambda_requirements_importable(
    tmp_path: Path, moto_endpoint: str, s3: Any, bucket: str
) -> None:
    from laptop_pricing.api.service import prediction_values
    from laptop_pricing.pricing.laptop_spec import LaptopSpec
    from laptop_pricing.request_log import LogLayout, RequestLog
    from laptop_pricing.storage.s3_store import S3RecordStore

    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    log = RequestLog(S3RecordStore(bucket, LogLayout("logs", PREDICTIONS), s3))
    spec = LaptopSpec.default().as_dict()
    for day in (yesterday, today):
        at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(minutes=1)
        log.write(prediction_values(spec, 4321, "v1", f"r-{day}", at), at=at)
    probe = run_probe(
        COMPACTOR_PROBE,
        INFRA / "requirements-lambda.txt",
        env={**_probe_env(moto_endpoint, bucket), "PREDICTIONS_PREFIX": "logs"},
        cwd=tmp_path,
    )
    predictions = [line for line in probe["days"] if line.startswith("prediction ")]
    assert [line.split(":")[0] for line in predictions] == [
        f"prediction {today}",
        f"prediction {yesterday}",
    ]
    assert probe["pandas"] is False
    layout = LogLayout("logs", PREDICTIONS)
    for day in (yesterday, today):
        body = s3.get_object(Bucket=bucket, Key=layout.day_key(day))["Body"].read().decode()
        assert body.count("4321") == 1
    rollup_key = layout.rollup_key(yesterday.year, yesterday.month)
    assert s3.head_object(Bucket=bucket, Key=rollup_key)["ContentLength"] > 0  # yesterday closed
    left_out = ("laptop_pricing.training", "laptop_pricing.monitoring")
    assert not [m for m in probe["modules"] if m.startswith(left_out)]
