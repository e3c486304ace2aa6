"""The IAM of infra/template.yaml: the pricing role writes only records and free keys, the
compactor's policy is its only S3 grant, nothing may delete or overwrite a day file.

Split from tests/test_infra.py (the template's lint, API, bucket, image and requirements)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from laptop_pricing.record_kinds import PREDICTIONS
from tests.infra_support import (
    action_list,
    allow_statements,
    compactor_function,
    load_template,
    policy_statements,
    pricing_function,
)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def test_the_function_role_is_least_privilege(template: dict[str, Any]) -> None:
    role = template["Resources"]["PricingFunctionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role  # no broad managed policy slipped in
    statements = allow_statements(template)
    actions = [
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert all("*" not in action for action in actions), actions
    writer, keys = policy_statements(template, "request-log-records")
    assert writer["Action"] == ["s3:PutObject"]  # pricing only puts records
    assert writer["Resource"] == {
        "Fn::Sub": "${PredictionsBucket.Arn}/${PredictionsPrefix}/_records/*"
    }
    assert keys["Action"] == ["s3:PutObject"]  # quotes by id, answers by request id
    assert keys["Resource"] == [
        {"Fn::Sub": "${PredictionsBucket.Arn}/${PredictionsPrefix}/_quotes/*"},
        {"Fn::Sub": "${PredictionsBucket.Arn}/${PredictionsPrefix}/_requests/*"},
    ]
    assert keys["Condition"] == {"StringEquals": {"s3:if-none-match": "*"}}  # never overwrites
    listing, quotes, event_reads, events = policy_statements(template, "outcome-route")
    assert listing["Action"] == "s3:ListBucket"  # the quote's day: its records, nothing else
    assert listing["Condition"] == {
        "StringLike": {"s3:prefix": {"Fn::Sub": "${PredictionsPrefix}/_records/*"}}
    }
    assert quotes["Action"] == "s3:GetObject"
    assert quotes["Resource"] == {"Fn::Sub": "${PredictionsBucket.Arn}/${PredictionsPrefix}/*"}
    assert (event_reads["Action"], events["Action"]) == ("s3:GetObject", "s3:PutObject")
    for statement in (event_reads, events):
        assert statement["Resource"] == {
            "Fn::Sub": "${PredictionsBucket.Arn}/${OutcomesPrefix}/_records/*"
        }
    outcome_listing, outcome_days = policy_statements(template, "quote-route")
    assert outcome_listing["Action"] == "s3:ListBucket"  # GET /quote: the decisions' records
    assert outcome_listing["Condition"] == {
        "StringLike": {"s3:prefix": {"Fn::Sub": "${OutcomesPrefix}/_records/*"}}
    }
    assert outcome_days["Action"] == "s3:GetObject"  # read only, and only the outcomes
    assert outcome_days["Resource"] == {"Fn::Sub": "${PredictionsBucket.Arn}/${OutcomesPrefix}/*"}
    purchase_puts, purchase_reads, purchase_listing, kms = policy_statements(
        template, "purchase-routes"
    )
    assert purchase_puts["Action"] == "s3:PutObject"  # only where the key is free
    assert purchase_puts["Condition"] == {"StringEquals": {"s3:if-none-match": "*"}}
    folders = ("purchases", "sellers", "by-serial", "by-seller", "photos", "stock")
    folders += ("stock-snapshots",)  # the stock (issue 24): events and the cold-start snapshot
    assert purchase_puts["Resource"] == [
        {"Fn::Sub": f"${{PredictionsBucket.Arn}}/${{PurchasesPrefix}}/{folder}/*"}
        for folder in folders
    ]  # never the block list or the erasures (the owner's command writes those)
    assert purchase_reads["Action"] == "s3:GetObject"
    assert purchase_reads["Resource"] == {
        "Fn::Sub": "${PredictionsBucket.Arn}/${PurchasesPrefix}/*"
    }
    assert purchase_listing["Action"] == "s3:ListBucket"
    assert purchase_listing["Condition"] == {
        "StringLike": {"s3:prefix": {"Fn::Sub": "${PurchasesPrefix}/*"}}
    }
    assert sorted(kms["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert kms["Resource"] == {"Fn::GetAtt": ["PersonalDataKmsKey", "Arn"]}
    s3_statements = [
        writer,
        keys,
        listing,
        quotes,
        event_reads,
        events,
        outcome_listing,
        outcome_days,
        purchase_puts,
        purchase_reads,
        purchase_listing,
        kms,
    ]
    logs = [s for s in statements if s not in s3_statements]
    assert {a for s in logs for a in s["Action"]} == {"logs:CreateLogStream", "logs:PutLogEvents"}
    function = pricing_function(template)
    assert function["Properties"]["Role"] == {"Fn::GetAtt": ["PricingFunctionRole", "Arn"]}
    assert "Policies" not in function["Properties"]
    environment = function["Properties"]["Environment"]["Variables"]
    assert environment["OUTCOMES_PREFIX"] == {"Ref": "OutcomesPrefix"}
    assert environment["PURCHASES_PREFIX"] == {"Ref": "PurchasesPrefix"}
    assert environment["OWNER_API_KEY_ID"] == {"Ref": "PricingOwnerApiKey"}


def test_the_compactor_policy_may_list_read_and_write_only_under_the_prefix(
    template: dict[str, Any],
) -> None:
    """Records, day files and rollup all live under <prefix>/; the compactor lists, reads and
    writes there and deletes nothing (the lifecycle rule expires records)."""
    from laptop_pricing.request_log import LogLayout

    layout = LogLayout("laptop-prediction-real-data", PREDICTIONS)
    for key in (layout.records_root, layout.rollup_key(2024, 5), layout.day_key(date(2024, 5, 1))):
        assert key.startswith("laptop-prediction-real-data/")
    policy = template["Resources"]["PredictionsCompactorPolicy"]["Properties"]["PolicyDocument"]
    listing, objects, kms = policy["Statement"]
    assert sorted(kms["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]  # SSE-KMS bucket
    assert kms["Resource"] == {"Fn::GetAtt": ["PersonalDataKmsKey", "Arn"]}
    assert listing["Action"] == "s3:ListBucket"
    prefixes = [{"Fn::Sub": "${PredictionsPrefix}/*"}, {"Fn::Sub": "${OutcomesPrefix}/*"}]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": prefixes}}
    assert sorted(objects["Action"]) == ["s3:GetObject", "s3:PutObject"]
    assert objects["Resource"] == [
        {"Fn::Sub": "${PredictionsBucket.Arn}/${PredictionsPrefix}/*"},
        {"Fn::Sub": "${PredictionsBucket.Arn}/${OutcomesPrefix}/*"},
    ]
    function_actions = {a for s in allow_statements(template) for a in action_list(s)}
    assert "s3:DeleteObject" not in function_actions


def test_the_compactor_policy_is_the_compactor_functions_only_s3_grant(
    template: dict[str, Any],
) -> None:
    props = compactor_function(template)["Properties"]
    assert props["Role"] == {"Fn::GetAtt": ["PredictionsCompactorRole", "Arn"]}
    assert "Policies" not in props  # no SAM policy template adds a grant beside the role
    role = template["Resources"]["PredictionsCompactorRole"]["Properties"]
    assert role["ManagedPolicyArns"] == [{"Ref": "PredictionsCompactorPolicy"}]
    inline = allow_statements(template, "PredictionsCompactorRole")
    assert {a for s in inline for a in action_list(s)} == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    assert [s["Resource"] for s in inline] == [
        {"Fn::GetAtt": ["PredictionsCompactorLogGroup", "Arn"]}
    ]
    policy = template["Resources"]["PredictionsCompactorPolicy"]["Properties"]["PolicyDocument"]
    granted = [a for s in policy["Statement"] for a in action_list(s)]
    assert sorted(granted) == [
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:PutObject",
    ]
    every_action = granted + [a for s in inline for a in action_list(s)]
    assert all("*" not in action for action in every_action), every_action


def test_the_pricing_function_still_cannot_delete_or_write_day_files(
    template: dict[str, Any],
) -> None:
    role = template["Resources"]["PricingFunctionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role  # in particular not the compactor's policy
    actions = {a for s in allow_statements(template) for a in action_list(s)}
    assert actions == {
        "s3:PutObject",
        "s3:GetObject",
        "s3:ListBucket",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    puts = [s for s in allow_statements(template) if "s3:PutObject" in action_list(s)]
    for statement in puts:
        resources = statement["Resource"]
        subs = [r["Fn::Sub"] for r in (resources if isinstance(resources, list) else [resources])]
        if all(sub.endswith("/_records/*") for sub in subs):
            continue
        # Quotes, answers and purchases by key: only where the key is free, so never over a
        # day file.
        purchases = tuple(f"/{folder}/*" for folder in ("purchases", "sellers", "by-serial"))
        purchases += ("/by-seller/*", "/photos/*", "/stock/*", "/stock-snapshots/*")
        assert all(sub.endswith(("/_quotes/*", "/_requests/*", *purchases)) for sub in subs)
        assert statement["Condition"] == {"StringEquals": {"s3:if-none-match": "*"}}
    assert "Policies" not in pricing_function(template)["Properties"]
