"""The sign-in keys checked: the ``[auth]`` section as Streamlit documents it, the e-mail lists
(``CLERK-EMAILS``, ``OWNER-EMAILS``) and ``UNVERIFIED-EMAIL-ISSUERS``. Each check adds its
``SettingProblem`` to the list ``settings.load_settings`` raises once."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from laptop_pricing.access import BadStoreEntry, parse_email_list, parse_entries, store_set
from laptop_pricing.setting_values import (
    InvalidSettings,
    SettingProblem,
    check_url,
    env_name,
    read_setting,
)

AUTH_SECTION = "auth"
AUTH_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
AUTH_CALLBACK_PATH = "/oauth2callback"


@dataclass(frozen=True)
class AuthSettings:
    """Sign-in is configured (``[auth]`` in the secrets). Holds the provider to pass to
    ``st.login`` (None: the default provider written directly in ``[auth]``), never a secret."""

    provider: str | None = None


def check_issuers(value: str | None, problems: list[SettingProblem]) -> tuple[str, ...]:
    """Issuer URLs (the ``iss`` claim), without a trailing slash, as ``access`` compares them."""
    issuers = []
    for raw in re.split(r"[,;\s]+", value or ""):
        if not raw:
            continue
        before = len(problems)
        check_url("UNVERIFIED-EMAIL-ISSUERS", raw, problems)
        if len(problems) > before:
            break
        issuers.append(raw.rstrip("/"))
    return tuple(issuers)


def _raw_list(key: str, secrets: Mapping[str, Any] | None) -> str | None:
    raw = os.environ.get(env_name(key))
    if raw is None and secrets:
        raw = secrets.get(key)
    if isinstance(raw, list | tuple):  # secrets.toml may hold a TOML array
        raw = ",".join(str(item) for item in raw)
    return None if raw is None else str(raw)


def read_email_list(key: str, secrets: Mapping[str, Any] | None) -> tuple[str, ...]:
    """An e-mail list setting (``CLERK-EMAILS``, ``OWNER-EMAILS``); ``ValueError`` names the
    first bad entry."""
    return parse_email_list(_raw_list(key, secrets))


def check_clerk_stores(
    secrets: Mapping[str, Any] | None, problems: list[SettingProblem]
) -> dict[str, str]:
    """``CLERK-EMAILS``' entries that name a store (``ana@loja.com.br=centro``): entry -> store.
    A store part that is not a slug is reported under ``CLERK-EMAILS``; a bad address is
    already reported by ``check_emails``."""
    try:
        entries = parse_entries(_raw_list("CLERK-EMAILS", secrets))
    except BadStoreEntry as bad:
        problems.append(SettingProblem("CLERK-EMAILS", "store_entry", str(bad)))
        return {}
    except ValueError:
        return {}
    return {entry: store for entry, store in entries.items() if store is not None}


def check_owner_stores(
    secrets: Mapping[str, Any] | None, problems: list[SettingProblem]
) -> dict[str, frozenset[str]]:
    """``OWNER-EMAILS``' entries limited to some stores (``gerente@loja.com.br=centro+sul``):
    entry -> stores; an entry without ``=`` (a chain owner) is not in it. A store part that is
    not a slug is reported under ``OWNER-EMAILS``, never read as the whole chain."""
    try:
        entries = parse_entries(_raw_list("OWNER-EMAILS", secrets), several=True)
    except BadStoreEntry as bad:
        problems.append(SettingProblem("OWNER-EMAILS", "store_entry", str(bad)))
        return {}
    except ValueError:
        return {}
    return {entry: store_set(stores) for entry, stores in entries.items() if stores is not None}


def read_issuers(secrets: Mapping[str, Any] | None) -> tuple[str, ...]:
    """``UNVERIFIED-EMAIL-ISSUERS`` as ``access`` compares them; ``InvalidSettings`` if bad."""
    problems: list[SettingProblem] = []
    issuers = check_issuers(read_setting("UNVERIFIED-EMAIL-ISSUERS", secrets), problems)
    if problems:
        raise InvalidSettings(problems)
    return issuers


def check_emails(
    key: str, secrets: Mapping[str, Any] | None, problems: list[SettingProblem]
) -> tuple[str, ...]:
    try:
        entries = parse_entries(_raw_list(key, secrets), several=key == "OWNER-EMAILS")
    except BadStoreEntry:
        return ()  # reported by ``check_clerk_stores`` or ``check_owner_stores``
    except ValueError as bad:
        problems.append(SettingProblem(key, "email", str(bad)))
        return ()
    return tuple(entries)


def check_auth(section: Any, problems: list[SettingProblem]) -> AuthSettings | None:
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
        check_url("[auth] redirect_uri", redirect.replace("{port}", "8501"), problems)
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
        check_url(f"{where} server_metadata_url", metadata_url, problems)
