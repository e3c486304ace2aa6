"""infra/template.yaml read once per test module, and the look-ups the infra tests share
(resources by type, the two functions, a role's Allow statements, a statement's actions)."""

from __future__ import annotations

from typing import Any

from cfnlint.decode import decode

from laptop_pricing.settings import REPO_ROOT

INFRA = REPO_ROOT / "infra"
TEMPLATE = INFRA / "template.yaml"


def load_template() -> dict[str, Any]:
    parsed, matches = decode(str(TEMPLATE))
    assert not matches, matches
    return parsed


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def pricing_function(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]["PricingFunction"]


def compactor_function(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]["PredictionsCompactorFunction"]


def allow_statements(
    template: dict[str, Any], role_name: str = "PricingFunctionRole"
) -> list[dict[str, Any]]:
    role = template["Resources"][role_name]["Properties"]
    return [
        statement
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
    ]


def policy_statements(template: dict[str, Any], name: str) -> list[dict[str, Any]]:
    role = template["Resources"]["PricingFunctionRole"]["Properties"]
    (policy,) = [p for p in role["Policies"] if p["PolicyName"] == name]
    return policy["PolicyDocument"]["Statement"]


def action_list(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)
