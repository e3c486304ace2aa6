"""Deployment hardening in infra/template.yaml (issue 13), property by property.

Kept beside tests/test_infra.py (which lints the template and checks the API, key and image)
and tests/test_infra_iam.py (the IAM) so each file stays about one concern. cfn-lint runs in
tests/test_infra.py on the same template.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.decode import decode

from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log import LogLayout
from laptop_pricing.settings import REPO_ROOT

TEMPLATE = REPO_ROOT / "infra" / "template.yaml"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    parsed, matches = decode(str(TEMPLATE))
    assert not matches, matches
    return parsed


def props(template: dict[str, Any], name: str) -> dict[str, Any]:
    return template["Resources"][name]["Properties"]


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_the_log_bucket_is_versioned_and_keeps_overwritten_versions_30_days(template):
    bucket = props(template, "PredictionsBucket")
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    versions = rules["keep-overwritten-versions-30-days"]
    assert versions["Status"] == "Enabled" and "Prefix" not in versions  # every object
    assert versions["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert versions["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert "ExpirationInDays" not in versions  # current day files are never expired


def test_only_folded_records_expire_and_their_prefixes_are_the_writers(template):
    rules = props(template, "PredictionsBucket")["LifecycleConfiguration"]["Rules"]
    expiring = [rule for rule in rules if rule["Id"].startswith("expire-folded-")]
    assert len(expiring) == 2  # request records, outcome records (retention: test_infra_privacy)
    for records, prefix in zip(expiring, ("PredictionsPrefix", "OutcomesPrefix"), strict=True):
        assert records["ExpirationInDays"] == 35  # long after the hourly compactor folded them
        assert records["Prefix"] == {"Fn::Sub": f"${{{prefix}}}/_records/"}
        assert LogLayout(f"${{{prefix}}}", PREDICTIONS).records_root == f"${{{prefix}}}/_records/"


def test_bucket_access_is_logged_to_a_private_bucket_that_only_s3_logging_writes(template):
    logging = props(template, "PredictionsBucket")["LoggingConfiguration"]
    assert logging["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}
    target = props(template, "AccessLogsBucket")
    assert all(target["PublicAccessBlockConfiguration"].values())
    assert "ServerSideEncryptionConfiguration" in target["BucketEncryption"]
    statements = props(template, "AccessLogsBucketPolicy")["PolicyDocument"]["Statement"]
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Action"] == "s3:PutObject"
    assert allow["Condition"]["ArnLike"]["aws:SourceArn"] == {
        "Fn::GetAtt": ["PredictionsBucket", "Arn"]
    }
    assert logging["LogFilePrefix"] in allow["Resource"]["Fn::Sub"]
    assert any(s["Effect"] == "Deny" and s["Sid"] == "DenyPlainHttp" for s in statements)


def test_the_pricing_function_has_reserved_concurrency(template):
    function = props(template, "PricingFunction")
    assert function["ReservedConcurrentExecutions"] == {"Ref": "PricingReservedConcurrency"}
    parameter = template["Parameters"]["PricingReservedConcurrency"]
    assert parameter["Type"] == "Number" and 1 <= parameter["Default"] <= 50


def test_api_gateway_writes_access_logs_without_headers_or_keys(template):
    api = props(template, "PricingApi")
    setting = api["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    record = json.loads(setting["Format"])
    assert {"requestId", "ip", "status", "latencyMs", "apiKeyId"} <= set(record)
    assert not any("header" in v.lower() or "apiKey}" in v for v in record.values())
    assert "$context.identity.apiKey}" not in setting["Format"]  # the id, never the key
    assert "RetentionInDays" in props(template, "ApiAccessLogGroup")
    account = props(template, "ApiGatewayAccount")
    assert account["CloudWatchRoleArn"] == {"Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]}
    assert template["Resources"]["PricingApi"]["DependsOn"] == "ApiGatewayAccount"


def test_the_monitoring_identity_is_read_only(template):
    user = props(template, "MonitoringReaderUser")
    # Its Athena grant is read-only too (tests/test_infra_athena.py): results are its only put.
    assert user == {
        "ManagedPolicyArns": [{"Ref": "PredictionsReaderPolicy"}, {"Ref": "MonitoringAthenaPolicy"}]
    }
    assert not of_type(template, "AWS::IAM::AccessKey")  # no secret in the stack's outputs
    statements = props(template, "PredictionsReaderPolicy")["PolicyDocument"]["Statement"]
    actions = {
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert actions == {"s3:ListBucket", "s3:GetObject", "kms:Decrypt"}  # the bucket is SSE-KMS
    assert all(s["Effect"] == "Allow" for s in statements)
    reads = [r for s in statements if s["Action"] == "s3:GetObject" for r in s["Resource"]]
    assert not any("PurchasesPrefix" in str(resource) for resource in reads)  # never sellers'
    assert [s["Resource"] for s in statements if s["Action"] == "kms:Decrypt"] == [
        {"Fn::GetAtt": ["PersonalDataKmsKey", "Arn"]}
    ]
    assert "MonitoringReaderUserName" in template["Outputs"]


def alarms(template):
    return {k: v["Properties"] for k, v in of_type(template, "AWS::CloudWatch::Alarm").items()}


@pytest.mark.parametrize(
    ("alarm", "namespace", "metric"),
    [
        ("Api5xxRateAlarm", "AWS/ApiGateway", "5XXError"),
        ("Api4xxRateAlarm", "AWS/ApiGateway", "4XXError"),
        ("ApiLatencyP99Alarm", "AWS/ApiGateway", "Latency"),
        ("RequestLogFailureAlarm", "LaptopPricing", "RequestLogFailures"),
        ("PricingThrottleAlarm", "AWS/Lambda", "Throttles"),
    ],
)
def test_each_alarm_watches_its_metric_and_notifies_the_topic(template, alarm, namespace, metric):
    found = alarms(template)[alarm]
    assert (found["Namespace"], found["MetricName"]) == (namespace, metric)
    assert found["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert found["TreatMissingData"] == "notBreaching"


def test_alarm_statistics_mean_what_their_names_say(template):
    found = alarms(template)
    assert found["Api5xxRateAlarm"]["Statistic"] == "Average"  # 0/1 per request: the rate
    assert found["Api4xxRateAlarm"]["Statistic"] == "Average"
    assert found["ApiLatencyP99Alarm"]["ExtendedStatistic"] == "p99"
    failure = found["RequestLogFailureAlarm"]
    assert (failure["Statistic"], failure["Threshold"]) == ("Sum", 1)
    assert failure["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"  # any one failure
    assert failure["Dimensions"] == [{"Name": "service", "Value": "pricing-api"}]
    api_dims = {d["Name"]: d["Value"] for d in found["Api5xxRateAlarm"]["Dimensions"]}
    assert api_dims["ApiName"] == props(template, "PricingApi")["Name"]


def test_the_emf_names_the_alarms_use_are_the_ones_telemetry_emits():
    from laptop_pricing.api import telemetry

    source = (REPO_ROOT / "laptop_pricing" / "api" / "telemetry.py").read_text(encoding="utf-8")
    assert telemetry.NAMESPACE == "LaptopPricing" and telemetry.SERVICE == "pricing-api"
    for metric in ("Price", "Latency", "RequestLogFailures"):
        assert f'name="{metric}"' in source


def test_the_topic_exists_and_an_email_can_subscribe(template):
    assert of_type(template, "AWS::SNS::Topic").keys() == {"AlarmTopic"}
    subscription = template["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Protocol"] == "email"


def test_the_dashboard_shows_requests_price_latency_failures_and_field_counts(template):
    body, variables = props(template, "PricingDashboard")["DashboardBody"]["Fn::Sub"]
    for name, value in {
        "AWS::Region": "us-east-1",
        "StageName": "prod",
        "PricingFunction": "fn",
    }.items():
        body = body.replace("${" + name + "}", value)
    body = body.replace("${ApiName}", "api")
    for alarm in alarms(template):
        body = body.replace("${" + alarm + ".Arn}", f"arn:{alarm}")
    widgets = json.loads(body)["widgets"]  # valid JSON once CloudFormation substitutes
    titles = " | ".join(w["properties"]["title"] for w in widgets)
    for words in (
        "Requests priced",
        "Price",
        "Latency",
        "Request-log failures",
        "per brand",
        "throttles",
        "Alarms",
    ):
        assert words in titles
    metrics = json.dumps([w["properties"].get("metrics") for w in widgets])
    assert "RequestLogFailures" in metrics and "{LaptopPricing,service,brand}" in metrics
    (alarm_widget,) = [w for w in widgets if w["type"] == "alarm"]
    assert len(alarm_widget["properties"]["alarms"]) == len(alarms(template))
    assert variables["ApiName"] == {"Fn::Sub": "${AWS::StackName}-pricing-api"}
