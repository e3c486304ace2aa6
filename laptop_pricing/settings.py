"""Configuration: environment variable first, then Streamlit secrets, then the default.

The package never imports Streamlit: the page hands its secrets in as a plain mapping (see
``components.app_settings``). In ``secrets.toml`` the course's hyphenated names are used
(``API-ENDPOINT``); the environment uses the upper-case underscore form (``API_ENDPOINT``).

Every setting is validated here, once, when the settings are loaded: a malformed URL, a prefix
with a leading slash, a folder that is a file or not writable, a bad e-mail list entry or an
incomplete ``[auth]`` section raises ``InvalidSettings`` listing each problem by key. Nothing falls
back to another mode: the caller shows the problems (the app, in pt-BR) or fails (the Lambda).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Re-exported: callers keep importing every setting name from here.
from laptop_pricing.setting_values import InvalidSettings as InvalidSettings
from laptop_pricing.setting_values import SettingProblem as SettingProblem
from laptop_pricing.setting_values import check_url
from laptop_pricing.setting_values import env_name as env_name
from laptop_pricing.setting_values import read_setting as read_setting
from laptop_pricing.sign_in_settings import (
    AUTH_SECTION,
    check_auth,
    check_clerk_stores,
    check_emails,
    check_issuers,
    check_owner_stores,
)
from laptop_pricing.sign_in_settings import AuthSettings as AuthSettings
from laptop_pricing.sign_in_settings import read_email_list as read_email_list
from laptop_pricing.sign_in_settings import read_issuers as read_issuers
from laptop_pricing.store_id import DEFAULT_STORE_ID, MAX_STORE_ID_LENGTH, is_store_id

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PREFIX = "laptop-prediction-real-data"
DEFAULT_OUTCOMES_PREFIX = "laptop-trade-in-outcomes"
DEFAULT_PURCHASES_PREFIX = "laptop-trade-in-purchases"
DEFAULT_PREDICTIONS_DIR = REPO_ROOT / "var" / "predictions"
# The request log's wall-clock limit per write (connect, read, retries and locks together).
DEFAULT_REQUEST_LOG_DEADLINE = 1.0
MAX_REQUEST_LOG_DEADLINE = 10.0
BUCKET_PATTERN = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")

# secrets.toml key -> meaning. The environment name is derived by ``env_name``.
KEYS: Mapping[str, str] = {
    "API-ENDPOINT": "URL of the pricing API's predict route (unset: embedded engine, in-process)",
    "API-KEY": "sent as x-api-key",
    "OWNER-API-KEY": "sent as x-api-key instead of API-KEY on an owner's purchase calls (the "
    "template's owner key); only when the signed-in visitor is an owner",
    "PREDICTIONS-BUCKET": "S3 bucket of the request log (unset: the local folder)",
    "PREDICTIONS-PREFIX": "key prefix of the day files",
    "PREDICTIONS-DIR": "local folder of the day files (same layout as the bucket)",
    "AWS-ENDPOINT-URL": "S3-compatible endpoint (MinIO, moto, LocalStack)",
    "CLERK-EMAILS": "who may price when sign-in is on: addresses or @domain entries",
    "OWNER-EMAILS": "who may also see monitoring, model card and policy: addresses or @domain; "
    "an entry may name the stores it reads after = joined by + (gerente@loja.com.br=centro+sul); "
    "without =: a chain owner, who reads every store",
    "REQUEST-LOG-DEADLINE-SECONDS": "wall-clock limit of one request-log write (connect, read, "
    "retries, disk), after which the price is answered and the row counted lost",
    "POLICY-PATH": "the store's trade-in policy (TOML); default: policy/store_policy.toml",
    "STORE-NAME": "store name printed on the customer's PDF quote",
    "OUTCOMES-PREFIX": "key prefix of the outcome day files (same bucket or local folder)",
    # The counter: the store's identity on the customer's PDF, and what the customer may see.
    "STORE-ADDRESS": "store address printed on the customer's PDF quote",
    "STORE-CNPJ": "store CNPJ printed on the customer's PDF quote (validated check digits)",
    "STORE-PHONE": "store phone printed on the customer's PDF quote",
    "SHOW-CLERK-DETAILS": "true/false: show the folded clerk's details (market estimate, range, "
    "why, comparables) under the offer; false hides them from the screen entirely",
    "UNVERIFIED-EMAIL-ISSUERS": "sign-in providers (their `iss`) that never send "
    "email_verified: their e-mail is trusted without it; any other provider must send true",
    "PERSONAL-DATA-KEY": "secret that seals sellers' personal data (Fernet) and keys the CPF "
    "hash (unset: a key file in the local folder, embedded only)",
    "PURCHASES-PREFIX": "key prefix of the purchases (same bucket or local folder)",
    "STORE-ID": "which store of a chain this deployment is (a lower-case slug, e.g. centro); "
    "written on every record; a CLERK-EMAILS entry's =store overrides it for that clerk",
}
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
DEFAULT_STORE_NAME = "Loja de notebooks"


@dataclass(frozen=True)
class Settings:
    api_endpoint: str | None
    api_key: str | None
    predictions_bucket: str | None
    predictions_prefix: str
    predictions_dir: Path
    aws_endpoint_url: str | None
    owner_api_key: str | None = None
    clerk_emails: tuple[str, ...] = ()
    owner_emails: tuple[str, ...] = ()
    # OWNER-EMAILS entries limited to some stores (``gerente@loja.com.br=centro+sul``).
    owner_stores: Mapping[str, frozenset[str]] = field(default_factory=dict)
    auth: AuthSettings | None = None
    request_log_deadline: float = DEFAULT_REQUEST_LOG_DEADLINE
    policy_path: Path | None = None  # None: the policy committed in the repo
    store_name: str = DEFAULT_STORE_NAME
    outcomes_prefix: str = DEFAULT_OUTCOMES_PREFIX
    store_address: str | None = None
    store_cnpj: str | None = None  # formatted 00.000.000/0000-00
    store_phone: str | None = None
    show_clerk_details: bool = True
    unverified_email_issuers: tuple[str, ...] = ()
    personal_data_key: str | None = None  # never printed
    purchases_prefix: str = DEFAULT_PURCHASES_PREFIX
    store_id: str = DEFAULT_STORE_ID
    # CLERK-EMAILS entries that name their store (``ana@loja.com.br=centro``): entry -> store.
    clerk_stores: Mapping[str, str] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        """No endpoint configured: price in-process with the shipped model."""
        return self.api_endpoint is None

    @property
    def production(self) -> bool:
        """An API endpoint or a bucket is configured: the store's real service and data."""
        return self.api_endpoint is not None or self.predictions_bucket is not None

    def __repr__(self) -> str:  # never print the key
        key = "set" if self.api_key else "unset"
        key += ", owner key set" if self.owner_api_key else ""
        return (
            f"Settings(api_endpoint={self.api_endpoint!r}, api_key=<{key}>, "
            f"predictions_bucket={self.predictions_bucket!r}, "
            f"predictions_prefix={self.predictions_prefix!r}, "
            f"predictions_dir={str(self.predictions_dir)!r}, "
            f"aws_endpoint_url={self.aws_endpoint_url!r}, "
            f"clerk_emails=<{len(self.clerk_emails)}>, owner_emails=<{len(self.owner_emails)}>, "
            f"owner_stores=<{len(self.owner_stores)}>, "
            f"auth={self.auth!r}, request_log_deadline={self.request_log_deadline!r}, "
            f"policy_path={str(self.policy_path) if self.policy_path else None!r}, "
            f"store_name={self.store_name!r}, "
            f"outcomes_prefix={self.outcomes_prefix!r}, "
            f"store_address={self.store_address!r}, store_cnpj={self.store_cnpj!r}, "
            f"store_phone={self.store_phone!r}, show_clerk_details={self.show_clerk_details!r}, "
            f"unverified_email_issuers={self.unverified_email_issuers!r}, "
            f"personal_data_key=<{'set' if self.personal_data_key else 'unset'}>, "
            f"purchases_prefix={self.purchases_prefix!r}, store_id={self.store_id!r}, "
            f"clerk_stores=<{len(self.clerk_stores)}>)"
        )


