"""Who may open which page: the two roles, the e-mail lists that grant them, and the door.

The rules live here, away from Streamlit, so they are tested as plain functions and read the same
wherever a decision is taken. The page setup (``components.page_setup``) asks ``decide`` for each
page and only arranges what the answer says.

* ``Door``: how the app is entered. With sign-in configured (the ``[auth]`` secrets section and
  ``st.login``), every page needs a signed-in e-mail on a list. Without it, the embedded default on
  one's own machine (no API endpoint, no bucket) stays open; a production setting (endpoint or
  bucket) without sign-in opens only the estimate page and refuses the store's data.
* ``Role``: clerks price, record and buy; owners also see monitoring, the model card and the
  policy.
* E-mail lists (``CLERK-EMAILS``, ``OWNER-EMAILS``): addresses or ``@domain`` entries, separated
  by commas, semicolons or white space, compared case-insensitively (ASCII only: an address that
  needs Unicode case folding to match is refused, never folded into someone else's).
* A chain: a ``CLERK-EMAILS`` entry may name the clerk's store after ``=``
  (``ana@loja.com.br=centro, @loja-sul.com.br=sul``); an entry without ``=`` keeps its old
  meaning and prices as the deployment's ``STORE-ID``. An address entry's store wins over its
  domain's. Whether every store named has a policy is checked at start-up
  (``trade_in.store_policies.store_policies_from_settings``).
* Owners of some stores: an ``OWNER-EMAILS`` entry may name the stores it reads after ``=``,
  joined by ``+`` (``gerente@loja.com.br=centro, @loja-sul.com.br=sul+sul-2``); an entry
  without ``=`` is a chain owner, who reads every store. ``Visitor.stores`` holds the stores a
  visitor may read (None: all, as also without sign-in), and ``readable_stores`` is the only way
  a page turns a selection into the stores it reads: another store's id never passes.
* Claims are trusted only as proven: ``email_verified`` must be ``True`` (a provider that never
  sends it is named in ``UNVERIFIED-EMAIL-ISSUERS`` by its ``iss``), and an ``@domain`` entry
  grants a Google account only when its ``hd`` (Workspace domain) claim is that domain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum, IntEnum

from laptop_pricing.store_id import is_store_id

_LOCAL = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
EMAIL_PATTERN = re.compile(rf"{_LOCAL}@{_DOMAIN}")
DOMAIN_ENTRY_PATTERN = re.compile(rf"@{_DOMAIN}")
MAX_EMAIL_LENGTH = 254  # RFC 5321 path limit
# Google's issuer, with and without scheme (its discovery document says the former).
GOOGLE_ISSUERS = frozenset({"https://accounts.google.com", "accounts.google.com"})


class Role(IntEnum):
    """Ordered: a higher role sees everything a lower one does."""

    NONE = 0
    CLERK = 1
    OWNER = 2


class Door(Enum):
    OPEN_LOCAL = "open_local"  # embedded default, no sign-in configured: open, said discreetly
    OPEN_PRODUCTION = "open_production"  # endpoint or bucket, no sign-in: estimate only, warned
    SIGN_IN = "sign_in"  # [auth] configured: a signed-in e-mail on a list


class Verdict(Enum):
    ALLOWED = "allowed"
    SIGN_IN_REQUIRED = "sign_in_required"  # not signed in yet
    NOT_ON_A_LIST = "not_on_a_list"  # signed in, e-mail on no list (or not verified)
    OWNERS_ONLY = "owners_only"  # a clerk opened an owner's page
    NEEDS_SIGN_IN_SETUP = "needs_sign_in_setup"  # production without [auth]: store data refused


# Every page of the app by its URL path, and the least role that may open it. The router builds
# its navigation from this table (a test ties the two together).
PAGE_ROLES: Mapping[str, Role] = {
    "estimate": Role.CLERK,
    "purchase": Role.CLERK,
    "stock": Role.CLERK,
    "monitoring": Role.OWNER,
    "model_card": Role.OWNER,
    "policy": Role.OWNER,
}
# Pages that act with the store's records and customers' personal data: refused in production
# without sign-in even to the clerk role the open door grants (anyone with the address).
STORE_RECORD_PAGES = frozenset({"purchase", "stock"})


class BadStoreEntry(ValueError):
    """An entry's ``=store`` part is not a store id (``store_id.is_store_id``)."""


STORE_JOINER = "+"  # between the stores of one OWNER-EMAILS entry: ``=centro+sul``


