"""Opening an item when a laptop is bought, changing it, and listing the stock.

``StockService`` is what the stock routes call (handler, local server, embedded client) and
what the purchase service calls once a purchase is committed (``open_item``).

Why the purchase writes the opening event rather than the stock deriving it from the purchase
records: the opening copies the quote's spec, the market estimate and the amount paid, so that
listing 10,000 items reads the stock's own objects only (never each purchase and its quote in
the request log); it is written after the purchase's commit point with the seller and the
indexes, and a retry of the same purchase event writes it if it is missing (put only if absent).

A change is checked against the item's fold (``fold.check_change``) and stored as the item's
next event, put only if absent: of two clerks acting on the same view, one is stored and the
other is told to reload (``StockChanged``). The same ``event_id`` again is answered from what
was stored (200), never stored twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from laptop_pricing.formatting import BRASILIA
from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.purchase.purchase import Caller, Purchase
from laptop_pricing.resale.facts_wire import ResaleFacts
from laptop_pricing.settings import Settings
from laptop_pricing.stock.errors import (
    InvalidStockEvent,
    StockChanged,
    StockItemNotFound,
    StockNotStored,
)
from laptop_pricing.stock.events import (
    EM_PREPARO,
    OWNER,
    Actor,
    ItemFacts,
    StockEvent,
)
from laptop_pricing.stock.fold import StockItem, check_change, fold
from laptop_pricing.stock.query import StockPage, StockQuery, select
from laptop_pricing.stock.request import ChangeRequest
from laptop_pricing.stock.sold import facts_of
from laptop_pricing.stock.store import StockStore
from laptop_pricing.storage.stores import RecordNotStored
from laptop_pricing.trade_in.quote_id import InvalidQuoteId, parse_quote_id
from laptop_pricing.trade_in.quote_lookup import StoredQuote
from laptop_pricing.trade_in.store_policies import NoStorePolicy, StorePolicies

CREATED = 201
ALREADY_STORED = 200
CHANGED_PT = "Outra pessoa alterou este notebook agora há pouco: recarregue a página e confira."
REUSED_PT = "Este código de alteração já foi usado para outra alteração: recarregue a página."
NOT_FOUND_PT = "Nenhum notebook em estoque com este código de compra."
NOT_STORED_PT = "A alteração não foi confirmada; envie de novo (ela não será gravada duas vezes)."
PRICE_STEP = 10  # a suggested list price in whole tens of reais
References = Callable[[str], str]  # a clerk's e-mail -> a non-personal reference


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class StockDecision:
    """201: stored now; 200: this ``event_id`` was stored before."""

    status: int
    item: StockItem


def opening_facts(purchase: Purchase, quote: StoredQuote) -> ItemFacts:
    spec = {} if quote.spec is None else dict(quote.spec.as_dict())
    processor = " ".join(
        str(spec[name]) for name in ("processor_brand", "processor_name") if spec.get(name)
    )
    return ItemFacts(
        serial=purchase.serial,
        brand=str(spec.get("brand") or purchase.laptop_brand or purchase.label_brand),
        processor=processor,
        label_model=purchase.label_model,
        laptop=spec,
        condition=dict(purchase.condition),
        market_estimate=quote.market_estimate,
        quote_offer=purchase.quote_offer,
        paid=purchase.agreed_amount,
        purchased_at=purchase.recorded_at,
        policy_version=purchase.policy_version,
    )


class StockService:
    def __init__(
        self,
        store: StockStore,
        policies: StorePolicies,
        reference: References | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ):
        """``policies``: each store's policy, whose resale share suggests the list price of
        that store's items; ``reference``: how a clerk's e-mail is kept (a keyed hash); None
        keeps no reference."""
        self.store = store
        self.policies = policies
        self.reference = reference
        self.clock = clock
        self._folded: dict[str, tuple[int, StockItem]] = {}  # id -> (events folded, item)

    def actor(self, caller: Caller) -> Actor:
        email = caller.email
        ref = None if not email or self.reference is None else self.reference(email)
        return Actor(OWNER if caller.is_owner else "clerk", ref)

    def today(self) -> date:
        return self.clock().astimezone(BRASILIA).date()

    def resale_share_pct(self, store_id: str) -> float:
        """The store's policy's resale share; a store no policy here prices any more (its
        file removed since the purchase) falls back to the deployment's, so the listing still
        opens (the price is only a suggestion the clerk may change)."""
        try:
            return self.policies.for_store(store_id).resale_share_pct
        except NoStorePolicy:
            return self.policies.home_policy.resale_share_pct

    def suggested_price(self, item: StockItem) -> int:
        """The item's store's resale share of the quote's market estimate, in tens of reais."""
        value = item.facts.market_estimate * self.resale_share_pct(item.store_id) / 100
        return max(PRICE_STEP, round(value / PRICE_STEP) * PRICE_STEP)

    # Opening ---------------------------------------------------------------------------------

    def open_item(self, purchase: Purchase, quote: StoredQuote, caller: Caller) -> bool:
        """The item's first event (em preparo), put only if absent: True when stored now.
        Raises ``RecordNotStored``."""
        event = StockEvent(
            event_id=f"open-{purchase.event_id}"[:64],
            purchase_id=purchase.purchase_id,
            seq=0,
            kind=EM_PREPARO,
            at=purchase.recorded_at,
            by=Actor(OWNER if caller.is_owner else "clerk", purchase.clerk_reference),
            facts=opening_facts(purchase, quote),
            store_id=purchase.store_id,
        )
        return self.store.put_event(event)

    # Change ----------------------------------------------------------------------------------

    def change(self, purchase_id: str, body: object, caller: Caller) -> StockDecision:
        """Raises ``InvalidStockEvent`` (400), ``StockForbidden`` (403), ``StockItemNotFound``
        (404), ``StockChanged`` (409), ``StockNotStored`` (503); lets ``StoreError`` through."""
        canonical = _purchase_id(purchase_id)
        request = ChangeRequest.from_payload(body)
        caller = Caller(caller.role, request.clerk_email or caller.email)
        events = self.store.events_of(canonical)
        item = fold(events)
        if item is None:
            raise StockItemNotFound(NOT_FOUND_PT)
        event = StockEvent(
            event_id=request.event_id,
            purchase_id=canonical,
            seq=item.version,
            kind=request.kind,
            at=self.clock(),
            by=self.actor(caller),
            list_price=request.list_price,
            sale=request.sale,
            store_id=item.store_id,
        )
        answered = _answer_retry(events, event, item)
        if answered is not None:
            return answered
        if request.version is not None and request.version != item.version:
            raise StockChanged(CHANGED_PT)
        check_change(item, event.kind, event.list_price, event.sale, event.by.role, self.today())
        try:
            stored = self.store.put_event(event)
        except RecordNotStored as error:
            raise StockNotStored(NOT_STORED_PT, f"not confirmed ({error.reason})") from None
        if not stored:  # someone else's change took this place first
            events = self.store.events_of(canonical)
            now = fold(events)
            answered = None if now is None else _answer_retry(events, event, now)
            if answered is not None:
                return answered
            raise StockChanged(CHANGED_PT)
        folded = fold([*events, event])
        assert folded is not None
        return StockDecision(CREATED, folded)

    # Reads -----------------------------------------------------------------------------------

    def item(self, purchase_id: str) -> StockItem | None:
        return fold(self.store.events_of(_purchase_id(purchase_id)))

    def items(self) -> list[StockItem]:
        """Every item, folded again only when its events changed since the last call."""
        found = []
        for purchase_id, events in self.store.all_events().items():
            kept = self._folded.get(purchase_id)
            if kept is not None and kept[0] == len(events):
                found.append(kept[1])
                continue
            item = fold(events)
            if item is not None:
                self._folded[purchase_id] = (len(events), item)
                found.append(item)
        return found

    def page(self, query: StockQuery) -> StockPage:
        return select(self.items(), query, self.today())

    def resale_facts(self, stores: Collection[str] | None = None) -> ResaleFacts:
        """The sold and stocked laptops of ``stores`` (None: every store) as sale facts."""
        return facts_of(self.items(), stores)

    def item_answer(self, item: StockItem) -> dict[str, Any]:
        """An item as the API answers it (no clerk reference: the role only)."""
        facts = item.facts
        sale = item.sale
        return {
            "purchase_id": item.purchase_id,
            "state": item.state,
            "version": item.version,
            "serial": facts.serial,
            "brand": facts.brand,
            "processor": facts.processor,
            "label_model": facts.label_model,
            "paid": facts.paid,
            "market_estimate": facts.market_estimate,
            "suggested_list_price": self.suggested_price(item),
            "list_price": item.list_price,
            "sale": None if sale is None else sale.as_dict(),
            "purchased_at": _text(facts.purchased_at),
            "listed_at": _text(item.listed_at),
            "sold_at": _text(item.sold_at),
            "changed_at": _text(item.changed_at),
            "days_in_stock": item.days_in_stock(self.today()),
            "history": [
                {"kind": line.kind, "at": _text(line.at), "by_role": line.by.role}
                for line in item.history
            ],
            "store_id": item.store_id,
        }

    def page_answer(self, page: StockPage) -> dict[str, Any]:
        return {
            "items": [self.item_answer(item) for item in page.items],
            "total": page.total,
            "page": page.page,
            "pages": page.pages,
            "counts": dict(page.counts),
            "brands": list(page.brands),
            "processors": list(page.processors),
        }


