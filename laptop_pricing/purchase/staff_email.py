"""The staff's e-mails in a purchase record: a keyed reference and the address sealed.

A clerk's e-mail is personal data (PRODUCT.md): the purchase keeps ``vault.clerk_reference`` of
it (to find the clerk's own purchases, and as the stock's actor) and the address sealed with
the vault (for the owner's view), never the address in clear. The same for the e-mail of each
owner who let a warning through (``Override``).

Records written before this kept the e-mails in clear: they still read (``sealed`` computes the
reference and the seal in memory), and ``reseal`` rewrites them sealed
(``python -m laptop_pricing.purchase reseal``, also run by ``purge``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from laptop_pricing.formatting import masked_email
from laptop_pricing.purchase.purchase import Override, Purchase
from laptop_pricing.purchase.store import PurchaseStore
from laptop_pricing.purchase.vault import PersonalDataVault, SealedDataUnreadable


def is_sealed(purchase: Purchase) -> bool:
    """No staff e-mail in clear (a record written before sealing has one)."""
    return not purchase.clerk_email and not any(o.email for o in purchase.overrides)


def _seal(vault: PersonalDataVault, email: str) -> tuple[str, str]:
    address = email.strip().lower()
    return vault.clerk_reference(address), vault.seal(address.encode("utf-8")).decode("ascii")


def _sealed_override(override: Override, vault: PersonalDataVault) -> Override:
    if not override.email:
        return override
    reference, sealed = _seal(vault, override.email)
    return dataclasses.replace(override, reference=reference, sealed=sealed, email=None)


def sealed(purchase: Purchase, vault: PersonalDataVault) -> Purchase:
    """``purchase`` with every e-mail still in clear (a new purchase, or a record written
    before sealing) replaced by its reference and its seal."""
    if is_sealed(purchase):
        return purchase
    reference, seal = purchase.clerk_reference, purchase.clerk_sealed
    if purchase.clerk_email:
        reference, seal = _seal(vault, purchase.clerk_email)
    return dataclasses.replace(
        purchase,
        clerk_reference=reference,
        clerk_sealed=seal,
        clerk_email=None,
        overrides=tuple(_sealed_override(o, vault) for o in purchase.overrides),
    )


def opened(vault: PersonalDataVault, seal: str | None) -> str | None:
    """The address a seal holds; None without one, or when this key cannot open it."""
    if not seal:
        return None
    try:
        return vault.open(seal.encode("ascii")).decode("utf-8")
    except (SealedDataUnreadable, UnicodeError):
        return None


@dataclass(frozen=True)
class StaffEmails:
    """The e-mails a view shows: the clerk's and each override's (full or masked)."""

    clerk: str | None
    overrides: tuple[str | None, ...]


def staff_emails(purchase: Purchase, vault: PersonalDataVault, full: bool) -> StaffEmails:
    """Opened for an owner (``full``), masked (``a***@loja.com.br``) for anyone else."""

    def shown(seal: str | None, clear: str | None) -> str | None:
        email = clear or opened(vault, seal)
        return email if full or email is None else masked_email(email) or None

    return StaffEmails(
        shown(purchase.clerk_sealed, purchase.clerk_email),
        tuple(shown(o.sealed, o.email) for o in purchase.overrides),
    )


def reseal(store: PurchaseStore, vault: PersonalDataVault) -> int:
    """Rewrite sealed every stored purchase that still holds an e-mail in clear; how many were
    rewritten. Safe to repeat (a sealed record is left as it is) and to run beside the service:
    a purchase's object is written once and never changed by it, so the rewrite (the same facts,
    the e-mails sealed) replaces it whole, only while it is there."""
    rewritten = 0
    for purchase_id in sorted(store.purchase_ids()):
        purchase = store.read_purchase(purchase_id)
        if purchase is None or is_sealed(purchase):
            continue
        if store.replace_purchase(sealed(purchase, vault)):
            rewritten += 1
    return rewritten
