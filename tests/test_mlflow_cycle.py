"""The whole train -> register -> promote -> export cycle against a temporary MLflow store.

Real training (the core's, on the real data, on a small budget: two fast families, 3 folds), a real
SQLite tracking store in tmp_path, the real CLI parser. The shipped ``model/`` of the repo is only
ever read (copied into tmp_path), never written.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import warnings

import mlflow
import numpy as np
import pytest

from laptop_pricing.pricing.artifact import REPO_MODEL_DIR, load_artifact
from laptop_pricing.pricing.engine import PricingEngine
from laptop_pricing.pricing.features import encode_many
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import FEATURE_ORDER, FIELD_NAMES
from laptop_pricing.training import mlflow_cli, registry, tracking
from laptop_pricing.training.export import ExportRefused, export_champion
from laptop_pricing.training.prepare import prepare_table, table_hash

BUDGET = {"n_splits": 3, "n_repeats": 1, "seed": 0}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow")
    store = registry.resolve_store(f"sqlite:///{root / 'mlflow.db'}")
    yield store
    mlflow.set_tracking_uri(None)


@pytest.fixture(scope="module")
def first(store):
    """First session: ridge vs LightGBM (the shipped family, logged through skops); the best
    is registered as version 1."""
    return tracking.train_and_track(store, families=["ridge", "lightgbm"], **BUDGET)


@pytest.fixture(scope="module")
def table():
    return prepare_table()


def _cli(store, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    mlflow_cli.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([*argv, "--tracking-uri", store.uri])
    return args.run(args)


def _predict(model, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.predict(X)


def test_session_logs_a_parent_and_one_nested_run_per_family(store, first):
    client, _ = registry.connect(store)
    parent = client.get_run(first.parent_run_id)
    assert parent.data.params["data_hash"].startswith("sha256:")
    assert parent.data.tags["git_commit"]
    assert set(first.run_ids) == {"ridge", "lightgbm"}
    for family, run_id in first.run_ids.items():
        run = client.get_run(run_id)
        assert run.data.tags["mlflow.parentRunId"] == first.parent_run_id
        assert run.data.params["family"] == family
        for metric in ("MSE", "MAE", "R2", "MAPE"):
            assert np.isfinite(run.data.metrics[metric])
            assert run.data.metrics[f"{metric}_std"] >= 0
        assert len(client.get_metric_history(run_id, "fold_MAPE")) == BUDGET["n_splits"]
        logged = mlflow.models.get_model_info(first.model_uris[family])
        assert "sklearn" in logged.flavors
        assert logged.signature.inputs.input_names() == list(FEATURE_ORDER)
        assert logged.saved_input_example_info is not None
    # The chosen family is the one with the lowest CV MAPE, and only it was registered.
    mapes = {f: client.get_run(r).data.metrics["MAPE"] for f, r in first.run_ids.items()}
    assert first.family == min(mapes, key=mapes.get)
    assert first.registered_version == "1"
    version = client.get_model_version(registry.MODEL_NAME, "1")
    assert version.run_id == first.best_run_id
    assert version.tags[registry.TAG_DATA_HASH] == first.protocol["data_hash"]
    protocol = json.loads(version.tags[registry.TAG_PROTOCOL])
    assert protocol["table_hash"] == table_hash(prepare_table())  # the rows the CV ran on
    assert version.tags[registry.TAG_GIT_COMMIT] == parent.data.tags["git_commit"]


def test_cycle_exports_the_champion_that_prices_like_the_logged_model(
    store, first, table, tmp_path
):
    assert _cli(store, "promote") == 0
    client, _ = registry.connect(store)
    assert str(registry.champion(client).version) == first.registered_version

    model_dir = tmp_path / "model"
    result = export_champion(store, model_dir)
    shipped = load_artifact(model_dir)  # passes the schema check and the file hash check
    metadata = shipped.metadata
    assert metadata.feature_order == FEATURE_ORDER
    assert metadata.version == result.version == "1"
    assert metadata.run_id == first.best_run_id
    assert metadata.source.startswith("models:/laptop-pricing-model@champion")
    assert metadata.raw["downloaded_at"].endswith("Z")
    for value in (metadata.reference, metadata.price_range, metadata.cv, metadata.data_hash):
        assert value
    assert metadata.trained_at and metadata.comparables and metadata.comparables.rows
    assert set(metadata.metrics) >= {"MSE", "MAE", "R2", "MAPE", "MAPE_std", "MAPE_v1"}
    assert 0.5 < metadata.price_range.measured_coverage <= 1.0

    X = encode_many(table[list(FIELD_NAMES)].to_dict("records"))
    logged = mlflow.sklearn.load_model(first.model_uri)
    assert np.array_equal(_predict(shipped.model, X), _predict(logged, X))

    engine = PricingEngine.load(model_dir)
    quote = engine.price(LaptopSpec.default())
    assert quote.version == "1"
    assert quote.low <= quote.price <= quote.high


def test_worse_model_takes_champion_only_with_force(store, first, tmp_path):
    client, _ = registry.connect(store)
    if registry.champion(client) is None:
        registry.promote(client)
    champion = registry.champion(client)
    champion_version = str(champion.version)
    # Same data, folds and seed: comparable. A plain linear model is worse than the tree.
    worse = tracking.train_and_track(store, families=["linear_regression"], **BUDGET)
    assert worse.results[0].mean["MAPE"] > registry.version_mape(champion)

    assert _cli(store, "promote", "--version", worse.registered_version) == 0
    assert str(registry.champion(client).version) == champion_version

    assert _cli(store, "promote", "--version", worse.registered_version, "--force") == 0
    assert str(registry.champion(client).version) == worse.registered_version

    # Export follows the alias, not the highest version: put it back on the better model
    # and register a newer (higher) version that is not champion.
    registry.promote(client, champion_version, force=True)
    newer = tracking.train_and_track(store, families=["linear_regression"], **BUDGET)
    assert int(newer.registered_version) > int(champion_version)
    result = export_champion(store, tmp_path / "model")
    assert result.version == champion_version


def test_mismatched_schema_is_refused_and_the_shipped_artifact_is_untouched(
    store, first, tmp_path, capsys
):
    shipped = tmp_path / "model"
    shutil.copytree(REPO_MODEL_DIR, shipped)
    before = {p.name: p.read_bytes() for p in shipped.iterdir()}

    # A model logged under another feature order (two columns swapped) becomes champion.
    client, _ = registry.connect(store)
    model = mlflow.sklearn.load_model(first.model_uri)
    meta = dict(first.metadata)
    swapped = list(FEATURE_ORDER)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    meta["feature_order"] = swapped
    X = encode_many([LaptopSpec.default().as_dict()] * 3)
    with mlflow.start_run(run_name="other-schema"):
        info = tracking.log_candidate_model(model, meta, X)
    version = registry.register(
        client, info.model_uri, family="other", mape=0.01, protocol=first.protocol, git_commit="x"
    )
    registry.promote(client, version.version, force=True)

    with pytest.raises(ExportRefused, match="feature_order does not match"):
        export_champion(store, shipped)
    assert _cli(store, "export", "--model-dir", str(shipped)) == mlflow_cli.EXIT_REFUSED
    assert "export refused" in capsys.readouterr().err
    assert sorted(p.name for p in shipped.iterdir()) == sorted(before)
    for name, content in before.items():
        assert (shipped / name).read_bytes() == content, name
    assert filecmp.cmp(shipped / "model.txt", REPO_MODEL_DIR / "model.txt", shallow=False)
