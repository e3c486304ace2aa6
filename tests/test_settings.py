"""Settings: environment first, then secrets, then the default; every key documented."""

from __future__ import annotations

import re

import pytest

from laptop_pricing.settings import (
    DEFAULT_PREDICTIONS_DIR,
    DEFAULT_PREFIX,
    KEYS,
    REPO_ROOT,
    env_name,
    load_settings,
    read_setting,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for key in KEYS:
        monkeypatch.delenv(env_name(key), raising=False)


def test_environment_wins_over_secrets_which_win_over_the_default(monkeypatch):
    secrets = {"API-ENDPOINT": "https://from-secrets/predict"}
    assert read_setting("API-ENDPOINT", None, "d") == "d"
    assert read_setting("API-ENDPOINT", secrets, "d") == "https://from-secrets/predict"
    monkeypatch.setenv("API_ENDPOINT", "https://from-env/predict")
    assert read_setting("API-ENDPOINT", secrets, "d") == "https://from-env/predict"


def test_no_secrets_at_all_gives_the_embedded_defaults():
    settings = load_settings(None)
    assert settings.embedded
    assert settings.api_key is None
    assert settings.predictions_bucket is None
    assert settings.predictions_prefix == DEFAULT_PREFIX
    assert settings.predictions_dir == DEFAULT_PREDICTIONS_DIR


def test_a_secrets_source_that_raises_is_treated_as_absent():
    class BrokenSecrets(dict):
        def get(self, *args, **kwargs):
            raise FileNotFoundError("No secrets found")

    assert read_setting("API-KEY", BrokenSecrets({"x": 1}), "fallback") == "fallback"


def test_blank_values_count_as_unset_and_the_prefix_loses_its_slashes(monkeypatch):
    monkeypatch.setenv("API_ENDPOINT", "   ")
    monkeypatch.setenv("PREDICTIONS_PREFIX", "/logs/day-files/")
    settings = load_settings({})
    assert settings.embedded
    assert settings.predictions_prefix == "logs/day-files"


def test_the_key_never_shows_in_the_settings_repr():
    settings = load_settings({"API-KEY": "sk-very-secret-123"})
    assert "sk-very-secret-123" not in repr(settings)
    assert "sk-very-secret-123" not in str(settings)


def test_every_key_is_documented_in_the_secrets_example_and_the_readme():
    example = (REPO_ROOT / ".streamlit" / "secrets.toml.example").read_text(encoding="utf-8")
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^# ([A-Z][A-Z-]+) =", example, flags=re.MULTILINE))
    assert documented == set(KEYS)
    for key in KEYS:
        assert f"| `{key}` | `{env_name(key)}` |" in readme, key