def settings_or_exit() -> Settings:
    """For a command (the local server, the compactor): the settings, or one line per bad key
    on stderr and exit 1, never a traceback."""
    try:
        return load_settings()
    except InvalidSettings as error:
        for problem in error.problems:
            print(f"configuration error: {problem}", file=sys.stderr)
        raise SystemExit(1) from None


def load_settings(secrets: Mapping[str, Any] | None = None) -> Settings:
    """The validated settings; raises ``InvalidSettings`` naming every bad key."""
    problems: list[SettingProblem] = []
    endpoint = check_url("API-ENDPOINT", read_setting("API-ENDPOINT", secrets), problems)
    if endpoint is not None and not _safe_transport(endpoint):  # the key would travel in clear
        problems.append(SettingProblem("API-ENDPOINT", "cleartext", endpoint[:120]))
    bucket = read_setting("PREDICTIONS-BUCKET", secrets)
    if bucket is not None and not (BUCKET_PATTERN.fullmatch(bucket) and ".." not in bucket):
        problems.append(SettingProblem("PREDICTIONS-BUCKET", "bucket", bucket[:80]))
    prefix = read_setting("PREDICTIONS-PREFIX", secrets, DEFAULT_PREFIX)
    if prefix.startswith("/") or "//" in prefix or "\\" in prefix:
        problems.append(SettingProblem("PREDICTIONS-PREFIX", "prefix", prefix[:80]))
    outcomes_prefix = read_setting("OUTCOMES-PREFIX", secrets, DEFAULT_OUTCOMES_PREFIX)
    if outcomes_prefix.startswith("/") or "//" in outcomes_prefix or "\\" in outcomes_prefix:
        problems.append(SettingProblem("OUTCOMES-PREFIX", "prefix", outcomes_prefix[:80]))
    purchases_prefix = read_setting("PURCHASES-PREFIX", secrets, DEFAULT_PURCHASES_PREFIX)
    if purchases_prefix.startswith("/") or "//" in purchases_prefix or "\\" in purchases_prefix:
        problems.append(SettingProblem("PURCHASES-PREFIX", "prefix", purchases_prefix[:80]))
    predictions_dir = Path(read_setting("PREDICTIONS-DIR", secrets, str(DEFAULT_PREDICTIONS_DIR)))
    if bucket is None:  # the local folder is where the log goes: it must take files
        _writable_folder("PREDICTIONS-DIR", predictions_dir, problems)
    settings = Settings(
        api_endpoint=endpoint,
        api_key=read_setting("API-KEY", secrets),
        owner_api_key=read_setting("OWNER-API-KEY", secrets),
        predictions_bucket=bucket,
        predictions_prefix=prefix.rstrip("/"),
        predictions_dir=predictions_dir,
        aws_endpoint_url=check_url(
            "AWS-ENDPOINT-URL", read_setting("AWS-ENDPOINT-URL", secrets), problems
        ),
        clerk_emails=check_emails("CLERK-EMAILS", secrets, problems),
        owner_emails=check_emails("OWNER-EMAILS", secrets, problems),
        owner_stores=check_owner_stores(secrets, problems),
        auth=check_auth((secrets or {}).get(AUTH_SECTION), problems),
        request_log_deadline=_deadline(
            read_setting("REQUEST-LOG-DEADLINE-SECONDS", secrets), problems
        ),
        policy_path=_optional_path(read_setting("POLICY-PATH", secrets)),
        store_name=read_setting("STORE-NAME", secrets, DEFAULT_STORE_NAME) or DEFAULT_STORE_NAME,
        outcomes_prefix=outcomes_prefix.rstrip("/"),
        store_address=read_setting("STORE-ADDRESS", secrets),
        store_cnpj=_cnpj(read_setting("STORE-CNPJ", secrets), problems),
        store_phone=read_setting("STORE-PHONE", secrets),
        show_clerk_details=_flag("SHOW-CLERK-DETAILS", secrets, True, problems),
        unverified_email_issuers=check_issuers(
            read_setting("UNVERIFIED-EMAIL-ISSUERS", secrets), problems
        ),
        personal_data_key=read_setting("PERSONAL-DATA-KEY", secrets),
        purchases_prefix=purchases_prefix.rstrip("/"),
        store_id=_store_id(read_setting("STORE-ID", secrets), problems),
        clerk_stores=check_clerk_stores(secrets, problems),
    )
    if problems:
        raise InvalidSettings(problems)
    return settings


