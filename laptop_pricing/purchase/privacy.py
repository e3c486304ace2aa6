"""A seller's data on request (LGPD): export, erase, and the purge after the retention; the
purge also deletes the photos of quotes never bought.

Erasing keeps the purchase's facts (the machine, the amounts, the flags: the store must still
show where each laptop came from) and removes everything that names the seller: the sealed
seller, the sealed declaration photo and the seller's index entry, after writing the
``erased/<id>.json`` marker the view reads. The marker goes first and the index last, so an
erasure cut short is finished by running it again (the index still leads to the purchase).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.purchase.errors import InvalidPurchase
from laptop_pricing.purchase.purchase import Purchase
from laptop_pricing.purchase.request import DECLARATION_KIND
from laptop_pricing.purchase.seller import Seller, valid_cpf
from laptop_pricing.purchase.store import PurchaseStore
from laptop_pricing.purchase.vault import PersonalDataVault

# Photos are uploaded before the purchase; when it is refused or abandoned they belong to no
# purchase. A day after the quote's newest photo, with still no purchase, they are deleted: the
# clerk had the day to finish (a purchase started later asks for the photos again).
ORPHAN_PHOTO_AGE = timedelta(days=1)


@dataclass(frozen=True)
class PurgeReport:
    erased: int  # purchases whose seller data was erased now
    kept: int  # purchases whose seller data is still inside the retention
    orphan_photos: int = 0  # quotes never bought whose photos were deleted now

    def as_dict(self) -> dict[str, int]:
        return {"erased": self.erased, "kept": self.kept, "orphan_photos": self.orphan_photos}


class SellerRecords:
    def __init__(
        self,
        store: PurchaseStore,
        vault: Callable[[], PersonalDataVault],
        retention_days: Callable[[str], int],  # by the purchase's store (its policy's)
    ):
        self.store = store
        self._vault = vault
        self.retention_days = retention_days

    def seller_hash(self, cpf: str) -> str:
        digits = valid_cpf(cpf)
        if digits is None:
            raise InvalidPurchase([FieldError("seller.cpf", None, "not a valid CPF")])
        return self._vault().seller_hash(digits)

    def seller_of(self, purchase_id: str) -> Seller | None:
        token = self.store.read_seller(purchase_id)
        return None if token is None else Seller.from_bytes(self._vault().open(token))

    def export(self, cpf: str) -> dict[str, Any]:
        """Everything kept about the seller with this CPF: the seller as sealed for each
        purchase, and each purchase's facts (an owner's explicit export)."""
        purchases = []
        for purchase_id in sorted(self.store.seller_purchases(self.seller_hash(cpf))):
            purchase = self.store.read_purchase(purchase_id)
            seller = self.seller_of(purchase_id)
            purchases.append(
                {
                    "purchase": None if purchase is None else purchase.as_dict(),
                    "seller": None if seller is None else seller.as_dict(),
                }
            )
        return {"purchases": purchases}

    def erase(self, cpf: str, now: datetime) -> int:
        """Erase the seller's data from every purchase; how many purchases it was kept in."""
        seller_hash = self.seller_hash(cpf)
        ids = sorted(self.store.seller_purchases(seller_hash))
        for purchase_id in ids:
            self.erase_one(purchase_id, seller_hash, now)
        return len(ids)

    def erase_one(self, purchase_id: str, seller_hash: str | None, now: datetime) -> None:
        self.store.put_erased(purchase_id, now)
        self.store.delete(self.store.seller_key(purchase_id))
        for photo_id, key in self.store.photo_ids(purchase_id).items():
            if photo_id.startswith(f"{DECLARATION_KIND}-"):
                self.store.delete(key)
        if seller_hash is not None:
            self.store.delete(self.store.seller_index_key(seller_hash, purchase_id))

    def purge(self, now: datetime) -> PurgeReport:
        """Erase the seller's data of every purchase recorded more than its store's policy's
        retention ago (the local folder's equivalent of the bucket's lifecycle rules), and the
        photos of quotes never bought (``purge_orphan_photos``)."""
        erased = kept = 0
        for purchase_id in self.store.purchases_with_seller():
            purchase = self.store.read_purchase(purchase_id)
            if purchase is not None and self.inside_retention(purchase, now):
                kept += 1
                continue
            seller = self.seller_of(purchase_id)
            seller_hash = None if seller is None else self._vault().seller_hash(seller.cpf)
            self.erase_one(purchase_id, seller_hash, now)
            erased += 1
        return PurgeReport(erased, kept, purge_orphan_photos(self.store, now))

    def inside_retention(self, purchase: Purchase, now: datetime) -> bool:
        """Whether the purchase's seller data is still kept: its store's retention."""
        days = self.retention_days(purchase.store_id)
        return purchase.recorded_at >= now - timedelta(days=days)


def purge_orphan_photos(
    store: PurchaseStore, now: datetime, age: timedelta = ORPHAN_PHOTO_AGE
) -> int:
    """Delete every photo of each quote that has no purchase and whose newest photo is older
    than ``age``; how many quotes' photos were deleted. A candidate's purchase is read once
    more just before its photos go, so one recorded since the listing keeps them."""
    limit = now - age
    bought = store.purchase_ids()
    deleted = 0
    for quote_id, newest in sorted(store.photo_folders().items()):
        if newest >= limit or quote_id in bought or store.has_purchase(quote_id):
            continue
        for key in store.photo_ids(quote_id).values():
            store.delete(key)
        deleted += 1
    return deleted
