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
DEFAULT_PREDICTIONS_DIR = REPO_ROOT / "var" / "predictions"

# secrets.toml key -> meaning. The environment name is derived by ``env_name``.
KEYS: Mapping[str, str] = {
    "API-ENDPOINT": "URL of the pricing API's predict route (unset: embedded engine, in-process)",
    "API-KEY": "sent as x-api-key",
    "PREDICTIONS-BUCKET": "S3 bucket of the request log (unset: the local folder)",
    "PREDICTIONS-PREFIX": "key prefix of the day files",
    "PREDICTIONS-DIR": "local folder of the day files (same layout as the bucket)",
    "AWS-ENDPOINT-URL": "S3-compatible endpoint (MinIO, moto, LocalStack)",
    "REQUEST-LOG-DEADLINE-SECONDS": "wall-clock limit of one request-log write (connect, read, "
    "retries, disk), after which the price is answered and the row counted lost",
}
DEFAULT_REQUEST_LOG_DEADLINE = 1.0
MAX_REQUEST_LOG_DEADLINE = 10.0


class SettingError(ValueError):
    """A setting holds a value that cannot work; the message names the key."""


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
    request_log_deadline: float = DEFAULT_REQUEST_LOG_DEADLINE

    @property
    def embedded(self) -> bool:
        """No endpoint configured: price in-process with the shipped model."""
        return self.api_endpoint is None

    def __repr__(self) -> str:  # never print the key
        key = "set" if self.api_key else "unset"
        return (
            f"Settings(api_endpoint={self.api_endpoint!r}, api_key=<{key}>, "
            f"predictions_bucket={self.predictions_bucket!r}, "
            f"predictions_prefix={self.predictions_prefix!r}, "
            f"predictions_dir={str(self.predictions_dir)!r}, "
            f"aws_endpoint_url={self.aws_endpoint_url!r}, "
            f"request_log_deadline={self.request_log_deadline!r})"
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
        request_log_deadline=_deadline(read_setting("REQUEST-LOG-DEADLINE-SECONDS", secrets)),
    )


def _deadline(value: str | None) -> float:
    if value is None:
        return DEFAULT_REQUEST_LOG_DEADLINE
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= MAX_REQUEST_LOG_DEADLINE:
        raise SettingError(
            f"REQUEST-LOG-DEADLINE-SECONDS must be a number of seconds above 0 and at most "
            f"{MAX_REQUEST_LOG_DEADLINE:g}, not {value[:20]!r}"
        )
    return seconds