def parse_entries(text: str | None, *, several: bool = False) -> dict[str, str | None]:
    """Entries of an e-mail list, lower-cased, each with the store after its ``=`` (None:
    none named; ``several``: stores joined by ``+``, read with ``store_set``). Raises
    ``ValueError`` naming the first bad entry (``BadStoreEntry`` when its address is fine and
    its store is not); an entry named twice keeps its first store."""
    entries: dict[str, str | None] = {}
    for raw in re.split(r"[,;\s]+", text or ""):
        if not raw:
            continue
        address, equals, store = raw.partition("=")
        entry = address.lower()
        if len(entry) > MAX_EMAIL_LENGTH or not (
            EMAIL_PATTERN.fullmatch(entry) or DOMAIN_ENTRY_PATTERN.fullmatch(entry)
        ):
            raise ValueError(raw[:80])
        parts = store.split(STORE_JOINER) if several else [store]
        if equals and not all(is_store_id(part) for part in parts):
            raise BadStoreEntry(raw[:80])
        entries.setdefault(entry, store if equals else None)
    return entries


def store_set(stores: str) -> frozenset[str]:
    """The stores of an ``OWNER-EMAILS`` entry's ``=centro+sul`` part (already validated)."""
    return frozenset(stores.split(STORE_JOINER))


def parse_email_list(text: str | None) -> tuple[str, ...]:
    """Entries of an e-mail list, lower-cased, stores left out; raises ``ValueError`` naming
    the first bad one."""
    return tuple(parse_entries(text))


def store_for(email: str | None, stores: Mapping[str, str]) -> str | None:
    """The store a list names for this address (``entry -> store``): its own entry's, else its
    domain's; None when neither names one (the deployment's ``STORE-ID`` applies)."""
    if not email or not email.isascii() or "@" not in email:
        return None
    email = email.strip().lower()
    return stores.get(email) or stores.get(email[email.rindex("@") :])


def matches(email: str, entries: Iterable[str], *, domains: bool = True) -> bool:
    """True when ``email`` is one of the addresses or (``domains``) ends with one of the
    ``@domain`` entries. A non-ASCII address never matches: ``str.lower`` folds the KELVIN SIGN
    into ``k``, so comparing folded text would hand one person's role to another."""
    email = email.strip()
    if not email.isascii():
        return False
    email = email.lower()
    if not EMAIL_PATTERN.fullmatch(email):
        return False
    domain = email[email.rindex("@") :]
    return any(
        entry == email or (domains and entry.startswith("@") and entry == domain)
        for entry in entries
    )


def role_for(
    email: str | None, clerks: Iterable[str], owners: Iterable[str], *, domains: bool = True
) -> Role:
    """The owner list wins over the clerk list; an e-mail on neither has no role.
    ``domains`` False: only whole addresses count (the domain is not proven the store's)."""
    if not email:
        return Role.NONE
    if matches(email, owners, domains=domains):
        return Role.OWNER
    if matches(email, clerks, domains=domains):
        return Role.CLERK
    return Role.NONE


def email_proven(user: Mapping[str, object], unverified_issuers: Iterable[str] = ()) -> bool:
    """The provider vouches the address is the visitor's: ``email_verified`` is the boolean
    ``True``; absent is accepted only from an issuer the configuration names as never sending
    it. ``"false"``, ``"true"``, 1 or a missing claim from any other issuer refuse."""
    verified = user.get("email_verified")
    if verified is True:
        return True
    return verified is None and _issuer(user) in set(unverified_issuers)


def domain_proven(user: Mapping[str, object], email: str) -> bool:
    """May an ``@domain`` entry grant this account? For Google only when ``hd`` (the Workspace
    the account belongs to) is the address's domain: a personal Google account can be
    registered with any address, the store's included."""
    if _issuer(user) not in GOOGLE_ISSUERS:
        return True
    hosted = user.get("hd")
    return isinstance(hosted, str) and "@" + hosted.strip().lower() == email[email.rindex("@") :]


def _issuer(user: Mapping[str, object]) -> str | None:
    issuer = user.get("iss")
    return issuer.strip().rstrip("/") if isinstance(issuer, str) else None


def door_for(*, sign_in_configured: bool, production: bool) -> Door:
    if sign_in_configured:
        return Door.SIGN_IN
    return Door.OPEN_PRODUCTION if production else Door.OPEN_LOCAL


