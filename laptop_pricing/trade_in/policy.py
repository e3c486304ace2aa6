"""The store's trade-in policy: a human-edited TOML file, read and validated once.

``load_policy(path) -> StorePolicy`` refuses a missing key, a wrong type, a percentage outside
0–100, an unknown question or answer, a worse answer that would cost less than a better one, or
a parts value above the minimum offer, with a ``PolicyError`` whose message names the key
(``deductions.screen.broken: must be a number from 0 to 100``). Nothing prices with a half-read
policy: the API, the local server and the app refuse to start on one.

``StorePolicy.version`` is the policy's ``name`` plus a short hash of the file's bytes, so two
files that differ in anything never share a version; it goes with every quote.

A chain: ``POLICY-PATH`` may name a folder holding one file per store (``<store_id>.toml``) and
``default.toml``; a store's policy is its own file, else the default, and its version names the
file (``centro@1a2b3c4d``, ``default@…``). A folder without ``default.toml`` is refused.
Which stores use which file is ``trade_in.store_policies``.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from laptop_pricing.settings import REPO_ROOT, Settings
from laptop_pricing.trade_in.condition import ANSWER_REFS, QUESTIONS, QUESTIONS_BY_KEY, answer_ref
from laptop_pricing.trade_in.outcome import LatePolicy

DEFAULT_POLICY_PATH = REPO_ROOT / "policy" / "store_policy.toml"
DEFAULT_POLICY_FILE = "default.toml"  # in a policy folder: the policy of every store without one
OFFER_KEYS: tuple[str, ...] = (
    "resale_share_pct",
    "margin_pct",
    "processing_cost",
    "minimum_offer",
    "rounding_step",
    "validity_days",
)
NO_OFFER_KEYS: tuple[str, ...] = ("answers", "never_buy", "parts_value")
TOP_KEYS: tuple[str, ...] = (
    "name",
    "offer",
    "deductions",
    "no_offer",
    "outcomes",
    "privacy",
    "purchase",  # read by laptop_pricing.purchase.policy_terms
    "resale",  # optional, read by laptop_pricing.resale.resale_terms
)
OUTCOME_KEYS: tuple[str, ...] = ("after_validity",)  # the optional [outcomes] table
PRIVACY_KEYS: tuple[str, ...] = ("purpose", "retention_days")  # the optional [privacy] table
# How long the request log, its rollups and the outcomes are kept (LGPD: the clerk's e-mail and
# free-text notes are personal data). infra/template.yaml's RetentionDays defaults to the same.
DEFAULT_RETENTION_DAYS = 730
MIN_RETENTION_DAYS = 90  # the monitoring page compares up to a quarter
MAX_RETENTION_DAYS = 1825
DEFAULT_PURPOSE = (
    "Registrar cotações e decisões para auditoria da loja e para medir e retreinar o modelo."
)
MAX_VALIDITY_DAYS = 90


class PolicyError(ValueError):
    """The policy file cannot be used. ``key`` names the setting at fault (dotted path)."""

    def __init__(self, key: str, reason: str, source: str = ""):
        self.key = key
        self.reason = reason
        self.source = source
        where = f"store policy {source}: " if source else "store policy: "
        super().__init__(f"{where}{key}: {reason}")


@dataclass(frozen=True)
class StorePolicy:
    """A validated policy. Percentages are 0–100; money in whole reais."""

    name: str
    content_hash: str
    resale_share_pct: float
    margin_pct: float
    processing_cost: int
    minimum_offer: int
    rounding_step: int
    validity_days: int
    # question key -> answer key -> % of the resale value deducted
    deductions: Mapping[str, Mapping[str, float]]
    no_offer_answers: frozenset[str]  # answer refs, e.g. "powers_on.no"
    never_buy: frozenset[str]
    parts_value: int
    source: str = ""
    # An outcome recorded after the quote's validity: refused (409) unless the policy accepts it.
    late_outcomes: LatePolicy = LatePolicy.REFUSE
    # Why personal data in the records is kept, and for how many days (then deleted).
    privacy_purpose: str = DEFAULT_PURPOSE
    retention_days: int = DEFAULT_RETENTION_DAYS
    # The file's name in a policy folder (``centro``, ``default``); empty for a single file.
    label: str = ""

    @property
    def version(self) -> str:
        if self.label:
            return f"{self.label}@{self.content_hash}"
        return f"{self.name}+{self.content_hash}"

    def deduction_pct(self, question: str, answer_key: str) -> float:
        return self.deductions.get(question, {}).get(answer_key, 0.0)


def load_policy(path: str | Path | None = None, store_id: str | None = None) -> StorePolicy:
    """Read and validate a policy file (default: the one committed in ``policy/``). A folder:
    ``store_id``'s own file, else its ``default.toml``."""
    path = Path(path or DEFAULT_POLICY_PATH)
    chosen = policy_file(path, store_id)
    return load_policy_file(chosen, label=chosen.stem if chosen != path else "")


