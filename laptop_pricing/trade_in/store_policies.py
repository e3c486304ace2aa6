"""Each store's policy: which file prices for which store, decided once at start-up.

``POLICY-PATH`` a single file (today's form): it is the policy of the deployment's
``STORE-ID``, and of no other store. A clerk list naming another store, or a request for
another store's offer, is refused naming that store: a chain whose stores share one policy
says so with a folder holding only ``default.toml``.

``POLICY-PATH`` a folder: every ``<store_id>.toml`` in it is read and validated at start-up
(a bad one refuses the start, naming its file), ``default.toml`` is required and prices every
other store; a store the settings name (``STORE-ID``, a ``CLERK-EMAILS`` or ``OWNER-EMAILS``
entry) that has no file of its own is said once, in the log, at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from laptop_pricing.setting_values import SettingProblem
from laptop_pricing.settings import Settings
from laptop_pricing.store_id import is_store_id
from laptop_pricing.trade_in.policy import (
    DEFAULT_POLICY_FILE,
    PolicyError,
    StorePolicy,
    default_file,
    load_policy_file,
    policy_path,
)

logger = logging.getLogger(__name__)


class NoStorePolicy(LookupError):
    """A store with no policy here (a single-file ``POLICY-PATH`` serves only its STORE-ID)."""

    def __init__(self, store_id: str):
        super().__init__(f"no trade-in policy for store {store_id!r}")
        self.store_id = store_id


@dataclass(frozen=True)
class StorePolicies:
    """The policies by store; ``default`` prices every store without its own (None: a single
    file, which prices ``home`` only)."""

    home: str
    own: Mapping[str, StorePolicy]
    default: StorePolicy | None = None

    @property
    def home_policy(self) -> StorePolicy:
        return self.for_store(self.home)

    def has_policy(self, store_id: str) -> bool:
        return store_id in self.own or self.default is not None

    def for_store(self, store_id: str) -> StorePolicy:
        """The store's policy; ``NoStorePolicy`` when it has none (never another store's)."""
        policy = self.own.get(store_id) or self.default
        if policy is None:
            raise NoStorePolicy(store_id)
        return policy

    @classmethod
    def single(cls, policy: StorePolicy, home: str) -> StorePolicies:
        return cls(home, {home: policy})


def read_store_policies(path: Path, home: str) -> StorePolicies:
    """The policies at ``path`` (a file, or a folder with ``default.toml``)."""
    if not path.is_dir():
        return StorePolicies.single(load_policy_file(path), home)
    default = load_policy_file(default_file(path), label=default_file(path).stem)
    own: dict[str, StorePolicy] = {}
    for file in sorted(path.glob("*.toml")):
        if file.name == DEFAULT_POLICY_FILE:
            continue
        if not is_store_id(file.stem):
            raise PolicyError(
                "POLICY_PATH",
                f"{file.name} is not named after a store id (lower-case letters, digits and "
                "hyphens, e.g. centro.toml)",
                str(file),
            )
        own[file.stem] = load_policy_file(file, label=file.stem)
    return StorePolicies(home, own, default)


def store_policies_from_settings(settings: Settings) -> StorePolicies:
    """The settings' policies, checked against every store the settings name. Raises
    ``PolicyError`` naming the key (``CLERK-EMAILS`` and the store, ``POLICY_PATH`` and the
    file or folder; ``OWNER-EMAILS`` likewise for an owner's store)."""
    path = policy_path(settings)
    policies = read_store_policies(path, settings.store_id)
    named = {settings.store_id: "STORE_ID"}
    for store in settings.clerk_stores.values():
        named.setdefault(store, "CLERK_EMAILS")
    for stores in settings.owner_stores.values():
        for store in sorted(stores):
            named.setdefault(store, "OWNER_EMAILS")
    for store, key in named.items():
        if not policies.has_policy(store):
            raise PolicyError(
                key,
                f"store {store!r} has no trade-in policy: POLICY_PATH {path} is one file, for "
                f"store {settings.store_id!r}; make it a folder with {store}.toml or "
                f"{DEFAULT_POLICY_FILE}",
                str(path),
            )
        if store not in policies.own:
            logger.info(
                "store %r has no policy file of its own in %s: it uses %s",
                store,
                path,
                DEFAULT_POLICY_FILE,
            )
    return policies


def check_listed_stores(settings: Settings) -> list[SettingProblem]:
    """The stores the e-mail lists name that no policy here prices, as setting problems (code
    ``store_policy``, the key of the list): the app shows them like any bad setting and does not
    open. Reads no policy file, only which exist: a folder with ``default.toml`` prices every
    store, a single file only ``STORE-ID`` (a folder without its default is the policy check's
    to report, naming ``POLICY-PATH``)."""
    path = policy_path(settings)
    if path.is_dir():
        return []
    listed = [("CLERK-EMAILS", store) for store in settings.clerk_stores.values()]
    listed += [
        ("OWNER-EMAILS", store)
        for stores in settings.owner_stores.values()
        for store in sorted(stores)
    ]
    problems: list[SettingProblem] = []
    for key, store in listed:
        problem = SettingProblem(key, "store_policy", store)
        if store != settings.store_id and problem not in problems:
            problems.append(problem)
    return problems
