"""Settings: environment first, then secrets, then the default; every key documented."""

from __future__ import annotations

import os
import re

import pytest

from laptop_pricing.settings import (
    DEFAULT_PREDICTIONS_DIR,
    DEFAULT_PREFIX,
    KEYS,
    REPO_ROOT,
    AuthSettings,
    InvalidSettings,
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


def test_blank_values_count_as_unset_and_a_trailing_slash_is_dropped(monkeypatch):
    monkeypatch.setenv("API_ENDPOINT", "   ")
    monkeypatch.setenv("PREDICTIONS_PREFIX", "logs/day-files/")
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


# --- Validation: every bad setting is named, nothing falls back to another mode ---------------

AUTH = {
    "redirect_uri": "https://precos.loja.com.br/oauth2callback",
    "cookie_secret": "a-long-random-string-for-the-cookie",
    "client_id": "id.apps.googleusercontent.com",
    "client_secret": "GOCSPX-not-shown",
    "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration",
}


def problems_of(secrets, monkeypatch=None, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(InvalidSettings) as error:
        load_settings(secrets)
    return {(p.key, p.code) for p in error.value.problems}


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("API-ENDPOINT", "htp:/x", "url"),
        ("API-ENDPOINT", "abc123.execute-api.us-east-1.amazonaws.com/prod/predict", "url"),
        ("API-ENDPOINT", "https://", "url"),
        ("AWS-ENDPOINT-URL", "htp:/x", "url"),
        ("AWS-ENDPOINT-URL", "http://127.0.0.1:99999", "url"),
        ("PREDICTIONS-PREFIX", "/laptop-prediction-real-data", "prefix"),
        ("PREDICTIONS-PREFIX", "logs//days", "prefix"),
        ("PREDICTIONS-BUCKET", "s3://my-bucket", "bucket"),
        ("PREDICTIONS-BUCKET", "My_Bucket", "bucket"),
        ("CLERK-EMAILS", "ana@loja.com.br, joao", "email"),
        ("OWNER-EMAILS", "dona@", "email"),
        ("API-ENDPOINT", "http://precos.loja.com.br/predict", "cleartext"),
        ("API-ENDPOINT", "http://10.0.0.5:8080/predict", "cleartext"),
        ("UNVERIFIED-EMAIL-ISSUERS", "idp.example.com", "url"),
    ],
)
def test_each_malformed_value_is_named_by_its_key(key, value, code):
    assert problems_of({key: value}) == {(key, code)}


def test_the_environment_spelling_is_validated_the_same_way(monkeypatch):
    assert problems_of({}, monkeypatch, AWS_ENDPOINT_URL="htp:/x") == {("AWS-ENDPOINT-URL", "url")}


def test_every_problem_is_reported_at_once():
    found = problems_of({"API-ENDPOINT": "htp:/x", "PREDICTIONS-PREFIX": "/p", "OWNER-EMAILS": "x"})
    assert found == {
        ("API-ENDPOINT", "url"),
        ("PREDICTIONS-PREFIX", "prefix"),
        ("OWNER-EMAILS", "email"),
    }


def test_a_predictions_dir_that_is_a_file_is_refused(tmp_path):
    a_file = tmp_path / "predictions.csv"
    a_file.write_text("x")
    assert problems_of({"PREDICTIONS-DIR": str(a_file)}) == {("PREDICTIONS-DIR", "not_a_folder")}
    assert problems_of({"PREDICTIONS-DIR": str(a_file / "below")}) == {
        ("PREDICTIONS-DIR", "not_a_folder")
    }


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere: permissions cannot refuse it")
def test_a_read_only_predictions_dir_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    assert problems_of({"PREDICTIONS-DIR": str(folder)}) == {("PREDICTIONS-DIR", "not_writable")}


def test_a_predictions_dir_that_does_not_exist_yet_is_fine_under_a_writable_folder(tmp_path):
    settings = load_settings({"PREDICTIONS-DIR": str(tmp_path / "new" / "folder")})
    assert settings.predictions_dir == tmp_path / "new" / "folder"
    assert not (tmp_path / "new").exists()  # validating creates nothing


def test_the_local_folder_is_not_checked_when_the_log_is_in_a_bucket(tmp_path):
    a_file = tmp_path / "f"
    a_file.write_text("x")
    settings = load_settings({"PREDICTIONS-BUCKET": "my-bucket", "PREDICTIONS-DIR": str(a_file)})
    assert settings.predictions_bucket == "my-bucket" and settings.production


def test_email_lists_are_read_from_text_or_a_toml_array():
    settings = load_settings({"CLERK-EMAILS": ["Ana@Loja.com.br", "@loja.com.br"]})
    assert settings.clerk_emails == ("ana@loja.com.br", "@loja.com.br")
    assert load_settings({"OWNER-EMAILS": "dona@loja.com.br"}).owner_emails == ("dona@loja.com.br",)


def test_auth_section_as_streamlit_documents_it():
    assert load_settings({"auth": AUTH}).auth == AuthSettings(provider=None)
    named = {k: AUTH[k] for k in ("redirect_uri", "cookie_secret")}
    named["google"] = {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")}
    assert load_settings({"auth": named}).auth == AuthSettings(provider="google")
    assert load_settings({}).auth is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"redirect_uri": None}, ("[auth] redirect_uri", "missing")),
        ({"redirect_uri": "https://precos.loja.com.br/"}, ("[auth] redirect_uri", "callback")),
        ({"redirect_uri": "precos.loja.com.br/oauth2callback"}, ("[auth] redirect_uri", "url")),
        ({"cookie_secret": None}, ("[auth] cookie_secret", "missing")),
        ({"client_secret": None}, ("[auth] client_secret", "missing")),
        ({"server_metadata_url": "accounts.google.com"}, ("[auth] server_metadata_url", "url")),
        ({"client_id": None}, ("[auth]", "auth_provider")),
    ],
)
def test_an_incomplete_auth_section_is_named(change, expected):
    section = {k: v for k, v in {**AUTH, **change}.items() if v is not None}
    assert problems_of({"auth": section}) == {expected}


def test_no_secret_of_the_auth_section_is_kept_or_shown():
    settings = load_settings({"auth": AUTH, "API-KEY": "sk-123"})
    for secret in (AUTH["client_secret"], AUTH["cookie_secret"], "sk-123"):
        assert secret not in repr(settings)
    with pytest.raises(InvalidSettings) as error:
        load_settings({"auth": {**AUTH, "redirect_uri": "bad"}, "API-KEY": "sk-123"})
    for secret in (AUTH["client_secret"], AUTH["cookie_secret"], "sk-123"):
        assert secret not in str(error.value)


@pytest.mark.parametrize(
    "endpoint",
    ["https://precos.loja.com.br/predict", "http://127.0.0.1:8080/predict", "http://localhost/p"],
)
def test_http_is_allowed_only_to_this_machine(endpoint):
    """Item 6: the key goes in a header; over http:// anyone on the way reads it."""
    assert load_settings({"API-ENDPOINT": endpoint}).api_endpoint == endpoint


def test_providers_that_never_send_email_verified_are_named_by_issuer():
    """Item 1: absent ``email_verified`` is trusted only from an issuer named here."""
    assert load_settings({}).unverified_email_issuers == ()
    named = load_settings(
        {"UNVERIFIED-EMAIL-ISSUERS": "https://idp.loja.com.br/, http://127.0.0.1:5"}
    )
    assert named.unverified_email_issuers == ("https://idp.loja.com.br", "http://127.0.0.1:5")