def policy_file(path: str | Path | None, store_id: str | None = None) -> Path:
    """The file that holds ``store_id``'s policy: ``path`` itself, or in a folder the store's
    own ``<store_id>.toml``, else the folder's ``default.toml``."""
    path = Path(path or DEFAULT_POLICY_PATH)
    if not path.is_dir():
        return path
    default = default_file(path)  # a folder without it is broken, whichever store asks
    own = path / f"{store_id}.toml" if store_id else None
    return own if own is not None and own.is_file() else default


def default_file(folder: Path) -> Path:
    """A policy folder's ``default.toml``; ``PolicyError`` naming the key and folder without."""
    default = folder / DEFAULT_POLICY_FILE
    if not default.is_file():
        raise PolicyError(
            "POLICY_PATH",
            f"the folder {folder} has no {DEFAULT_POLICY_FILE} (the policy of every store "
            "without its own <store_id>.toml)",
            str(folder),
        )
    return default


def load_policy_file(path: Path, label: str = "") -> StorePolicy:
    """One policy file; ``label`` (its name in a folder) then names it in its version."""
    try:
        data = path.read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise PolicyError("POLICY_PATH", f"cannot read {path}: {reason}", str(path)) from None
    policy = parse_policy(data, source=str(path))
    return replace(policy, label=label) if label else policy


def policy_path(settings: Settings) -> Path:
    return settings.policy_path or DEFAULT_POLICY_PATH


def parse_policy(data: bytes, source: str = "") -> StorePolicy:
    """Validate a policy's TOML bytes; the first fault found is raised, naming its key."""
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise PolicyError("(file)", "not UTF-8 text", source) from None
    except tomllib.TOMLDecodeError as error:
        raise PolicyError("(file)", f"not valid TOML: {error}", source) from None
    return _Validator(raw, source).policy(hashlib.sha256(data).hexdigest()[:8])


