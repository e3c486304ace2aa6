"""Where purchases are kept: objects by key under ``PURCHASES-PREFIX``, in the request log's
bucket or local folder, through the one store layer (``RecordStore.put_new``, ``read_object``,
``list_keys``, ``delete_object``). docs/purchase.md says why this and not a database.

Under ``<prefix>/``:

* ``purchases/<quote id>.json``: the purchase's facts (``Purchase``), put only if absent: the
  commit point; 20 concurrent attempts on one quote store one (rewritten only by
  ``staff_email.reseal``, to seal the e-mails of a record written before sealing);
* ``sellers/<quote id>.bin``: the seller sealed (Fernet);
* ``by-serial/<serial>.json``: ``{"purchase_id"}``, one GET finds a serial (put only if absent);
* ``by-seller/<seller hash>/<quote id>.json``: ``{"recorded_at"}``, listed to count a seller's
  purchases in the policy's window;
* ``photos/<quote id>/<kind>-<sha256[:16]>.jpg``: the normalized photos (named by content, so a
  re-upload is the same object); ``declaration-<sha256[:16]>.bin``: the signed declaration's
  photo, sealed (it shows the seller's name and CPF);
* ``erased/<quote id>.json``: ``{"erased_at"}``: the seller's data was erased, the facts stay;
* ``blocked/serial/<serial>.json``, ``blocked/seller/<seller hash>.json``: the store's own
  block list (the owner's command ``python -m laptop_pricing.purchase block``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from operator import attrgetter
from typing import Any
from urllib.parse import quote

from laptop_pricing.purchase.purchase import Purchase, parse_utc, utc_text
from laptop_pricing.purchase.request import DECLARATION_KIND
from laptop_pricing.request_log import SETTLE_TIMEOUTS
from laptop_pricing.settings import Settings
from laptop_pricing.storage import s3
from laptop_pricing.storage.layout import LogLayout, RecordKind
from laptop_pricing.storage.s3_store import S3RecordStore
from laptop_pricing.storage.stores import LocalRecordStore, RecordStore

# A layout for the prefix only: purchases have no day files, records or rollup (the compactor
# never sees this kind: it is not in ``record_kinds.KINDS``).
PURCHASE_OBJECTS = RecordKind(
    name="purchase",
    columns=("purchase_id", "recorded_at"),
    id_column="purchase_id",
    timestamp_column="recorded_at",
    day_file_suffix="_purchases.csv",
    prefix_of=attrgetter("purchases_prefix"),
    keyed_by_id=True,
)
# A purchase is recorded at a counter, a few a day: a patient limit per write (a photo is up to
# 500 KB), still far inside API Gateway's 29 s.
WRITE_DEADLINE = 8.0
WRITE_TIMEOUTS = s3.Timeouts(connect=2.0, read=5.0, attempts=1)


def key_name(text: str) -> str:
    """A serial as one path segment: ``/`` and spaces escaped, never a leading dot."""
    name = quote(text, safe="-")
    return "%2E" + name[1:] if name.startswith(".") else name


class PurchaseStore:
    def __init__(self, store: RecordStore, deadline: float = WRITE_DEADLINE):
        self.store = store
        self.deadline = deadline
        self.root = store.layout.root

    def describe(self) -> str:
        return self.store.describe()

    # Keys ------------------------------------------------------------------------------------

    def purchase_key(self, purchase_id: str) -> str:
        return f"{self.root}purchases/{purchase_id}.json"

    def seller_key(self, purchase_id: str) -> str:
        return f"{self.root}sellers/{purchase_id}.bin"

    def serial_key(self, serial: str) -> str:
        return f"{self.root}by-serial/{key_name(serial)}.json"

    def seller_index_prefix(self, seller_hash: str) -> str:
        return f"{self.root}by-seller/{seller_hash}/"

    def photos_prefix(self, quote_id: str) -> str:
        return f"{self.root}photos/{quote_id}/"

    def photo_key(self, quote_id: str, photo_id: str, sealed: bool) -> str:
        return f"{self.photos_prefix(quote_id)}{photo_id}.{'bin' if sealed else 'jpg'}"

    def erased_key(self, purchase_id: str) -> str:
        return f"{self.root}erased/{purchase_id}.json"

    def blocked_key(self, what: str, value: str) -> str:
        return f"{self.root}blocked/{what}/{key_name(value)}.json"

    # Writes (put only if absent: True when this call stored it) ------------------------------

    def _put(self, key: str, data: bytes) -> bool:
        return self.store.put_new(key, data, time.monotonic() + self.deadline)

    def _put_json(self, key: str, value: dict[str, Any]) -> bool:
        return self._put(key, json.dumps(value, sort_keys=True).encode("utf-8"))

    def put_purchase(self, purchase: Purchase) -> bool:
        return self._put(self.purchase_key(purchase.purchase_id), purchase.as_record())

    def replace_purchase(self, purchase: Purchase) -> bool:
        """Rewrite a stored purchase whole (its e-mails sealed, ``staff_email.reseal``): True
        when replaced, False when it is not there."""
        return self.store.replace_object(
            self.purchase_key(purchase.purchase_id), purchase.as_record()
        )

    def put_seller(self, purchase_id: str, sealed: bytes) -> bool:
        return self._put(self.seller_key(purchase_id), sealed)

    def put_serial(self, serial: str, purchase_id: str) -> bool:
        return self._put_json(self.serial_key(serial), {"purchase_id": purchase_id})

    def put_seller_index(self, seller_hash: str, purchase_id: str, at: datetime) -> bool:
        key = f"{self.seller_index_prefix(seller_hash)}{purchase_id}.json"
        return self._put_json(key, {"recorded_at": utc_text(at)})

    def put_photo(self, quote_id: str, photo_id: str, data: bytes, sealed: bool) -> bool:
        return self._put(self.photo_key(quote_id, photo_id, sealed), data)

    def put_erased(self, purchase_id: str, at: datetime) -> bool:
        return self._put_json(self.erased_key(purchase_id), {"erased_at": utc_text(at)})

    def put_block(self, what: str, value: str, at: datetime, note: str) -> bool:
        return self._put_json(self.blocked_key(what, value), {"at": utc_text(at), "note": note})

    # Reads -----------------------------------------------------------------------------------

    def read_purchase(self, purchase_id: str) -> Purchase | None:
        data = self.store.read_object(self.purchase_key(purchase_id))
        return None if data is None else Purchase.from_record(data)

    def read_seller(self, purchase_id: str) -> bytes | None:
        return self.store.read_object(self.seller_key(purchase_id))

    def serial_purchase(self, serial: str) -> str | None:
        data = self.store.read_object(self.serial_key(serial))
        return None if data is None else str(json.loads(data)["purchase_id"])

    def seller_purchases(self, seller_hash: str) -> dict[str, datetime]:
        """The seller's purchases by id, with when each was recorded (one listing, one GET
        each: a seller has a handful)."""
        found: dict[str, datetime] = {}
        prefix = self.seller_index_prefix(seller_hash)
        for key in self.store.list_keys(prefix):
            data = self.store.read_object(key)
            if data is not None:
                purchase_id = key[len(prefix) :].removesuffix(".json")
                found[purchase_id] = parse_utc(str(json.loads(data)["recorded_at"]))
        return found

    def photo_ids(self, quote_id: str) -> dict[str, str]:
        """Photo id -> key of every photo stored under the quote."""
        prefix = self.photos_prefix(quote_id)
        keys = self.store.list_keys(prefix)
        return {key[len(prefix) :].rsplit(".", 1)[0]: key for key in keys}

    def missing_photos(self, quote_id: str, photo_ids: Iterable[str]) -> list[str]:
        """The ids among ``photo_ids`` not stored under the quote: one HEAD each, at once
        (a listing of the quote's photos costs what the whole bucket holds on moto)."""
        wanted = list(dict.fromkeys(photo_ids))

        def stored(photo_id: str) -> bool:
            sealed = photo_id.startswith(f"{DECLARATION_KIND}-")
            return self.store.has_object(self.photo_key(quote_id, photo_id, sealed))

        with ThreadPoolExecutor(max(1, min(len(wanted), 6))) as pool:
            present = list(pool.map(stored, wanted))
        return [photo_id for photo_id, here in zip(wanted, present, strict=True) if not here]

    def read_photo(self, key: str) -> bytes | None:
        return self.store.read_object(key)

    def erased_at(self, purchase_id: str) -> datetime | None:
        data = self.store.read_object(self.erased_key(purchase_id))
        return None if data is None else parse_utc(str(json.loads(data)["erased_at"]))

    def is_blocked(self, what: str, value: str) -> bool:
        return self.store.read_object(self.blocked_key(what, value)) is not None

    def has_purchase(self, purchase_id: str) -> bool:
        return self.store.read_object(self.purchase_key(purchase_id)) is not None

    def purchase_ids(self) -> set[str]:
        """Ids of every purchase recorded (one listing)."""
        prefix = f"{self.root}purchases/"
        keys = self.store.list_keys(prefix)
        return {k[len(prefix) :].removesuffix(".json") for k in keys if k.endswith(".json")}

    def photo_folders(self) -> dict[str, datetime]:
        """Quote id -> when its newest photo was stored, for every quote with photos."""
        prefix = f"{self.root}photos/"
        newest: dict[str, datetime] = {}
        for key, at in self.store.list_modified(prefix).items():
            quote_id = key[len(prefix) :].split("/", 1)[0]
            newest[quote_id] = max(at, newest.get(quote_id, at))
        return newest

    def purchases_with_seller(self) -> list[str]:
        """Ids of the purchases whose seller is still kept (the purge walks them)."""
        prefix = f"{self.root}sellers/"
        keys = self.store.list_keys(prefix)
        return [k[len(prefix) :].removesuffix(".bin") for k in keys if k.endswith(".bin")]

    # Erasure ---------------------------------------------------------------------------------

    def delete(self, key: str) -> bool:
        return self.store.delete_object(key)

    def seller_index_key(self, seller_hash: str, purchase_id: str) -> str:
        return f"{self.seller_index_prefix(seller_hash)}{purchase_id}.json"


def purchase_store_from_settings(settings: Settings) -> PurchaseStore:
    """``PREDICTIONS-BUCKET`` set: the bucket; otherwise the local folder; under
    ``PURCHASES-PREFIX``."""
    layout = LogLayout(settings.purchases_prefix, PURCHASE_OBJECTS)
    store: RecordStore
    if settings.predictions_bucket:
        endpoint = settings.aws_endpoint_url
        store = S3RecordStore(
            settings.predictions_bucket,
            layout,
            s3.s3_client(endpoint, WRITE_TIMEOUTS, pool=64),
            s3.s3_client(endpoint, SETTLE_TIMEOUTS, pool=64),
        )
    else:
        store = LocalRecordStore(settings.predictions_dir, layout)
    return PurchaseStore(store)
