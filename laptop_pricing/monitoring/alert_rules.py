"""The alert rules: one typed object per rule, read from ``monitoring/alerts.toml`` once.

Like ``schema`` for the laptop fields, this module is the one place that knows the rules' keys;
the page, the ``alerts`` command and the tests read ``AlertRules``. Loading checks every key
(present, right type, in range, nothing unknown) and refuses the file with a message naming the
key (``acceptance.below_percent: must be a number from 0 to 100``), so a typo cannot silently
switch a rule off.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from laptop_pricing.settings import REPO_ROOT

DEFAULT_RULES_PATH = REPO_ROOT / "monitoring" / "alerts.toml"
MAX_WINDOW_DAYS = 366
MAX_RESAMPLES = 100_000


class AlertRulesError(ValueError):
    """The rules file is missing, not TOML, or a key is missing or wrong; names the key."""

    def __init__(self, path: Path | str, key: str, reason: str):
        self.path = str(path)
        self.key = key
        self.reason = reason
        super().__init__(f"{path}: {key}: {reason}" if key else f"{path}: {reason}")


@dataclass(frozen=True)
class AcceptanceRule:
    enabled: bool
    below_percent: float
    window_days: int
    min_quotes: int

    @property
    def below(self) -> float:
        return self.below_percent / 100


@dataclass(frozen=True)
class DriftBandRule:
    enabled: bool
    window_days: int
    confidence_percent: float
    resamples: int
    min_requests: int

    @property
    def confidence(self) -> float:
        return self.confidence_percent / 100


@dataclass(frozen=True)
class OutOfSchemaRule:
    enabled: bool
    above_percent: float
    window_days: int
    min_requests: int

    @property
    def above(self) -> float:
        return self.above_percent / 100


@dataclass(frozen=True)
class SilenceRule:
    """A store that priced nothing in its last ``hours`` business hours (Brasília time, every
    day, ``business_hours`` as ``"09-18"``: from 9:00 to 18:00)."""

    enabled: bool
    hours: int
    business_hours: str

    @property
    def opening(self) -> tuple[int, int]:
        start, end = self.business_hours.split("-")
        return int(start), int(end)

    @property
    def window_days(self) -> int:
        """Days read to know a store and its last request: the silence and one day before."""
        start, end = self.opening
        return -(-self.hours // (end - start)) + 2


@dataclass(frozen=True)
class AlertRules:
    acceptance: AcceptanceRule
    drift_band: DriftBandRule
    out_of_schema: OutOfSchemaRule
    silence: SilenceRule
    source: str = ""

    @property
    def longest_window_days(self) -> int:
        rules = (self.acceptance, self.drift_band, self.out_of_schema, self.silence)
        return max((r.window_days for r in rules if r.enabled), default=1)


_SECTIONS: Mapping[str, type] = {
    "acceptance": AcceptanceRule,
    "drift_band": DriftBandRule,
    "out_of_schema": OutOfSchemaRule,
    "silence": SilenceRule,
}
# (low, high) of every numeric key; high inclusive.
_RANGES: Mapping[str, tuple[float, float]] = {
    "below_percent": (0, 100),
    "above_percent": (0, 100),
    "confidence_percent": (50, 99.9),
    "window_days": (1, MAX_WINDOW_DAYS),
    "min_quotes": (1, 1_000_000),
    "min_requests": (1, 1_000_000),
    "resamples": (100, MAX_RESAMPLES),
    "hours": (1, 24 * 31),
}
_WHOLE = {"window_days", "min_quotes", "min_requests", "resamples", "hours"}
_OPENING = re.compile(r"(\d{2})-(\d{2})")


def _value(path: Path | str, key: str, name: str, raw: Any) -> Any:
    if name == "business_hours":
        match = _OPENING.fullmatch(raw) if isinstance(raw, str) else None
        if match is None or not 0 <= int(match[1]) < int(match[2]) <= 24:
            raise AlertRulesError(path, key, 'must be opening-closing hours like "09-18"')
        return raw
    if name == "enabled":
        if not isinstance(raw, bool):
            raise AlertRulesError(path, key, "must be true or false")
        return raw
    low, high = _RANGES[name]
    if name in _WHOLE:
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            raise AlertRulesError(path, key, f"must be a whole number from {low} to {high}")
        return raw
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not low <= raw <= high:
        raise AlertRulesError(path, key, f"must be a number from {low:g} to {high:g}")
    return float(raw)


def parse_rules(document: Mapping[str, Any], path: Path | str = "<rules>") -> AlertRules:
    """Check a parsed TOML document and build the rules; raises ``AlertRulesError``."""
    for section in document:
        if section not in _SECTIONS:
            known = ", ".join(_SECTIONS)
            raise AlertRulesError(path, str(section), f"unknown section (known: {known})")
    built: dict[str, Any] = {}
    for section, kind in _SECTIONS.items():
        table = document.get(section)
        if not isinstance(table, Mapping):
            raise AlertRulesError(path, section, "missing section")
        names = [f.name for f in fields(kind)]
        for name in table:
            if name not in names:
                raise AlertRulesError(
                    path, f"{section}.{name}", f"unknown key (known: {', '.join(names)})"
                )
        values = {}
        for name in names:
            key = f"{section}.{name}"
            if name not in table:
                raise AlertRulesError(path, key, "missing")
            values[name] = _value(path, key, name, table[name])
        built[section] = kind(**values)
    return AlertRules(**built, source=str(path))


def load_rules(path: Path | str | None = None) -> AlertRules:
    """The rules in ``path`` (default: ``monitoring/alerts.toml`` in the repo)."""
    path = Path(path) if path is not None else DEFAULT_RULES_PATH
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise AlertRulesError(path, "", "file not found") from error
    except OSError as error:
        raise AlertRulesError(path, "", error.strerror or type(error).__name__) from error
    except tomllib.TOMLDecodeError as error:
        raise AlertRulesError(path, "", f"not valid TOML ({error})") from error
    return parse_rules(document, path)
