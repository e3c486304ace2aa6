"""Configuration: environment variable first, then Streamlit secrets, then the default.

The package never imports Streamlit: the page hands its secrets in as a plain mapping (see
``components.settings``). In ``secrets.toml`` the course's hyphenated names are used
(``API-ENDPOINT``); the environment uses the upper-case underscore form (``API_ENDPOINT``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PREFIX = "laptop-prediction-real-data"
DEFAULT_OUTCOMES_PREFIX = "laptop-trade-in-outcomes"
DEFAULT_PREDICTIONS_DIR = REPO_ROOT / "var" / "predictions"
DEFAULT_PREDICTIONS_CACHE_DIR = REPO_ROOT / "var" / "cache" / "s3"
CACHE_OFF = frozenset({"off", "none", "0", "false"})

# secrets.toml key -> meaning. The environment name is derived by ``env_name``.
KEYS: Mapping[str, str] = {
    "API-ENDPOINT": "URL of the pricing API's predict route (unset: embedded engine, in-process)",
    "API-KEY": "sent as x-api-key",
    "PREDICTIONS-BUCKET": "S3 bucket of the request log (unset: the local folder)",
    "PREDICTIONS-PREFIX": "key prefix of the day files",
    "PREDICTIONS-DIR": "local folder of the day files (same layout as the bucket)",
    "AWS-ENDPOINT-URL": "S3-compatible endpoint (MinIO, moto, LocalStack)",
    "PREDICTIONS-CACHE-DIR": "local folder keeping downloaded S3 day files by ETag ('off': none)",
    "OUTCOMES-PREFIX": "key prefix of the outcome day files (same bucket or local folder)",
}


def env_name(key: str) -> str:
    return key.replace("-", "_").upper()


def read_setting(
    key: str, secrets: Mapping[str, Any] | None = None, default: str | None = None
) -> str | None:
    """One setting by its secrets.toml name; empty strings count as unset."""
    value = os.environ.get(env_name(key))
    if value is None and secrets:
        try:
            value = secrets.get(key)
        except Exception:  # a broken secrets source must not take the page down
            value = None
    if value is None or str(value).strip() == "":
        return default
    return str(value).strip()


@dataclass(frozen=True)
class Settings:
    api_endpoint: str | None
    api_key: str | None
    predictions_bucket: str | None
    predictions_prefix: str
    predictions_dir: Path
    aws_endpoint_url: str | None
    predictions_cache_dir: Path | None = None
    outcomes_prefix: str = DEFAULT_OUTCOMES_PREFIX

    @property
    def embedded(self) -> bool:
        """No endpoint configured: price in-process with the shipped model."""
        return self.api_endpoint is None

    def __repr__(self) -> str:  # never print the key
        key = "set" if self.api_key else "unset"
        cache_dir = str(self.predictions_cache_dir) if self.predictions_cache_dir else None
        return (
            f"Settings(api_endpoint={self.api_endpoint!r}, api_key=<{key}>, "
            f"predictions_bucket={self.predictions_bucket!r}, "
            f"predictions_prefix={self.predictions_prefix!r}, "
            f"predictions_dir={str(self.predictions_dir)!r}, "
            f"aws_endpoint_url={self.aws_endpoint_url!r}, "
            f"predictions_cache_dir={cache_dir!r}, "
            f"outcomes_prefix={self.outcomes_prefix!r})"
        )


def load_settings(secrets: Mapping[str, Any] | None = None) -> Settings:
    return Settings(
        api_endpoint=read_setting("API-ENDPOINT", secrets),
        api_key=read_setting("API-KEY", secrets),
        predictions_bucket=read_setting("PREDICTIONS-BUCKET", secrets),
        predictions_prefix=read_setting("PREDICTIONS-PREFIX", secrets, DEFAULT_PREFIX).strip("/"),
        predictions_dir=Path(
            read_setting("PREDICTIONS-DIR", secrets, str(DEFAULT_PREDICTIONS_DIR))
        ),
        aws_endpoint_url=read_setting("AWS-ENDPOINT-URL", secrets),
        predictions_cache_dir=_cache_dir(
            read_setting("PREDICTIONS-CACHE-DIR", secrets, str(DEFAULT_PREDICTIONS_CACHE_DIR))
        ),
        outcomes_prefix=read_setting("OUTCOMES-PREFIX", secrets, DEFAULT_OUTCOMES_PREFIX).strip(
            "/"
        ),
    )


def _cache_dir(value: str | None) -> Path | None:
    return None if value is None or value.lower() in CACHE_OFF else Path(value)
