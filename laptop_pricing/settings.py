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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload
from urllib.parse import urlsplit

from laptop_pricing.access import parse_email_list

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PREFIX = "laptop-prediction-real-data"
DEFAULT_OUTCOMES_PREFIX = "laptop-trade-in-outcomes"
DEFAULT_PREDICTIONS_DIR = REPO_ROOT / "var" / "predictions"
# The request log's wall-clock limit per write (connect, read, retries and locks together).
DEFAULT_REQUEST_LOG_DEADLINE = 1.0
MAX_REQUEST_LOG_DEADLINE = 10.0
AUTH_SECTION = "auth"
AUTH_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
AUTH_CALLBACK_PATH = "/oauth2callback"
BUCKET_PATTERN = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")

# secrets.toml key -> meaning. The environment name is derived by ``env_name``.
KEYS: Mapping[str, str] = {
    "API-ENDPOINT": "URL of the pricing API's predict route (unset: embedded engine, in-process)",
    "API-KEY": "sent as x-api-key",
    "PREDICTIONS-BUCKET": "S3 bucket of the request log (unset: the local folder)",
    "PREDICTIONS-PREFIX": "key prefix of the day files",
    "PREDICTIONS-DIR": "local folder of the day files (same layout as the bucket)",
    "AWS-ENDPOINT-URL": "S3-compatible endpoint (MinIO, moto, LocalStack)",
    "CLERK-EMAILS": "who may price when sign-in is on: addresses or @domain entries",
    "OWNER-EMAILS": "who may also see monitoring, model card and policy: addresses or @domain",
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
}
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
DEFAULT_STORE_NAME = "Loja de notebooks"


def env_name(key: str) -> str:
    return key.replace("-", "_").upper()


@dataclass(frozen=True)
class SettingProblem:
    """One bad setting: its key as the admin writes it, what is wrong (a code the page words),
    and the offending value when it is safe to show (never a secret)."""

    key: str
    code: str
    value: str | None = None

    def __str__(self) -> str:
        shown = f" ({self.value!r})" if self.value is not None else ""
        return f"{self.key}: {self.code}{shown}"


class InvalidSettings(ValueError):
    """One or more settings are malformed; ``problems`` names each by key."""

    def __init__(self, problems: list[SettingProblem]):
        super().__init__("invalid settings: " + "; ".join(str(p) for p in problems))
        self.problems = problems


@overload
def read_setting(key: str, secrets: Mapping[str, Any] | None, default: str) -> str: ...


@overload
def read_setting(
    key: str, secrets: Mapping[str, Any] | None = None, default: None = None
) -> str | None: ...


def read_setting(
    key: str, secrets: Mapping[str, Any] | None = None, default: str | None = None
) -> str | None:
    """One setting by its secrets.toml name; empty strings count as unset."""
    value = os.environ.get(env_name(key))
    if value is None and secrets:
        value = secrets.get(key)
    if value is None or str(value).strip() == "":
        return default
    return str(value).strip()


@dataclass(frozen=True)
class AuthSettings:
    """Sign-in is configured (``[auth]`` in the secrets). Holds the provider to pass to
    ``st.login`` (None: the default provider written directly in ``[auth]``), never a secret."""

    provider: str | None = None


