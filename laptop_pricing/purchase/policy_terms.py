"""The purchase part of the store policy (``[purchase]`` in ``policy/store_policy.toml``), read
and validated once, like the rest of the policy (``trade_in.policy``).

The locks a clerk checks one by one (each a yes/no question with what to do on a "não", some
only for a brand), the payout methods and the store-credit bonus, the flags (the same seller
more than N times in M days warns; the same serial stops), the photos asked for and the LGPD
notice read to the seller, whose retention is the policy's ``[privacy] retention_days``. A bad
value raises ``PolicyError`` naming its key (``purchase.locks[2].question: missing``).

A chain (``POLICY-PATH`` a folder) has one ``PurchaseTerms`` per policy file: ``StoreTerms``
gives each store its own, read from the very file that gives it its trade-in policy
(``trade_in.store_policies``), so a quote is bought under the terms of the store that issued it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from laptop_pricing.pricing.schema import FIELDS_BY_NAME
from laptop_pricing.trade_in.policy import PolicyError, StorePolicy, load_policy, policy_file
from laptop_pricing.trade_in.store_policies import NoStorePolicy, StorePolicies

PayoutMethod = Literal["pix", "cash", "store_credit"]
PAYOUT_METHODS: tuple[PayoutMethod, ...] = ("pix", "cash", "store_credit")
PAYOUT_LABELS: Mapping[str, str] = {
    "pix": "Pix",
    "cash": "Dinheiro",
    "store_credit": "Crédito na loja",
}
PURCHASE_KEYS: tuple[str, ...] = (
    "locks",
    "payout_methods",
    "store_credit_bonus_percent",
    "max_purchases_per_seller",
    "seller_window_days",
    "same_serial",
    "privacy_notice",
    "photos_min",
    "photos_max",
)
LOCK_KEYS: tuple[str, ...] = ("id", "question", "what_to_do", "brands")
RETENTION_PLACEHOLDER = "{retention_days}"
PHOTOS_LIMIT = 6  # the API and the page take at most this many
_LOCK_ID = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


@dataclass(frozen=True)
class LockQuestion:
    """One lock the clerk checks before buying: "sim" is needed; on "não", ``what_to_do``."""

    id: str
    question: str
    what_to_do: str
    brands: frozenset[str] = frozenset()  # empty: every brand

    def applies_to(self, brand: str | None) -> bool:
        return not self.brands or (brand is not None and brand in self.brands)

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "question": self.question, "what_to_do": self.what_to_do}


@dataclass(frozen=True)
class PurchaseTerms:
    """The validated ``[purchase]`` table, with the policy's retention and version."""

    locks: tuple[LockQuestion, ...]
    payout_methods: tuple[PayoutMethod, ...]
    store_credit_bonus_percent: int
    max_purchases_per_seller: int
    seller_window_days: int
    same_serial: Literal["stop"]
    privacy_notice_template: str
    photos_min: int
    photos_max: int
    retention_days: int
    policy_version: str

    @property
    def privacy_notice(self) -> str:
        """The notice read to the seller, with the retention in days."""
        return self.privacy_notice_template.replace(RETENTION_PLACEHOLDER, str(self.retention_days))

    def retention_for(self, store_id: str) -> int:
        """The retention of a purchase of any store (these terms serve them all)."""
        return self.retention_days

    def locks_for(self, brand: str | None) -> tuple[LockQuestion, ...]:
        return tuple(lock for lock in self.locks if lock.applies_to(brand))

    def payout_amount(self, method: str, agreed: int) -> int:
        """What the seller receives: store credit carries the bonus, rounded to whole reais
        (half up); Pix and cash are the agreed amount."""
        if method != "store_credit":
            return agreed
        return (agreed * (100 + self.store_credit_bonus_percent) + 50) // 100

    def bonus_percent(self, method: str) -> int:
        return self.store_credit_bonus_percent if method == "store_credit" else 0


def load_purchase_terms(
    path: str | Path | None = None, store_id: str | None = None
) -> PurchaseTerms:
    """The purchase terms of the policy file (default: the committed one; a folder: the
    store's file). The whole policy is validated too: its retention and version belong to the
    purchase."""
    policy = load_policy(path, store_id)
    path = policy_file(path, store_id)
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return parse_purchase_terms(
        raw.get("purchase"), policy.retention_days, policy.version, str(path)
    )


@dataclass(frozen=True)
class StoreTerms:
    """Each store's purchase terms, as ``StorePolicies`` gives each its policy: ``default``
    serves every store without a file of its own (None: a single file, for ``home`` only)."""

    home: str
    own: Mapping[str, PurchaseTerms]
    default: PurchaseTerms | None = None

    def for_store(self, store_id: str) -> PurchaseTerms:
        """The store's terms; ``NoStorePolicy`` when it has none (never another store's)."""
        terms = self.own.get(store_id) or self.default
        if terms is None:
            raise NoStorePolicy(store_id)
        return terms

    def retention_for(self, store_id: str) -> int:
        """How long a purchase of ``store_id`` keeps its seller's data. A store with no policy
        here (the folder changed since) gets the shortest retention of all: personal data is
        never kept longer than some policy here allows."""
        try:
            return self.for_store(store_id).retention_days
        except NoStorePolicy:
            every = [*self.own.values(), *filter(None, [self.default])]
            return min(terms.retention_days for terms in every)


