"""The store model in MLflow: one run per training, a registered version, the champion alias only
when it beats the rule on held-out sales by the owner's margin.

Its own registered model (``laptop-pricing-store-model``) and experiment, beside the market
model's: the two answer different questions (a new laptop's listing price; what a used one sells
for here) and are never compared with each other. Each version is tagged ``pricing_source``
(``store_model`` when it beat the rule, else ``rule``: the rule keeps pricing offers), with both
held-out MAPEs, so whoever reads the registry sees which one prices and why.

``python -m laptop_pricing.training store --synthetic-seed N`` trains on a synthetic year (or
``--items`` a folder that ``synthetic`` wrote). The store's real sales come in as ``SoldItem``s
through ``train_store_model_and_track`` once the stock records are adapted into them.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from laptop_pricing.resale.resale_terms import ResaleTerms, load_resale_terms
from laptop_pricing.resale.sales import SoldItem
from laptop_pricing.trade_in.policy import StorePolicy, load_policy
from laptop_pricing.trade_in.used_price_model import STORE_FEATURES
from laptop_pricing.training.store_model import (
    DEFAULT_TEST_MONTHS,
    NotEnoughSales,
    StoreModelComparison,
    compare_with_rule,
    store_features,
)

STORE_MODEL_NAME = "laptop-pricing-store-model"
STORE_EXPERIMENT = "laptop-pricing-store-model"
TAG_PRICING_SOURCE = "pricing_source"
TARGET = "log(sale / (market estimate x policy condition factor))"


@dataclass(frozen=True)
class StoreSession:
    run_id: str
    comparison: StoreModelComparison
    version: str
    champion: bool


def sales_hash(sales: Sequence[SoldItem]) -> str:
    """What the store model saw: ids, prices and days of its sales, hashed."""
    text = "\n".join(
        f"{s.purchase_id},{s.sale_price},{s.sold_on},{s.market_estimate}"
        for s in sorted(sales, key=lambda s: s.purchase_id)
    )
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def serving_metadata(
    comparison: StoreModelComparison,
    policy: StorePolicy,
    sales: Sequence[SoldItem],
    newest: date,
) -> dict[str, Any]:
    """The metadata logged beside the model: what serving needs to price as this run was judged
    (``trade_in.used_price_model``: the policy's deductions it learned over, where, the numbers)."""
    return {
        "feature_order": list(STORE_FEATURES),
        "currency": "BRL",
        "target": TARGET,
        TAG_PRICING_SOURCE: comparison.pricing_source,
        "newest_sale": newest.isoformat(),
        "condition_deductions": {q: dict(a) for q, a in policy.deductions.items()},
        "policy_version": policy.version,
        "store_ids": sorted({s.store_id for s in sales}),
        "model_MAPE": comparison.model_mape,
        "rule_MAPE": comparison.rule_mape,
        "n_train": comparison.n_train,
        "n_test": comparison.n_test,
        "cutoff": comparison.cutoff.isoformat(),
        "margin_pct": comparison.margin_pct,
        "synthetic": all(s.synthetic for s in sales),
    }


def train_store_model_and_track(
    sales: Sequence[SoldItem],
    policy: StorePolicy,
    terms: ResaleTerms,
    store_uri: str | None = None,
    test_months: int = DEFAULT_TEST_MONTHS,
) -> StoreSession:
    """Fit, compare with the rule, log, register; move ``champion`` only when it beats it."""
    import mlflow

    from laptop_pricing.training import registry, tracking

    model, comparison = compare_with_rule(sales, policy, terms, test_months)
    store = registry.resolve_store(store_uri)
    client, experiment_id = registry.connect(store, STORE_EXPERIMENT)
    commit, dirty = tracking.git_commit()
    synthetic = all(s.synthetic for s in sales)
    protocol = {
        "data_hash": sales_hash(sales),
        "split": "time-ordered",
        "test_months": test_months,
        "cutoff": comparison.cutoff.isoformat(),
        "target": TARGET,
        "metric": "MAPE on sale price, held-out latest months",
        "baseline": "market estimate x resale share - condition deductions",
    }
    with mlflow.start_run(experiment_id=experiment_id, run_name="store model") as run:
        mlflow.set_tags(
            {
                "kind": "store_model",
                TAG_PRICING_SOURCE: comparison.pricing_source,
                "synthetic": str(synthetic).lower(),
                "git_commit": commit,
            }
        )
        mlflow.log_params(
            {
                "n_train": comparison.n_train,
                "n_test": comparison.n_test,
                "cutoff": comparison.cutoff.isoformat(),
                "test_months": test_months,
                "margin_pct": comparison.margin_pct,
                "policy_version": policy.version,
                "data_hash": protocol["data_hash"],
            }
        )
        mlflow.log_metrics(
            {
                "model_MAPE": comparison.model_mape,
                "rule_MAPE": comparison.rule_mape,
                "ratio_to_rule": comparison.ratio,
            }
        )
        metadata = serving_metadata(comparison, policy, sales, model.newest)
        sample = store_features(sales[:20], None).to_numpy()
        info = tracking.log_candidate_model(model.regressor, metadata, sample)
    version = registry.register(
        client,
        info.model_uri,
        family="lightgbm-store",
        mape=comparison.model_mape,
        protocol=protocol,
        git_commit=commit,
        extra_tags={
            TAG_PRICING_SOURCE: comparison.pricing_source,
            "rule_MAPE": repr(comparison.rule_mape),
            "synthetic": str(synthetic).lower(),
            "git_dirty": str(dirty).lower(),
        },
        name=STORE_MODEL_NAME,
    )
    if comparison.beats_rule:
        client.set_registered_model_alias(
            STORE_MODEL_NAME, registry.CHAMPION_ALIAS, str(version.version)
        )
    return StoreSession(run.info.run_id, comparison, str(version.version), comparison.beats_rule)


def _run(args: argparse.Namespace) -> int:
    from laptop_pricing.resale.synthetic import PLANTED, YearPlan, generate_year, policy_rule
    from laptop_pricing.resale.synthetic_files import read_items

    policy = load_policy()
    if args.items:
        sales, _ = read_items(Path(args.items))
    else:
        rule = policy_rule(policy) if args.policy_rule else PLANTED
        sales = generate_year(args.synthetic_seed, YearPlan(quotes=args.quotes), rule).sold
    try:
        session = train_store_model_and_track(
            sales, policy, load_resale_terms(), args.tracking_uri, args.test_months
        )
    except NotEnoughSales as error:
        print(f"store failed: {error}", file=sys.stderr)
        return 2
    c = session.comparison
    print(
        f"store model v{session.version}: held-out MAPE {c.model_mape:.4f} vs rule "
        f"{c.rule_mape:.4f} (ratio {c.ratio:.3f}, {c.n_test} sales from {c.cutoff}); "
        f"pricing_source {c.pricing_source}"
        + (" (champion)" if session.champion else f" (needs {c.margin_pct}% better)")
    )
    return 0


def add_store_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from laptop_pricing.training.store_export import add_export_store_command

    add_export_store_command(commands)
    store = commands.add_parser("store", help="train the used-price model on the store's sales")
    source = store.add_mutually_exclusive_group(required=True)
    source.add_argument("--synthetic-seed", type=int, help="train on a generated synthetic year")
    source.add_argument("--items", help="a synthetic-store-seed<N> folder")
    store.add_argument("--quotes", type=int, default=1200, help="quotes of the synthetic year")
    store.add_argument("--policy-rule", action="store_true", help="plant the policy's own rule")
    store.add_argument("--test-months", type=int, default=DEFAULT_TEST_MONTHS)
    store.add_argument("--tracking-uri", default=None)
    store.set_defaults(run=_run)
