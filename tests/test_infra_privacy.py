"""Issue 21 items 16 and 17 in infra/template.yaml: the pricing role writes only to free keys,
docs/api.md's permission list is the template's, and retention is applied by lifecycle rules
equal to the store policy's ``[privacy] retention_days``."""

from __future__ import annotations

from typing import Any

import pytest
from cfnlint.decode import decode

from laptop_pricing.settings import REPO_ROOT
from laptop_pricing.trade_in.policy import load_policy

TEMPLATE = REPO_ROOT / "infra" / "template.yaml"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    parsed, matches = decode(str(TEMPLATE))
    assert not matches, matches
    return parsed


def pricing_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    role = template["Resources"]["PricingFunctionRole"]["Properties"]
    return [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_every_put_of_the_pricing_role_needs_if_none_match(template):
    """Item 16: a plain PutObject could overwrite any record, other quotes' outcomes too."""
    puts = [s for s in pricing_statements(template) if "s3:PutObject" in actions(s)]
    assert len(puts) == 4  # request records, quotes and answers by key, outcomes, purchases
    for statement in puts:
        assert actions(statement) == ["s3:PutObject"]  # the condition binds the put alone
        assert statement["Condition"] == {"StringEquals": {"s3:if-none-match": "*"}}


def test_the_api_docs_list_the_permissions_the_template_grants(template):
    """Item 16: docs/api.md said "no List" while the role has s3:ListBucket."""
    granted = {a for s in pricing_statements(template) for a in actions(s) if a.startswith("s3:")}
    assert granted == {"s3:PutObject", "s3:GetObject", "s3:ListBucket"}
    docs = (REPO_ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert "has no List" not in docs
    for action in sorted(granted):
        assert f"`{action}`" in docs, action
    assert "If-None-Match" in docs


def test_day_files_rollups_and_outcomes_expire_after_the_policy_retention(template):
    """Item 17: the policy says how long personal data is kept; S3 applies it."""
    retention = template["Parameters"]["RetentionDays"]
    assert retention["Default"] == load_policy().retention_days
    rules = template["Resources"]["PredictionsBucket"]["Properties"]["LifecycleConfiguration"]
    by_id = {rule["Id"]: rule for rule in rules["Rules"]}
    for rule_id, prefix in (
        ("retain-request-log", "PredictionsPrefix"),
        ("retain-outcomes", "OutcomesPrefix"),
    ):
        rule = by_id[rule_id]
        assert rule["Status"] == "Enabled"
        assert rule["Prefix"] == {"Fn::Sub": f"${{{prefix}}}/"}  # day files, _rollup, _records
        assert rule["ExpirationInDays"] == {"Ref": "RetentionDays"}
