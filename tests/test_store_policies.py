"""A policy per store: a POLICY-PATH folder (<store_id>.toml plus default.toml), the quote issuer
picking the store's policy per request, and the bad inputs refused naming the key."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from laptop_pricing.api.handler import PricingHandler, get_engine, issuer_or_exit
from laptop_pricing.pricing.schema import CONTRACT_EXAMPLE
from laptop_pricing.settings import load_settings
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy
from laptop_pricing.trade_in.quote import QuoteIssuer
from laptop_pricing.trade_in.store_policies import (
    NoStorePolicy,
    read_store_policies,
    store_policies_from_settings,
)

COMMITTED = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
WORN = {**Condition.best().as_dict(), "body": "worn"}


def chain_folder(folder: Path, *, default: bool = True) -> Path:
    """``default.toml`` (the committed policy) and ``centro.toml`` (a margin of 40 %, not 20)."""
    folder.mkdir(parents=True, exist_ok=True)
    if default:
        (folder / "default.toml").write_text(COMMITTED, encoding="utf-8")
    centro = COMMITTED.replace("margin_pct = 20", "margin_pct = 40")
    assert centro != COMMITTED
    (folder / "centro.toml").write_text(centro, encoding="utf-8")
    return folder


def offer_for(handler: PricingHandler, store_id: str | None) -> dict:
    body: dict = {"data": CONTRACT_EXAMPLE, "condition": WORN}
    if store_id is not None:
        body["store_id"] = store_id
    return json.loads(handler({"body": json.dumps(body)})["body"])


def test_a_store_with_its_own_file_uses_it_and_its_version_names_the_file(tmp_path: Path) -> None:
    policies = read_store_policies(chain_folder(tmp_path / "policies"), "loja")
    centro = policies.for_store("centro")
    assert centro.version.startswith("centro@")
    assert centro.margin_pct == 40
    other = policies.for_store("sul")  # no sul.toml: the default
    assert other.version.startswith("default@")
    assert other.margin_pct == 20
    assert load_policy(tmp_path / "policies", "centro").version == centro.version


def test_a_single_file_keeps_working_as_before_and_prices_only_its_store() -> None:
    policies = read_store_policies(DEFAULT_POLICY_PATH, "loja")
    assert policies.home_policy.version == load_policy().version
    assert "+" in policies.home_policy.version  # name+hash, as every quote so far
    with pytest.raises(NoStorePolicy):
        policies.for_store("centro")


def test_a_folder_without_default_is_refused_naming_the_key_and_the_folder(
    tmp_path: Path,
) -> None:
    folder = chain_folder(tmp_path / "policies", default=False)
    with pytest.raises(PolicyError) as refused:
        read_store_policies(folder, "centro")
    assert refused.value.key == "POLICY_PATH"
    assert str(folder) in str(refused.value) and "default.toml" in str(refused.value)
    with pytest.raises(PolicyError):
        load_policy(folder, "centro")  # even the store with its own file: the folder is broken


def test_a_file_not_named_after_a_store_is_refused_naming_it(tmp_path: Path) -> None:
    folder = chain_folder(tmp_path / "policies")
    (folder / "Loja Sul.toml").write_text(COMMITTED, encoding="utf-8")
    with pytest.raises(PolicyError, match=r"Loja Sul\.toml"):
        read_store_policies(folder, "loja")


def test_a_store_in_the_clerk_list_with_no_policy_stops_the_start_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path / "log"))
    monkeypatch.setenv("CLERK_EMAILS", "ana@loja.com.br=centro, @loja-sul.com.br")
    with pytest.raises(PolicyError) as refused:  # one file: only STORE-ID (loja) has a policy
        store_policies_from_settings(load_settings())
    assert refused.value.key == "CLERK_EMAILS"
    assert "'centro'" in str(refused.value)
    with pytest.raises(SystemExit, match=r"Refusing to start: .*CLERK_EMAILS.*centro"):
        issuer_or_exit(load_settings())


def test_a_store_without_its_own_file_is_said_once_at_start_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path / "log"))
    monkeypatch.setenv("POLICY_PATH", str(chain_folder(tmp_path / "policies")))
    monkeypatch.setenv("STORE_ID", "centro")
    monkeypatch.setenv("CLERK_EMAILS", "ana@loja.com.br=sul, bia@loja.com.br=sul")
    with caplog.at_level(logging.INFO, logger="laptop_pricing.trade_in.store_policies"):
        policies = store_policies_from_settings(load_settings())
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "'sul'" in said[0] and "default.toml" in said[0]
    assert policies.home_policy.version.startswith("centro@")


def test_two_stores_price_the_same_laptop_differently(tmp_path: Path) -> None:
    issuer = QuoteIssuer.for_stores(read_store_policies(chain_folder(tmp_path / "p"), "loja"))
    handler = PricingHandler(get_engine(), issuer=issuer, store_id="loja")
    centro, own = offer_for(handler, "centro"), offer_for(handler, None)
    assert centro["prediction"] == own["prediction"]  # the same market estimate
    assert centro["offer"] < own["offer"]  # centro keeps a 40 % margin, the default 20 %
    assert centro["policy_version"].startswith("centro@")
    assert own["policy_version"].startswith("default@")


def test_a_store_with_no_policy_here_is_a_400_naming_store_id_never_another_policy() -> None:
    issuer = QuoteIssuer.for_stores(read_store_policies(DEFAULT_POLICY_PATH, "loja"))
    handler = PricingHandler(get_engine(), issuer=issuer, store_id="loja")
    answer = handler(
        {"body": json.dumps({"data": CONTRACT_EXAMPLE, "condition": WORN, "store_id": "sul"})}
    )
    assert answer["statusCode"] == 400
    errors = json.loads(answer["body"])["errors"]
    assert [e["field"] for e in errors] == ["store_id"]
    assert "offer" in offer_for(handler, "loja")