def _safe_transport(url: str) -> bool:
    """``https://``, or ``http://`` to this machine only (a local server in tests or a demo)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return True  # already reported as a malformed URL
    return parts.scheme != "http" or (parts.hostname or "").lower() in LOOPBACK_HOSTS


def _writable_folder(key: str, folder: Path, problems: list[SettingProblem]) -> None:
    """A folder that exists and takes files, or can be created under one that does."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        problems.append(SettingProblem(key, "not_a_folder", str(existing)[:200]))
    elif not os.access(existing, os.W_OK | os.X_OK):
        problems.append(SettingProblem(key, "not_writable", str(existing)[:200]))


def names_production(secrets: Mapping[str, Any] | None) -> bool:
    """Whether the raw settings name the store's service, data or sign-in, valid or not: who
    may read a configuration error in detail depends on it (settings that failed to load)."""
    keys = ("API-ENDPOINT", "PREDICTIONS-BUCKET")
    named = any(read_setting(key, secrets) is not None for key in keys)
    return named or (secrets or {}).get(AUTH_SECTION) is not None


def _deadline(value: str | None, problems: list[SettingProblem]) -> float:
    """Seconds above 0 and at most ``MAX_REQUEST_LOG_DEADLINE`` (a write may never hold a price
    longer than the gateway's own limits allow)."""
    if value is None:
        return DEFAULT_REQUEST_LOG_DEADLINE
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= MAX_REQUEST_LOG_DEADLINE:
        problems.append(SettingProblem("REQUEST-LOG-DEADLINE-SECONDS", "seconds", value[:20]))
        return DEFAULT_REQUEST_LOG_DEADLINE
    return seconds


