"""Helpers of the purchase tests: a scene with quotes the customer said yes to, a purchase
service over a real store (local folder or moto's S3), photos already uploaded, and a valid
``POST /purchase`` body to vary.

Quotes are issued by the real ``QuoteIssuer`` and found by the real ``QuoteLookup`` (its rows
kept in memory: the lookup itself is tested in test_quote_lookup.py); purchases go to the real
store under test.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from stdnum.br import cpf

from laptop_pricing.api.service import prediction_values
from laptop_pricing.formatting import BRASILIA
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.purchase.policy_terms import PurchaseTerms, load_purchase_terms
from laptop_pricing.purchase.service import PurchaseService
from laptop_pricing.purchase.store import PURCHASE_OBJECTS, WRITE_TIMEOUTS, PurchaseStore
from laptop_pricing.purchase.vault import PersonalDataVault
from laptop_pricing.storage import s3
from laptop_pricing.storage.layout import LogLayout
from laptop_pricing.storage.s3_store import S3RecordStore
from laptop_pricing.storage.stores import LocalRecordStore
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.outcome import Outcome
from laptop_pricing.trade_in.policy import load_policy
from laptop_pricing.trade_in.quote import QuoteIssuer
from laptop_pricing.trade_in.quote_id import QuoteIdGenerator
from laptop_pricing.trade_in.quote_lookup import QuoteLookup
from tests.service_fixtures import MOTO_ENV

PREFIX = "laptop-trade-in-purchases"
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
WORN = dataclasses.replace(Condition.best(), body="worn")
SECRET = "test-secret-of-forty-characters-........"
SELLER = {
    "name": "Maria Aparecida Souza",
    "cpf": "529.982.247-25",
    "document_type": "rg",
    "document_number": "12.345.678-9",
    "phone": "(11) 98765-4321",
}
OTHER_CPF = "111.444.777-35"
_numbers = itertools.count()


def nth_cpf(n: int) -> str:
    """A valid CPF of its own for seller ``n`` (check digits found by ``python-stdnum``)."""
    base = f"{200_000_000 + n:09d}"
    return next(base + f"{d:02d}" for d in range(100) if cpf.is_valid(base + f"{d:02d}"))


def local_purchase_store(folder: Path) -> PurchaseStore:
    return PurchaseStore(LocalRecordStore(folder, LogLayout(PREFIX, PURCHASE_OBJECTS)))


def s3_purchase_store(endpoint: str, bucket: str) -> PurchaseStore:
    """Credentials from the environment (the test sets moto's)."""
    client = s3.s3_client(endpoint, WRITE_TIMEOUTS, pool=64)
    layout = LogLayout(PREFIX, PURCHASE_OBJECTS)
    return PurchaseStore(S3RecordStore(bucket, layout, client, client))


def purchase_store_for(request: Any, tmp_path: Path, monkeypatch: Any) -> PurchaseStore:
    """The store a test parametrised ``["local", "s3"]`` runs on: a local folder, or a moto
    bucket (its credentials set for the test) through the fixtures ``moto_endpoint`` and
    ``bucket``."""
    if request.param == "local":
        return local_purchase_store(tmp_path)
    for name, value in MOTO_ENV.items():
        monkeypatch.setenv(name, value)
    endpoint = request.getfixturevalue("moto_endpoint")
    return s3_purchase_store(endpoint, request.getfixturevalue("bucket"))


@dataclass
class Normalized:
    jpeg: bytes
    width: int
    height: int


def stand_in_normalize(data: bytes) -> Normalized:
    """Stands in for ``photos.normalize_photo`` (another helper's module, tested there)."""
    return Normalized(b"\xff\xd8" + data, 800, 600)


class Scene:
    """Quotes, their decisions and a purchase service over ``store``, at ``now``."""

    def __init__(
        self, store: PurchaseStore, now: datetime = NOW, terms: PurchaseTerms | None = None
    ):
        self.store = store
        self.now = now
        self.rows: dict[str, dict[str, Any]] = {}
        self.outcomes: list[dict[str, str]] = []
        self.policy = load_policy()
        self.terms = terms or load_purchase_terms()
        self.vault = PersonalDataVault(SECRET)
        self.ids = QuoteIdGenerator()  # one generator never repeats an id
        self.lookup = QuoteLookup(
            lambda day: [],
            today=lambda: self.now.astimezone(BRASILIA).date(),
            outcome_rows=lambda day: list(self.outcomes),
            quote_row=self.rows.get,
        )
        self.service = PurchaseService(
            self.lookup,
            store,
            self.vault,
            self.policy,
            self.terms,
            clock=lambda: self.now,
            normalize=stand_in_normalize,
        )

    def quote(
        self,
        decision: str | None = "accepted",
        market: int = 5000,
        at: datetime | None = None,
        amount: int | None = None,
    ) -> str:
        """A quote issued at ``at`` (default: an hour before now) with the customer's decision."""
        moment = at or self.now - timedelta(hours=1)
        issued = QuoteIssuer(self.policy, self.ids, clock=lambda: moment).issue(market, WORN)
        values = prediction_values(
            LaptopSpec.default().as_dict(), market, "v1", f"r-{next(_numbers)}", moment
        )
        self.rows[issued.quote_id] = {**values, **issued.log_values()}
        if decision is not None:
            offer = issued.offer.amount
            outcome = Outcome(
                issued.quote_id,
                f"ev-{next(_numbers):06d}",
                decision,
                amount,
                None,
                "",
                None,
                offer,
                False,
                moment + timedelta(minutes=5),
            )
            self.outcomes.append(outcome.as_record())
        return issued.quote_id

    def offer(self, quote_id: str) -> int:
        return int(self.rows[quote_id]["offer"])

    def photos(self, quote_id: str, n: int = 2) -> list[str]:
        kinds = ("lid", "screen", "keyboard", "label", "damage", "damage")
        ids = []
        for i in range(n):
            data = f"{quote_id}-{i}".encode()
            photo_id = f"{kinds[i]}-{hashlib.sha256(data).hexdigest()[:16]}"
            self.store.put_photo(quote_id, photo_id, data, sealed=False)
            ids.append(photo_id)
        return ids

    def body(self, quote_id: str, **changes: Any) -> dict[str, Any]:
        """A valid body for ``quote_id`` (photos uploaded), with ``changes`` applied."""
        body: dict[str, Any] = {
            "event_id": f"purchase-{next(_numbers):08d}",
            "quote_id": quote_id,
            "clerk_email": "ana@loja.com.br",
            "condition": WORN.as_dict(),
            "agreed_amount": self.offer(quote_id),
            "amount_reason": None,
            "owner_approval": False,
            "locks": {lock.id: True for lock in self.terms.locks_for("dell")},
            "machine": {
                "serial": f"SN-{next(_numbers):08d}",
                "label_brand": "Dell",
                "label_model": "Inspiron 15",
            },
            "photos": self.photos(quote_id),
            "seller": dict(SELLER),
            "privacy_notice_read": True,
            "payout": {"method": "pix"},
            "declaration_signed": True,
            "declaration_photo": None,
        }
        body.update(changes)
        return body

    def today(self) -> date:
        return self.now.astimezone(BRASILIA).date()


def all_bytes(store: PurchaseStore) -> bytes:
    """Every object under the purchases prefix, end to end (for greps)."""
    keys = store.store.list_keys(store.root)
    return b"".join(store.store.read_object(key) or b"" for key in keys)