class _Validator:
    def __init__(self, raw: dict[str, Any], source: str):
        self.raw = raw
        self.source = source

    def fail(self, key: str, reason: str) -> PolicyError:
        return PolicyError(key, reason, self.source)

    def table(self, parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        if key not in parent:
            raise self.fail(path, "missing")
        value = parent[key]
        if not isinstance(value, dict):
            raise self.fail(path, "must be a table ([section])")
        return value

    def no_unknown(self, table: Mapping[str, Any], allowed: tuple[str, ...], path: str) -> None:
        for key in table:
            if key not in allowed:
                where = f"{path}.{key}" if path else key
                raise self.fail(where, f"unknown key (allowed: {', '.join(allowed)})")

    def number(self, table: Mapping[str, Any], key: str, path: str) -> float:
        if key not in table:
            raise self.fail(path, "missing")
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"must be a number, not {type(value).__name__}")
        return float(value)

    def percent(self, table: Mapping[str, Any], key: str, path: str) -> float:
        value = self.number(table, key, path)
        if not 0 <= value <= 100:
            raise self.fail(path, f"must be a percentage from 0 to 100, not {value:g}")
        return value

    def whole(self, table: Mapping[str, Any], key: str, path: str, minimum: int = 0) -> int:
        if key not in table:
            raise self.fail(path, "missing")
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"must be a whole number, not {type(value).__name__}")
        if value < minimum:
            raise self.fail(path, f"must be at least {minimum}, not {value}")
        return value

    def answer_list(self, table: Mapping[str, Any], key: str, path: str) -> frozenset[str]:
        if key not in table:
            raise self.fail(path, "missing")
        value = table[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(path, 'must be a list of answers like ["powers_on.no"]')
        for ref in value:
            if ref not in ANSWER_REFS:
                raise self.fail(path, f"unknown answer {ref!r} (allowed: {', '.join(ANSWER_REFS)})")
        return frozenset(value)

    def policy(self, content_hash: str) -> StorePolicy:
        raw = self.raw
        self.no_unknown(raw, TOP_KEYS, "")
        if "name" not in raw:
            raise self.fail("name", "missing")
        name = raw["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 64:
            raise self.fail("name", "must be a non-empty text of at most 64 characters")

        offer = self.table(raw, "offer", "offer")
        self.no_unknown(offer, OFFER_KEYS, "offer")
        resale = self.percent(offer, "resale_share_pct", "offer.resale_share_pct")
        margin = self.percent(offer, "margin_pct", "offer.margin_pct")
        processing = self.whole(offer, "processing_cost", "offer.processing_cost")
        minimum = self.whole(offer, "minimum_offer", "offer.minimum_offer")
        step = self.whole(offer, "rounding_step", "offer.rounding_step", minimum=1)
        validity = self.whole(offer, "validity_days", "offer.validity_days")
        if validity > MAX_VALIDITY_DAYS:
            raise self.fail("offer.validity_days", f"must be at most {MAX_VALIDITY_DAYS}")

        no_offer = self.table(raw, "no_offer", "no_offer")
        self.no_unknown(no_offer, NO_OFFER_KEYS, "no_offer")
        refused = self.answer_list(no_offer, "answers", "no_offer.answers")
        never_buy = self.answer_list(no_offer, "never_buy", "no_offer.never_buy")
        if not never_buy <= refused:
            extra = ", ".join(sorted(never_buy - refused))
            raise self.fail("no_offer.never_buy", f"{extra} must also be in no_offer.answers")
        parts = self.whole(no_offer, "parts_value", "no_offer.parts_value")
        if parts > minimum:
            raise self.fail(
                "no_offer.parts_value", f"must not exceed offer.minimum_offer ({minimum})"
            )
        for answers, key in ((refused, "no_offer.answers"), (never_buy, "no_offer.never_buy")):
            self._worse_answers_follow(answers, key)

        deductions = self._deductions(refused)
        late = LatePolicy.REFUSE
        if "outcomes" in raw:
            outcomes = self.table(raw, "outcomes", "outcomes")
            self.no_unknown(outcomes, OUTCOME_KEYS, "outcomes")
            choice = outcomes.get("after_validity", LatePolicy.REFUSE.value)
            if choice not in {p.value for p in LatePolicy}:
                raise self.fail("outcomes.after_validity", 'must be "refuse" or "accept"')
            late = LatePolicy(choice)
        purpose, retention = DEFAULT_PURPOSE, DEFAULT_RETENTION_DAYS
        if "privacy" in raw:
            privacy = self.table(raw, "privacy", "privacy")
            self.no_unknown(privacy, PRIVACY_KEYS, "privacy")
            purpose = privacy.get("purpose", DEFAULT_PURPOSE)
            if not isinstance(purpose, str) or not purpose.strip():
                raise self.fail("privacy.purpose", "must say, in words, why the data is kept")
            retention = self.whole(
                privacy, "retention_days", "privacy.retention_days", MIN_RETENTION_DAYS
            )
            if retention > MAX_RETENTION_DAYS:
                raise self.fail("privacy.retention_days", f"at most {MAX_RETENTION_DAYS} days")
        return StorePolicy(
            name=name.strip(),
            content_hash=content_hash,
            resale_share_pct=resale,
            margin_pct=margin,
            processing_cost=processing,
            minimum_offer=minimum,
            rounding_step=step,
            validity_days=validity,
            deductions=deductions,
            no_offer_answers=refused,
            never_buy=never_buy,
            parts_value=parts,
            source=self.source,
            late_outcomes=late,
            privacy_purpose=purpose.strip(),
            retention_days=retention,
        )

    def _worse_answers_follow(self, answers: frozenset[str], key: str) -> None:
        """If an answer refuses an offer, every worse answer to that question must too."""
        for question in QUESTIONS:
            refs = [answer_ref(question, a) for a in question.answers]
            if refs[0] in answers:
                raise self.fail(key, f"{refs[0]} is the best answer to {question.key}")
            listed = [ref in answers for ref in refs]
            if True in listed:
                first = listed.index(True)
                for ref, on in zip(refs[first:], listed[first:], strict=True):
                    if not on:
                        raise self.fail(
                            key, f"{refs[first]} is listed but the worse answer {ref} is not"
                        )

    def _deductions(self, refused: frozenset[str]) -> dict[str, dict[str, float]]:
        table = self.table(self.raw, "deductions", "deductions")
        self.no_unknown(table, tuple(QUESTIONS_BY_KEY), "deductions")
        result: dict[str, dict[str, float]] = {}
        for question in QUESTIONS:
            path = f"deductions.{question.key}"
            decided = all(answer_ref(question, a) in refused for a in question.answers[1:])
            if question.key not in table:
                if decided:  # every answer but the best refuses an offer: nothing to deduct
                    continue
                raise self.fail(path, "missing")
            answers = self.table(table, question.key, path)
            keys = tuple(a.key for a in question.answers)
            self.no_unknown(answers, keys, path)
            percents: dict[str, float] = {}
            previous: tuple[str, float] | None = None
            for answer in question.answers:
                value = self.percent(answers, answer.key, f"{path}.{answer.key}")
                if previous is not None and value < previous[1]:
                    raise self.fail(
                        f"{path}.{answer.key}",
                        f"a worse answer cannot deduct less than {previous[0]} ({previous[1]:g})",
                    )
                percents[answer.key] = value
                previous = (answer.key, value)
            result[question.key] = percents
        return result
