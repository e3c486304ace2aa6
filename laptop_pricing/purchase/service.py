"""Recording a purchase, finding it again, its photos and the seller's data on request.

``PurchaseService`` is what the purchase routes call (handler, local server, embedded client).
``record`` checks everything before writing anything (the body, the quote's state, the
inspection, the locks, the photos, the flags), then writes in this order: the photos were
uploaded before; the purchase's facts, put only if absent, are the commit point; then the
sealed seller and the indexes (serial, seller). A retry of the same ``event_id`` finds the
purchase and completes whatever is missing; another event on the same quote gets 409 naming
the purchase. What a failure leaves: before the commit, nothing but photos (named by content,
re-used by the retry); after it, a purchase the retry completes (``PurchaseNotStored``, 503).
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.purchase import staff_email
from laptop_pricing.purchase.checks import (
    amount_overrides,
    deal_of,
    flag_overrides,
    flags_for,
    found_quote,
    inspect,
    lock_errors,
    named_quote,
    payout_options,
    photo_errors,
    quote_terms,
)
from laptop_pricing.purchase.errors import (
    InvalidPurchase,
    PersonalDataKeyMissing,
    PurchaseConflict,
    PurchaseForbidden,
    PurchaseNotStored,
)
from laptop_pricing.purchase.policy_terms import PurchaseTerms, StoreTerms, store_terms
from laptop_pricing.purchase.privacy import PurgeReport, SellerRecords
from laptop_pricing.purchase.purchase import (
    ALREADY_STORED,
    CREATED,
    Caller,
    Purchase,
    PurchaseDecision,
    PurchasePreview,
    PurchaseView,
    SellerAccess,
    StoredPhoto,
)
from laptop_pricing.purchase.request import (
    DECLARATION_KIND,
    UPLOAD_KINDS,
    PreviewRequest,
    PurchaseRequest,
    quote_id_field,
    serial_field,
)
from laptop_pricing.purchase.seller import Seller
from laptop_pricing.purchase.store import PurchaseStore, purchase_store_from_settings
from laptop_pricing.purchase.vault import PersonalDataVault, vault_from_settings
from laptop_pricing.settings import Settings
from laptop_pricing.stock.service import StockService, stock_service_from_settings
from laptop_pricing.storage.stores import RecordNotStored
from laptop_pricing.trade_in.policy import StorePolicy
from laptop_pricing.trade_in.quote_lookup import QuoteLookup, StoredQuote
from laptop_pricing.trade_in.store_policies import StorePolicies, store_policies_from_settings
from laptop_pricing.trade_in.used_price_model import UsedPriceModel

__all__ = ["Caller", "PurchaseService", "purchase_service_from_settings"]

Normalize = Callable[[bytes], Any]  # photos.normalize_photo: .jpeg, .width, .height
# The independent reads and writes of one purchase run at once (each S3 call is a round trip);
# only request threads submit here, never its own threads, so it cannot deadlock.
_IO = ThreadPoolExecutor(max_workers=32, thread_name_prefix="purchase-io")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _normalize_photo(data: bytes) -> Any:
    """``photos.normalize_photo``, imported when first needed (another helper's module)."""
    return importlib.import_module("laptop_pricing.purchase.photos").normalize_photo(data)


class PurchaseService:
    def __init__(
        self,
        lookup: QuoteLookup,
        store: PurchaseStore,
        vault: PersonalDataVault | None,
        policy: StorePolicy | StorePolicies,  # a chain's: each quote re-checked by its store's
        terms: PurchaseTerms | StoreTerms,  # a chain's: each quote bought on its store's
        clock: Callable[[], datetime] = _utc_now,
        normalize: Normalize = _normalize_photo,
        stock: StockService | None = None,
        used_prices: UsedPriceModel | None = None,
    ):
        """``vault`` None: no ``PERSONAL-DATA-KEY`` in production; every purchase is refused
        with ``PersonalDataKeyMissing`` (the rest of the service still starts). ``stock``:
        where the bought laptop becomes an item (em preparo); None opens none.
        ``used_prices``: the store model the issuer prices with, to re-price its quotes."""
        self.lookup = lookup
        self.store = store
        self._vault_or_none = vault
        self.policy = policy
        self.terms = terms
        self.clock = clock
        self.normalize = normalize
        self.stock = stock
        self.used_prices = used_prices
        self.sellers = SellerRecords(store, self.vault, terms.retention_for)

    def vault(self) -> PersonalDataVault:
        if self._vault_or_none is None:
            raise PersonalDataKeyMissing()
        return self._vault_or_none

    # Preview ---------------------------------------------------------------------------------

    def preview(self, body: object, caller: Caller) -> PurchasePreview:
        """What the page shows while the clerk fills the purchase in; stores nothing."""
        request = PreviewRequest.from_payload(body)
        quote, result = found_quote(self.lookup, request.quote_id)
        self._refuse_bought(request.quote_id)
        deal = deal_of(result)
        terms = quote_terms(quote, self.terms)
        condition = request.condition or quote.condition
        if condition is None:
            raise InvalidPurchase([FieldError("condition", None, "missing: answer the inspection")])
        inspection = inspect(quote, condition, self.policy, self.used_prices)
        seller_hash = None if request.cpf is None else self.vault().seller_hash(request.cpf)
        flags, existing = flags_for(
            self.store, terms, quote.quote_id, request.serial, seller_hash, self.clock()
        )
        base = request.agreed_amount or inspection.revised_offer or 0
        return PurchasePreview(
            quote_id=quote.quote_id,
            quote_offer=quote.offer,
            revised_offer=inspection.revised_offer,
            changed_deductions=inspection.changed,
            deductions=inspection.deductions,
            policy_version=quote.policy_version,
            locks=tuple(lock.as_dict() for lock in terms.locks_for(deal.brand)),
            payout_options=payout_options(terms, base),
            flags=flags,
            existing_purchase_id=existing if caller.is_owner else None,
            privacy_notice_pt=terms.privacy_notice,
            photos_min=terms.photos_min,
            photos_max=terms.photos_max,
            quote_agreed=deal.agreed,
            no_offer_reason=inspection.no_offer_reason,
        )

    # Record ----------------------------------------------------------------------------------

    def record(self, body: object, caller: Caller) -> PurchaseDecision:
        """201 stored now, 200 this ``event_id`` stored before. Raises ``InvalidPurchase``,
        ``QuoteNotFound``, ``PurchaseConflict``, ``PurchaseForbidden``, ``PurchaseNotStored``,
        ``PersonalDataKeyMissing``; lets ``StoreError`` through when the store cannot be read."""
        found = named_quote(self.lookup, body)  # its store's terms check the body
        terms = quote_terms(None if found is None else found[0], self.terms)
        request = PurchaseRequest.from_payload(body, terms)
        vault = self.vault()
        if request.owner_approval and not caller.is_owner:
            raise PurchaseForbidden("Só o dono da loja pode aprovar: peça a ele para concluir.")
        quote, result = found or found_quote(self.lookup, request.quote_id)
        stored_before = _IO.submit(self._read, quote.quote_id)  # read at once, used in order
        uploads = [*request.photos, *filter(None, [request.declaration_photo])]
        photos = _IO.submit(self.store.missing_photos, quote.quote_id, uploads)
        seller_hash = vault.seller_hash(request.seller.cpf)
        now = self.clock()
        flags, same_serial = flags_for(
            self.store, terms, quote.quote_id, request.machine.serial, seller_hash, now, _IO
        )
        existing = stored_before.result()
        if existing is not None:
            return self._settle(existing, request, caller, quote)
        deal = deal_of(result)
        inspection = inspect(quote, request.condition, self.policy, self.used_prices)
        if inspection.revised_offer is None:
            reason = inspection.no_offer_reason or "no offer with these answers"
            raise InvalidPurchase([FieldError("condition", None, reason)])
        overrides = amount_overrides(request, inspection.revised_offer, caller, now)
        errors = lock_errors(terms, deal.brand, dict(request.locks))
        errors += photo_errors(request, photos.result())
        if errors:
            raise InvalidPurchase(errors)
        overrides += flag_overrides(flags, same_serial, request, caller, now)
        purchase = Purchase(
            purchase_id=quote.quote_id,
            event_id=request.event_id,
            recorded_at=now,
            policy_version=quote.policy_version,
            quote_offer=quote.offer,
            quote_decision=deal.decision,
            quote_agreed=deal.agreed,
            condition=request.condition.as_dict(),
            revised_offer=inspection.revised_offer,
            changed_deductions=inspection.changed,
            agreed_amount=request.agreed_amount,
            amount_reason=request.amount_reason,
            locks=dict(request.locks),
            serial=request.machine.serial,
            label_brand=request.machine.label_brand,
            label_model=request.machine.label_model,
            laptop_brand=deal.brand,
            photos=request.photos,
            payout_method=request.payout_method,
            payout_amount=terms.payout_amount(request.payout_method, request.agreed_amount),
            bonus_percent=terms.bonus_percent(request.payout_method),
            declaration_signed=True,
            declaration_photo=request.declaration_photo,
            flags=flags,
            overrides=tuple(overrides),
            store_id=quote.store_id,
            clerk_email=request.clerk_email,
        )
        purchase = staff_email.sealed(purchase, vault)
        try:
            stored = self.store.put_purchase(purchase)
        except RecordNotStored as error:
            raise PurchaseNotStored(f"purchase not confirmed stored ({error.reason})") from None
        if not stored:  # another attempt on this quote committed first
            winner = self._read(quote.quote_id)
            if winner is None:
                raise PurchaseNotStored("purchase taken but not readable yet; send it again")
            return self._settle(winner, request, caller, quote)
        self._complete(purchase, request.seller, seller_hash, quote, caller)
        return PurchaseDecision(CREATED, self._view(purchase, self._access(caller)))

    def _settle(
        self, stored: Purchase, request: PurchaseRequest, caller: Caller, quote: StoredQuote
    ) -> PurchaseDecision:
        """The quote is bought: the same event completes and answers 200; another is 409."""
        if stored.event_id != request.event_id:
            raise PurchaseConflict(
                "already_bought",
                "Este notebook já foi comprado nesta cotação: abra a compra registrada.",
                stored.purchase_id,
            )
        if self.store.erased_at(stored.purchase_id) is None:
            seller_hash = self.vault().seller_hash(request.seller.cpf)
            self._complete(stored, request.seller, seller_hash, quote, caller)
        return PurchaseDecision(ALREADY_STORED, self._view(stored, self._access(caller)))

    def _complete(
        self,
        purchase: Purchase,
        seller: Seller,
        seller_hash: str,
        quote: StoredQuote,
        caller: Caller,
    ) -> None:
        """Everything after the commit point, the stock item's opening included; each put is
        idempotent (False: already there)."""
        sealed = self.vault().seal(seller.to_bytes())
        puts = [
            _IO.submit(self.store.put_seller, purchase.purchase_id, sealed),
            _IO.submit(self.store.put_serial, purchase.serial, purchase.purchase_id),
            _IO.submit(
                self.store.put_seller_index, seller_hash, purchase.purchase_id, purchase.recorded_at
            ),
        ]
        if self.stock is not None:
            puts.append(_IO.submit(self.stock.open_item, purchase, quote, caller))
        try:
            for put in puts:
                put.result()
        except RecordNotStored as error:
            raise PurchaseNotStored(
                f"purchase {purchase.purchase_id} stored, its seller or indexes not confirmed "
                f"({error.reason}); send the same event again"
            ) from None

    def _refuse_bought(self, quote_id: str) -> None:
        if self._read(quote_id) is not None:
            raise PurchaseConflict(
                "already_bought",
                "Este notebook já foi comprado nesta cotação: abra a compra registrada.",
                quote_id,
            )

    # Find ------------------------------------------------------------------------------------

    def find(
        self, purchase_id: str, caller: Caller, clerk_email: str | None
    ) -> PurchaseView | None:
        """Owner: the whole record. A clerk: the masked view of a purchase they recorded (the
        keyed reference of ``clerk_email`` is its author's); anyone else: None (404)."""
        errors: list[FieldError] = []
        canonical = quote_id_field(purchase_id, errors)
        if canonical is None:
            return None
        token = _IO.submit(self.store.read_seller, canonical)  # read beside the purchase
        purchase = self._read(canonical)
        if purchase is None:
            return None
        if caller.is_owner:
            return self._view(purchase, "full", token.result())
        email = (clerk_email or "").strip().lower()
        if not email or self.vault().clerk_reference(email) != purchase.clerk_reference:
            return None
        return self._view(purchase, "masked", token.result())

    def find_by_serial(self, serial: str, caller: Caller) -> PurchaseView | None:
        if not caller.is_owner:
            raise PurchaseForbidden("Só o dono da loja busca compras pelo número de série.")
        errors: list[FieldError] = []
        canonical = serial_field(serial, errors, "serial")
        if canonical is None:
            raise InvalidPurchase(errors)
        purchase_id = self.store.serial_purchase(canonical)
        return None if purchase_id is None else self.find(purchase_id, caller, None)

    def _read(self, purchase_id: str) -> Purchase | None:
        """The stored purchase, its e-mails sealed (in memory for an older record)."""
        found = self.store.read_purchase(purchase_id)
        if found is None or staff_email.is_sealed(found):
            return found
        return staff_email.sealed(found, self.vault())

    def _access(self, caller: Caller) -> SellerAccess:
        return "full" if caller.is_owner else "masked"

    def _view(
        self, purchase: Purchase, access: SellerAccess, token: bytes | None = None
    ) -> PurchaseView:
        """``token``: the sealed seller when already read (else read here)."""
        if token is None:
            token = self.store.read_seller(purchase.purchase_id)
        seller = None if token is None else Seller.from_bytes(self.vault().open(token))
        erased = None if seller is not None else self.store.erased_at(purchase.purchase_id)
        emails = staff_email.staff_emails(purchase, self.vault(), full=access == "full")
        return PurchaseView(purchase, access, seller, erased, emails.clerk, emails.overrides)

    # Photos ----------------------------------------------------------------------------------

    def add_photo(self, quote_id: str, kind: str, data: bytes) -> StoredPhoto:
        """Normalize (``photos.normalize_photo``: raises ``InvalidPhoto``) and store under the
        quote, named by content; the declaration's photo is sealed (it names the seller)."""
        errors: list[FieldError] = []
        canonical = quote_id_field(quote_id, errors)
        if kind not in UPLOAD_KINDS:
            errors.append(FieldError("kind", kind[:20], "not allowed", UPLOAD_KINDS))
        if errors or canonical is None:
            raise InvalidPurchase(errors)
        found_quote(self.lookup, canonical)
        photo = self.normalize(data)
        jpeg: bytes = photo.jpeg
        photo_id = f"{kind}-{hashlib.sha256(jpeg).hexdigest()[:16]}"
        sealed = kind == DECLARATION_KIND
        try:
            self.store.put_photo(
                canonical, photo_id, self.vault().seal(jpeg) if sealed else jpeg, sealed
            )
        except RecordNotStored as error:
            raise PurchaseNotStored(f"photo not confirmed stored ({error.reason})") from None
        return StoredPhoto(photo_id, len(jpeg), int(photo.width), int(photo.height))

    # The seller's data (LGPD) -----------------------------------------------------------------

    def export_seller(self, cpf: str) -> dict[str, Any]:
        return self.sellers.export(cpf)

    def erase_seller(self, cpf: str) -> int:
        return self.sellers.erase(cpf, self.clock())

    def purge(self, now: datetime) -> PurgeReport:
        return self.sellers.purge(now)


def purchase_service_from_settings(
    settings: Settings, lookup: QuoteLookup, used_prices: UsedPriceModel | None = None
) -> PurchaseService:
    """The service the settings name: purchases beside the request log (``PURCHASES-PREFIX``),
    the vault (None in production without ``PERSONAL-DATA-KEY``: purchases are then refused,
    naming the key), each store's policy and purchase terms. Raises ``PolicyError``."""
    policies = store_policies_from_settings(settings)
    try:
        vault: PersonalDataVault | None = vault_from_settings(settings)
    except PersonalDataKeyMissing:
        vault = None
    return PurchaseService(
        lookup,
        purchase_store_from_settings(settings),
        vault,
        policies,
        store_terms(policies),
        stock=stock_service_from_settings(settings),
        used_prices=used_prices,
    )