@dataclass(frozen=True)
class Settings:
    api_endpoint: str | None
    api_key: str | None
    predictions_bucket: str | None
    predictions_prefix: str
    predictions_dir: Path
    aws_endpoint_url: str | None
    clerk_emails: tuple[str, ...] = ()
    owner_emails: tuple[str, ...] = ()
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
        return (
            f"Settings(api_endpoint={self.api_endpoint!r}, api_key=<{key}>, "
            f"predictions_bucket={self.predictions_bucket!r}, "
            f"predictions_prefix={self.predictions_prefix!r}, "
            f"predictions_dir={str(self.predictions_dir)!r}, "
            f"aws_endpoint_url={self.aws_endpoint_url!r}, "
            f"clerk_emails=<{len(self.clerk_emails)}>, owner_emails=<{len(self.owner_emails)}>, "
            f"auth={self.auth!r}, request_log_deadline={self.request_log_deadline!r}, "
            f"policy_path={str(self.policy_path) if self.policy_path else None!r}, "
            f"store_name={self.store_name!r}, "
            f"outcomes_prefix={self.outcomes_prefix!r}, "
            f"store_address={self.store_address!r}, store_cnpj={self.store_cnpj!r}, "
            f"store_phone={self.store_phone!r}, show_clerk_details={self.show_clerk_details!r}, "
            f"unverified_email_issuers={self.unverified_email_issuers!r})"
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
    endpoint = _url("API-ENDPOINT", read_setting("API-ENDPOINT", secrets), problems)
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
    predictions_dir = Path(read_setting("PREDICTIONS-DIR", secrets, str(DEFAULT_PREDICTIONS_DIR)))
    if bucket is None:  # the local folder is where the log goes: it must take files
        _writable_folder("PREDICTIONS-DIR", predictions_dir, problems)
    settings = Settings(
        api_endpoint=endpoint,
        api_key=read_setting("API-KEY", secrets),
        predictions_bucket=bucket,
        predictions_prefix=prefix.rstrip("/"),
        predictions_dir=predictions_dir,
        aws_endpoint_url=_url(
            "AWS-ENDPOINT-URL", read_setting("AWS-ENDPOINT-URL", secrets), problems
        ),
        clerk_emails=_emails("CLERK-EMAILS", secrets, problems),
        owner_emails=_emails("OWNER-EMAILS", secrets, problems),
        auth=_auth((secrets or {}).get(AUTH_SECTION), problems),
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
        unverified_email_issuers=_issuers(
            read_setting("UNVERIFIED-EMAIL-ISSUERS", secrets), problems
        ),
    )
    if problems:
        raise InvalidSettings(problems)
    return settings


def _url(key: str, value: str | None, problems: list[SettingProblem]) -> str | None:
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        problems.append(SettingProblem(key, "url", value[:120]))
    return value


def _safe_transport(url: str) -> bool:
    """``https://``, or ``http://`` to this machine only (a local server in tests or a demo)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return True  # already reported as a malformed URL
    return parts.scheme != "http" or (parts.hostname or "").lower() in LOOPBACK_HOSTS


def _issuers(value: str | None, problems: list[SettingProblem]) -> tuple[str, ...]:
    """Issuer URLs (the ``iss`` claim), without a trailing slash, as ``access`` compares them."""
    issuers = []
    for raw in re.split(r"[,;\s]+", value or ""):
        if not raw:
            continue
        before = len(problems)
        _url("UNVERIFIED-EMAIL-ISSUERS", raw, problems)
        if len(problems) > before:
            break
        issuers.append(raw.rstrip("/"))
    return tuple(issuers)


def _writable_folder(key: str, folder: Path, problems: list[SettingProblem]) -> None:
    """A folder that exists and takes files, or can be created under one that does."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        problems.append(SettingProblem(key, "not_a_folder", str(existing)[:200]))
    elif not os.access(existing, os.W_OK | os.X_OK):
        problems.append(SettingProblem(key, "not_writable", str(existing)[:200]))


def read_email_list(key: str, secrets: Mapping[str, Any] | None) -> tuple[str, ...]:
    """An e-mail list setting (``CLERK-EMAILS``, ``OWNER-EMAILS``); ``ValueError`` names the
    first bad entry."""
    raw = os.environ.get(env_name(key))
    if raw is None and secrets:
        raw = secrets.get(key)
    if isinstance(raw, list | tuple):  # secrets.toml may hold a TOML array
        raw = ",".join(str(item) for item in raw)
    return parse_email_list(None if raw is None else str(raw))


def read_issuers(secrets: Mapping[str, Any] | None) -> tuple[str, ...]:
    """``UNVERIFIED-EMAIL-ISSUERS`` as ``access`` compares them; ``InvalidSettings`` if bad."""
    problems: list[SettingProblem] = []
    issuers = _issuers(read_setting("UNVERIFIED-EMAIL-ISSUERS", secrets), problems)
    if problems:
        raise InvalidSettings(problems)
    return issuers


def names_production(secrets: Mapping[str, Any] | None) -> bool:
    """Whether the raw settings name the store's service, data or sign-in, valid or not: who
    may read a configuration error in detail depends on it (settings that failed to load)."""
    keys = ("API-ENDPOINT", "PREDICTIONS-BUCKET")
    named = any(read_setting(key, secrets) is not None for key in keys)
    return named or (secrets or {}).get(AUTH_SECTION) is not None


def _emails(
    key: str, secrets: Mapping[str, Any] | None, problems: list[SettingProblem]
) -> tuple[str, ...]:
    try:
        return read_email_list(key, secrets)
    except ValueError as bad:
        problems.append(SettingProblem(key, "email", str(bad)))
        return ()


def _auth(section: Any, problems: list[SettingProblem]) -> AuthSettings | None:
    """The ``[auth]`` section as Streamlit documents it: ``redirect_uri`` (ending in
    ``/oauth2callback``), ``cookie_secret`` and one provider, written directly in the section
    or as one sub-table such as ``[auth.google]``."""
    if section is None:
        return None
    if not isinstance(section, Mapping):
        problems.append(SettingProblem("[auth]", "auth_not_a_section"))
        return None
    redirect = section.get("redirect_uri")
    if not isinstance(redirect, str) or not redirect.strip():
        problems.append(SettingProblem("[auth] redirect_uri", "missing"))
    else:
        before = len(problems)
        _url("[auth] redirect_uri", redirect.replace("{port}", "8501"), problems)
        if len(problems) == before and not redirect.rstrip().endswith(AUTH_CALLBACK_PATH):
            problems.append(SettingProblem("[auth] redirect_uri", "callback", redirect[:120]))
    if not isinstance(section.get("cookie_secret"), str) or not section["cookie_secret"].strip():
        problems.append(SettingProblem("[auth] cookie_secret", "missing"))
    if "client_id" in section:
        _provider("[auth]", section, problems)
        return AuthSettings(provider=None)
    providers = [name for name, value in section.items() if isinstance(value, Mapping)]
    providers = [name for name in providers if name != "client_kwargs"]
    if len(providers) != 1:
        problems.append(SettingProblem("[auth]", "auth_provider", str(len(providers))))
        return None
    name = providers[0]
    if "_" in name:  # st.login refuses provider names with underscores
        problems.append(SettingProblem(f"[auth.{name}]", "auth_provider_name", name))
    _provider(f"[auth.{name}]", section[name], problems)
    return AuthSettings(provider=name)


def _provider(where: str, section: Mapping[str, Any], problems: list[SettingProblem]) -> None:
    for key in AUTH_PROVIDER_KEYS:
        value = section.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(SettingProblem(f"{where} {key}", "missing"))
    metadata_url = section.get("server_metadata_url")
    if isinstance(metadata_url, str) and metadata_url.strip():
        _url(f"{where} server_metadata_url", metadata_url, problems)


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