def store_terms(policies: StorePolicies) -> StoreTerms:
    """The purchase terms of every policy in ``policies``, each from its own file."""
    default = None if policies.default is None else terms_of(policies.default)
    own = {store: terms_of(policy) for store, policy in policies.own.items()}
    return StoreTerms(policies.home, own, default)


def terms_of(policy: StorePolicy) -> PurchaseTerms:
    """The ``[purchase]`` table of the file ``policy`` was read from, with its retention and
    version."""
    try:
        raw = tomllib.loads(Path(policy.source).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:  # read and checked at start-up
        raise PolicyError("POLICY_PATH", f"cannot read {policy.source}: {error}") from None
    return parse_purchase_terms(
        raw.get("purchase"), policy.retention_days, policy.version, policy.source
    )


def parse_purchase_terms(
    table: Any, retention_days: int, policy_version: str, source: str = ""
) -> PurchaseTerms:
    def fail(key: str, reason: str) -> PolicyError:
        return PolicyError(key, reason, source)

    if table is None:
        raise fail("purchase", "missing: the purchase needs its locks, payout and flags")
    if not isinstance(table, dict):
        raise fail("purchase", "must be a table ([purchase])")
    for key in table:
        if key not in PURCHASE_KEYS:
            raise fail(f"purchase.{key}", f"unknown key (allowed: {', '.join(PURCHASE_KEYS)})")

    def whole(key: str, low: int, high: int) -> int:
        if key not in table:
            raise fail(f"purchase.{key}", "missing")
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise fail(f"purchase.{key}", f"must be a whole number from {low} to {high}")
        return value

    def text(value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise fail(key, "must be a non-empty text")
        return " ".join(value.split())

    methods = table.get("payout_methods")
    if (
        not isinstance(methods, list)
        or not methods
        or any(m not in PAYOUT_METHODS for m in methods)
        or len(set(methods)) != len(methods)
    ):
        raise fail("purchase.payout_methods", f"must list some of {', '.join(PAYOUT_METHODS)}")
    if table.get("same_serial") != "stop":
        raise fail("purchase.same_serial", 'must be "stop": a serial is bought once')
    notice = text(table.get("privacy_notice"), "purchase.privacy_notice")
    if RETENTION_PLACEHOLDER not in notice:
        raise fail("purchase.privacy_notice", f"must say how long: include {RETENTION_PLACEHOLDER}")
    photos_min = whole("photos_min", 1, PHOTOS_LIMIT)
    photos_max = whole("photos_max", photos_min, PHOTOS_LIMIT)
    return PurchaseTerms(
        locks=_locks(table.get("locks"), fail, text),
        payout_methods=tuple(methods),
        store_credit_bonus_percent=whole("store_credit_bonus_percent", 0, 100),
        max_purchases_per_seller=whole("max_purchases_per_seller", 1, 1000),
        seller_window_days=whole("seller_window_days", 1, 3650),
        same_serial="stop",
        privacy_notice_template=notice,
        photos_min=photos_min,
        photos_max=photos_max,
        retention_days=retention_days,
        policy_version=policy_version,
    )


def _locks(raw: Any, fail: Any, text: Any) -> tuple[LockQuestion, ...]:
    if not isinstance(raw, list) or not raw:
        raise fail("purchase.locks", "must list the locks ([[purchase.locks]])")
    brands_allowed = frozenset(str(v) for v in FIELDS_BY_NAME["brand"].values)
    locks: list[LockQuestion] = []
    for index, item in enumerate(raw):
        path = f"purchase.locks[{index}]"
        if not isinstance(item, dict):
            raise fail(path, "must be a table")
        for key in item:
            if key not in LOCK_KEYS:
                raise fail(f"{path}.{key}", f"unknown key (allowed: {', '.join(LOCK_KEYS)})")
        lock_id = item.get("id")
        if not isinstance(lock_id, str) or not _LOCK_ID.match(lock_id):
            raise fail(f"{path}.id", "must be 2-40 lower-case letters, digits or _")
        if any(lock.id == lock_id for lock in locks):
            raise fail(f"{path}.id", f"{lock_id} is listed twice")
        brands = item.get("brands", [])
        if not isinstance(brands, list) or any(b not in brands_allowed for b in brands):
            raise fail(f"{path}.brands", f"must list brands of {', '.join(sorted(brands_allowed))}")
        locks.append(
            LockQuestion(
                lock_id,
                text(item.get("question"), f"{path}.question"),
                text(item.get("what_to_do"), f"{path}.what_to_do"),
                frozenset(brands),
            )
        )
    return tuple(locks)