@dataclass(frozen=True)
class Visitor:
    """The person in front of the page, as far as the door is concerned (no name, no token)."""

    door: Door
    signed_in: bool = False
    email: str | None = None
    role: Role = Role.NONE
    store_id: str | None = None  # the clerk entry's store; None: the deployment's STORE-ID
    # The stores an owner may read (their OWNER-EMAILS entry's); None: every store of the chain.
    stores: frozenset[str] | None = None

    @classmethod
    def arriving(
        cls,
        door: Door,
        user: Mapping[str, object],
        clerks: Iterable[str] = (),
        owners: Iterable[str] = (),
        unverified_issuers: Iterable[str] = (),
        clerk_stores: Mapping[str, str] | None = None,
        owner_stores: Mapping[str, frozenset[str]] | None = None,
    ) -> Visitor:
        """From ``st.user``'s claims. Only the sign-in door reads them; the open doors grant a
        role by configuration: every page locally, the estimate only in production."""
        if door is Door.OPEN_LOCAL:
            return cls(door, role=Role.OWNER)
        if door is Door.OPEN_PRODUCTION:
            return cls(door, role=Role.CLERK)
        if not user.get("is_logged_in"):
            return cls(door)
        email = user.get("email")
        email = email.strip() if isinstance(email, str) and email.strip() else None
        if email is not None and email.isascii():  # folded only once known to be plain ASCII
            email = email.lower()
        if email is None or not email.isascii() or not email_proven(user, unverified_issuers):
            return cls(door, signed_in=True, email=email)
        domains = domain_proven(user, email)
        role = role_for(email, clerks, owners, domains=domains)
        store = None
        if role is Role.CLERK and clerk_stores:
            store = store_for(email, clerk_stores if domains else _addresses(clerk_stores))
        stores = None
        if role is Role.OWNER and owner_stores:
            stores = owner_stores_for(email, owners, owner_stores, domains=domains)
        return cls(door, signed_in=True, email=email, role=role, store_id=store, stores=stores)

    @property
    def sees_store_records(self) -> bool:
        """May look quotes up and record outcomes: not in production without sign-in, where
        anyone with the address would act with the store's key."""
        return self.door is not Door.OPEN_PRODUCTION and self.role >= Role.CLERK

    @property
    def clerk_email(self) -> str | None:
        """The e-mail that goes into the request log: only a signed-in one with a role."""
        return self.email if self.signed_in and self.role >= Role.CLERK else None


def owner_stores_for(
    email: str,
    owners: Iterable[str],
    owner_stores: Mapping[str, frozenset[str]],
    *,
    domains: bool = True,
) -> frozenset[str] | None:
    """The stores an owner reads: their own address entry's (without ``=``: None, the whole
    chain), else their domain's entry's (only where the domain is proven theirs)."""
    if email in set(owners):
        return owner_stores.get(email)
    domain = email[email.rindex("@") :]
    return owner_stores.get(domain) if domains else None


def readable_stores(
    visitor: Visitor, requested: Iterable[str] | None = None
) -> tuple[str, ...] | None:
    """The stores a page reads for this visitor, sorted; None: the whole chain. ``requested``
    (None: all the visitor may read) is cut to the visitor's stores, so an owner limited to
    some stores never receives another's id, whatever a widget or a URL sends; an empty or
    wholly foreign request reads all of theirs, never nothing and never someone else's."""
    wanted = None if requested is None else {s for s in requested if is_store_id(s)}
    if visitor.stores is None:
        return None if not wanted else tuple(sorted(wanted))
    chosen = visitor.stores if not wanted else (wanted & visitor.stores) or visitor.stores
    return tuple(sorted(chosen))


def _addresses(stores: Mapping[str, str]) -> dict[str, str]:
    """Only whole-address entries (a domain not proven the store's grants no store either)."""
    return {entry: store for entry, store in stores.items() if not entry.startswith("@")}


def decide(visitor: Visitor, page: str) -> Verdict:
    """May this visitor open this page (by URL path)? Unknown pages are owners' pages."""
    needed = PAGE_ROLES.get(page, Role.OWNER)
    if visitor.door is Door.SIGN_IN:
        if not visitor.signed_in:
            return Verdict.SIGN_IN_REQUIRED
        if visitor.role is Role.NONE:
            return Verdict.NOT_ON_A_LIST
    if visitor.door is Door.OPEN_PRODUCTION and page in STORE_RECORD_PAGES:
        return Verdict.NEEDS_SIGN_IN_SETUP
    if visitor.role >= needed:
        return Verdict.ALLOWED
    if visitor.door is Door.OPEN_PRODUCTION:
        return Verdict.NEEDS_SIGN_IN_SETUP
    return Verdict.OWNERS_ONLY