def _answer_retry(
    events: list[StockEvent], event: StockEvent, item: StockItem
) -> StockDecision | None:
    """The same ``event_id`` stored before: 200 when it is the same change, else 400."""
    for stored in events:
        if stored.event_id == event.event_id:
            if not stored.same_request(event):
                fault = FieldError("event_id", event.event_id, "already used for another change")
                raise InvalidStockEvent([fault], REUSED_PT)
            return StockDecision(ALREADY_STORED, item)
    return None


def _purchase_id(text: str) -> str:
    try:
        return parse_quote_id(text)
    except InvalidQuoteId as error:
        fault = FieldError("purchase_id", None, str(error) or "not a purchase id")
        raise InvalidStockEvent([fault], "Este código de compra não existe: confira.") from None


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stock_service_from_settings(settings: Settings) -> StockService:
    """Events beside the purchases (``PURCHASES-PREFIX``, the bucket or the local folder), the
    suggested price from the store policy's resale share, clerks named by the personal-data
    key's keyed hash (no reference when that key is missing in production); each item's
    suggested price from its own store's policy. Raises ``PolicyError``."""
    from laptop_pricing.purchase.errors import PersonalDataKeyMissing
    from laptop_pricing.purchase.store import purchase_store_from_settings
    from laptop_pricing.purchase.vault import vault_from_settings
    from laptop_pricing.trade_in.store_policies import store_policies_from_settings

    try:
        reference: References | None = vault_from_settings(settings).clerk_reference
    except PersonalDataKeyMissing:
        reference = None
    policies = store_policies_from_settings(settings)
    records = purchase_store_from_settings(settings).store
    store = StockStore(records, prune_snapshots=not settings.predictions_bucket)
    return StockService(store, policies, reference)