def _store_id(value: str | None, problems: list[SettingProblem]) -> str:
    """A lower-case slug; anything else is refused, never lower-cased or cut into another
    store's id."""
    if value is None:
        return DEFAULT_STORE_ID
    if not is_store_id(value):
        problems.append(SettingProblem("STORE-ID", "store_id", value[: MAX_STORE_ID_LENGTH + 20]))
        return DEFAULT_STORE_ID
    return value


def _optional_path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _cnpj(value: str | None, problems: list[SettingProblem]) -> str | None:
    """The CNPJ with valid check digits, formatted; a typo is caught here, not on a printed PDF."""
    if value is None:
        return None
    from stdnum.br import cnpj

    if not cnpj.is_valid(value):
        problems.append(SettingProblem("STORE-CNPJ", "cnpj", value[:40]))
        return None
    return str(cnpj.format(value))


TRUE_WORDS = frozenset({"true", "1", "yes", "sim"})
FALSE_WORDS = frozenset({"false", "0", "no", "nao", "não"})


def _flag(
    key: str, secrets: Mapping[str, Any] | None, default: bool, problems: list[SettingProblem]
) -> bool:
    """A yes/no setting; TOML booleans arrive as ``True``/``False`` and read as their words."""
    value = read_setting(key, secrets)
    if value is None:
        return default
    word = value.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    problems.append(SettingProblem(key, "flag", value[:20]))
    return default
