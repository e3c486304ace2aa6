"""Registry rules against a real temporary MLflow store (SQLite in tmp_path).

The champion alias moves only for a better MAPE under the same validation protocol, or with force;
the tracking URI is printed without credentials.
"""

from __future__ import annotations

import mlflow
import numpy as np
import pytest
from sklearn.dummy import DummyRegressor

from laptop_pricing.training import registry

PROTOCOL = {"data_hash": "sha256:abc", "n_splits": 3, "n_repeats": 1, "seed": 7}


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    store = registry.resolve_store(f"sqlite:///{tmp_path / 'mlflow.db'}")
    client, _ = registry.connect(store)
    yield client
    mlflow.set_tracking_uri(None)


def _version(client, mape: float, protocol=PROTOCOL):
    model = DummyRegressor(constant=mape).fit(np.zeros((2, 1)), [0.0, 1.0])
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(model, name="model", pip_requirements=[])
    version = registry.register(
        client, info.model_uri, family="dummy", mape=mape, protocol=protocol, git_commit="abc123"
    )
    return str(version.version)  # MLflow hands versions back as int or str depending on the call


def test_default_store_is_sqlite_in_the_repo_with_artifacts_beside_it(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    store = registry.resolve_store()
    assert store.uri == f"sqlite:///{registry.REPO_ROOT / 'mlflow.db'}"
    assert store.artifact_location == (registry.REPO_ROOT / "mlartifacts").as_uri()


def test_environment_uri_wins_and_is_printed_without_credentials(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "https://alice:s3cret@dagshub.com/u/r.mlflow")
    store = registry.resolve_store()
    assert store.uri == "https://alice:s3cret@dagshub.com/u/r.mlflow"
    assert store.artifact_location is None  # the server decides where artifacts go
    assert "s3cret" not in store.display_uri and "alice" not in store.display_uri
    assert store.display_uri == "https://***@dagshub.com/u/r.mlflow"


def test_registration_tags_each_new_version(store):
    first = _version(store, 0.20)
    second = _version(store, 0.30)
    assert (first, second) == ("1", "2")
    tags = store.get_model_version(registry.MODEL_NAME, second).tags
    assert tags[registry.TAG_DATA_HASH] == "sha256:abc"
    assert tags[registry.TAG_GIT_COMMIT] == "abc123"
    assert float(tags[registry.TAG_MAPE]) == 0.30


def test_first_version_becomes_champion(store):
    v1 = _version(store, 0.20)
    decision = registry.promote(store)
    assert decision.promoted and decision.version == v1
    assert str(registry.champion(store).version) == v1


def test_worse_model_does_not_take_champion_without_force(store):
    v1 = _version(store, 0.20)
    registry.promote(store)
    v2 = _version(store, 0.25)
    decision = registry.promote(store)
    assert not decision.promoted
    assert "does not beat" in decision.reason
    assert str(registry.champion(store).version) == v1

    forced = registry.promote(store, v2, force=True)
    assert forced.promoted and "forced" in forced.reason
    assert str(registry.champion(store).version) == v2


def test_better_model_takes_champion(store):
    _version(store, 0.20)
    registry.promote(store)
    v2 = _version(store, 0.15)
    decision = registry.promote(store)
    assert decision.promoted and decision.champion_mape == pytest.approx(0.20)
    assert str(registry.champion(store).version) == v2


def test_a_different_protocol_is_not_comparable_even_when_its_mape_is_lower(store):
    v1 = _version(store, 0.20)
    registry.promote(store)
    other = {**PROTOCOL, "data_hash": "sha256:other-data"}
    v2 = _version(store, 0.05, protocol=other)
    decision = registry.promote(store, v2)
    assert not decision.promoted and "protocol" in decision.reason
    assert str(registry.champion(store).version) == v1


def test_promoting_an_unknown_version_is_a_clear_error(store):
    _version(store, 0.20)
    with pytest.raises(registry.RegistryError, match="no version 42"):
        registry.promote(store, 42)
