"""One setting: its environment name, the reading order (environment, then secrets, then the
default), a bad value reported by key (``SettingProblem``, ``InvalidSettings``) and the URL check
several keys share. ``settings`` and ``sign_in_settings`` build on it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, overload
from urllib.parse import urlsplit


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


def check_url(key: str, value: str | None, problems: list[SettingProblem]) -> str | None:
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
