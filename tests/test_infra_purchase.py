"""Issue 23 in infra/template.yaml: the purchase routes with a binary media type for photos, the
owner's API key whose id the function compares, the bucket encrypted with the stack's own KMS
key, the personal-data secret the template generates, and retention of sellers' data by
lifecycle rules."""

from __future__ import annotations

from typing import Any

import pytest

from laptop_pricing.api.server import PHOTOS_RESOURCE, PURCHASE_RESOURCE
from laptop_pricing.settings import REPO_ROOT
from laptop_pricing.trade_in.policy import load_policy
from tests.infra_support import load_template, pricing_function, resources


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def test_photo_uploads_reach_the_function_as_binary(template: dict[str, Any]) -> None:
    api = template["Resources"]["PricingApi"]["Properties"]
    # SAM writes "/" as "~1": image/* and application/octet-stream arrive base64-encoded.
    assert set(api["BinaryMediaTypes"]) == {"image~1*", "application~1octet-stream"}
    events = pricing_function(template)["Properties"]["Events"]
    photos = events["PurchasePhotos"]["Properties"]
    assert (photos["Path"], photos["Method"]) == (PHOTOS_RESOURCE, "post")
    assert events["PurchaseFind"]["Properties"]["Path"] == PURCHASE_RESOURCE  # as served locally


def test_the_owner_key_is_a_second_key_of_the_plan_whose_id_the_function_gets(
    template: dict[str, Any],
) -> None:
    keys = resources(template, "AWS::ApiGateway::ApiKey")
    assert set(keys) == {"PricingApiKey", "PricingOwnerApiKey"}
    assert keys["PricingOwnerApiKey"]["Properties"]["Enabled"] is True
    plan_keys = resources(template, "AWS::ApiGateway::UsagePlanKey").values()
    owner = [k for k in plan_keys if k["Properties"]["KeyId"] == {"Ref": "PricingOwnerApiKey"}]
    assert owner and owner[0]["Properties"]["UsagePlanId"] == {"Ref": "PricingUsagePlan"}
    environment = pricing_function(template)["Properties"]["Environment"]["Variables"]
    assert environment["OWNER_API_KEY_ID"] == {"Ref": "PricingOwnerApiKey"}  # Ref = the key id
    assert template["Outputs"]["OwnerApiKeyId"]["Value"] == {"Ref": "PricingOwnerApiKey"}


def test_the_bucket_is_sse_kms_under_the_stacks_own_rotating_key(template: dict[str, Any]) -> None:
    bucket = template["Resources"]["PredictionsBucket"]["Properties"]
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": ["PersonalDataKmsKey", "Arn"]},
    }
    assert rule["BucketKeyEnabled"] is True  # one data key per object batch, not per request
    key = template["Resources"]["PersonalDataKmsKey"]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"  # deleting the stack must not orphan the data


def test_the_personal_data_key_is_a_generated_secret_read_by_dynamic_reference(
    template: dict[str, Any],
) -> None:
    secret = template["Resources"]["PersonalDataSecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    generated = secret["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] >= 32  # what the vault asks of PERSONAL-DATA-KEY
    assert secret["Properties"]["KmsKeyId"] == {"Ref": "PersonalDataKmsKey"}
    environment = pricing_function(template)["Properties"]["Environment"]["Variables"]
    assert environment["PERSONAL_DATA_KEY"] == {
        "Fn::Sub": "{{resolve:secretsmanager:${PersonalDataSecret}:SecretString}}"
    }
    assert "PersonalDataSecret" not in str(template["Parameters"])  # never typed in by hand


def test_sellers_their_index_and_photos_expire_after_the_policy_retention(
    template: dict[str, Any],
) -> None:
    assert template["Parameters"]["RetentionDays"]["Default"] == load_policy().retention_days
    rules = template["Resources"]["PredictionsBucket"]["Properties"]["LifecycleConfiguration"]
    by_prefix = {
        rule["Prefix"]["Fn::Sub"]: rule
        for rule in rules["Rules"]
        if "PurchasesPrefix" in str(rule.get("Prefix"))
        and "stock-snapshots" not in str(rule.get("Prefix"))  # a cache (issue 24), no personal data
    }
    assert set(by_prefix) == {
        "${PurchasesPrefix}/sellers/",
        "${PurchasesPrefix}/by-seller/",
        "${PurchasesPrefix}/photos/",
    }  # the non-personal facts (purchases/, by-serial/) stay: the store's proof of origin
    for rule in by_prefix.values():
        assert rule["Status"] == "Enabled"
        assert rule["ExpirationInDays"] == {"Ref": "RetentionDays"}


def test_the_api_docs_name_every_purchase_route_and_status() -> None:
    docs = (REPO_ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for route in (
        "POST /purchase",
        "POST /purchase/preview",
        "GET /purchase/{purchase_id}",
        "GET /purchase?serial=",
        "POST /purchase/{purchase_id}/photos",
        "PRICING_OWNER_API_KEYS",
        "OWNER-API-KEY",
        "OWNER_API_KEY_ID",
    ):
        assert route in docs, route
    for status in ("201", "200", "400", "403", "404", "409", "413", "503"):
        assert f"| {status} |" in docs, status
