"""The template's Athena side (issue 25): the monitoring workgroup (result bucket that expires,
bytes-scanned limit, settings enforced) and the reader's policy, which may run queries in that
workgroup only, read the Glue table and the rollup only, and put only Athena's results."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra_support import action_list, load_template, resources


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def statements(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    policy = template["Resources"]["MonitoringAthenaPolicy"]["Properties"]["PolicyDocument"]
    return {s["Sid"]: s for s in policy["Statement"]}


def test_the_workgroup_enforces_its_result_location_and_a_bytes_scanned_limit(template):
    (workgroup,) = resources(template, "AWS::Athena::WorkGroup").values()
    config = workgroup["Properties"]["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True  # a client cannot lift the limit
    assert config["BytesScannedCutoffPerQuery"] == {"Ref": "AthenaBytesScannedCutoff"}
    assert template["Parameters"]["AthenaBytesScannedCutoff"]["MinValue"] == 10 * 1024 * 1024
    location = config["ResultConfiguration"]["OutputLocation"]
    assert location == {"Fn::Sub": "s3://${AthenaResultsBucket}/results/"}


def test_athena_results_are_private_encrypted_and_expire(template):
    bucket = template["Resources"]["AthenaResultsBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == {"Ref": "AthenaResultsRetentionDays"}
    assert template["Parameters"]["AthenaResultsRetentionDays"]["MaxValue"] <= 30


def test_the_reader_runs_queries_only_in_the_monitoring_workgroup(template):
    run = statements(template)["RunQueriesInTheMonitoringWorkGroup"]
    assert set(action_list(run)) == {
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:StopQueryExecution",
        "athena:GetWorkGroup",
    }
    assert run["Resource"]["Fn::Sub"].endswith(":workgroup/${MonitoringWorkGroup}")


def test_the_reader_policy_reads_only_the_glue_table_and_the_rollup_and_puts_only_results(
    template,
):
    found = statements(template)
    assert all(s["Effect"] == "Allow" for s in found.values())
    actions = {a for s in found.values() for a in action_list(s)}
    assert {a for a in actions if a.startswith("glue:")} <= {
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:GetPartition",
        "glue:GetPartitions",
    }
    writes = [s for s in found.values() if "s3:PutObject" in action_list(s)]
    assert [s["Resource"] for s in writes] == [{"Fn::Sub": "${AthenaResultsBucket.Arn}/results/*"}]
    assert found["ReadTheRollupOnly"]["Resource"] == {
        "Fn::Sub": "${PredictionsBucket.Arn}/${PredictionsPrefix}/_rollup/*"
    }
    listed = found["ListTheRollupOnly"]["Condition"]["StringLike"]["s3:prefix"]
    assert listed == {"Fn::Sub": "${PredictionsPrefix}/_rollup/*"}
    assert not actions & {"s3:DeleteObject", "athena:DeleteWorkGroup", "glue:UpdateTable"}


def test_the_stack_outputs_name_the_runners_target(template):
    outputs = template["Outputs"]
    assert "AthenaTarget" in outputs["AthenaWorkGroup"]["Description"]
    assert outputs["AthenaWorkGroup"]["Value"] == {"Ref": "MonitoringWorkGroup"}
    assert "AthenaTarget" in outputs["AthenaDatabase"]["Description"]
    assert outputs["AthenaDatabase"]["Value"] == {"Ref": "RequestLogDatabase"}
    assert "ATHENA-" not in str(template)  # no setting turns it on yet
