"""The embedded default composed in one place: the pricing API's handler in this process, with
every part it needs built from the settings and passed in where it is used.

``client_from_settings`` calls ``embedded_client`` when no ``API-ENDPOINT`` is set. The parts
are those the Lambda and the local server build at start (``laptop_pricing.api.handler``), less
the metrics: the shipped engine, the request log (local folder or bucket), the store policy, the
outcome recorder, the quote lookup over that log, the quotes kept by id and the purchase
service (``laptop_pricing.purchase.service``) beside them. The in-process client marks an
owner's call with ``EMBEDDED_OWNER_KEY_ID`` and this handler, and only it, trusts that mark:
the app asks for it only when the signed-in visitor is an owner.
"""

from __future__ import annotations

from typing import Any

from laptop_pricing.api.events import response
from laptop_pricing.api.handler import (
    PricingHandler,
    get_engine,
    purchase_route_from_settings,
)
from laptop_pricing.api.quote_route import QuoteRoute
from laptop_pricing.api.service import observer_from_settings
from laptop_pricing.api.stock_route import stock_route_from_settings, stock_target
from laptop_pricing.client import LocalPricingClient
from laptop_pricing.client_event import EMBEDDED_OWNER_KEY_ID
from laptop_pricing.settings import Settings
from laptop_pricing.trade_in.outcome_service import (
    quote_lookup_from_settings,
    recorder_from_settings,
)
from laptop_pricing.trade_in.quote import QuoteIssuer
from laptop_pricing.trade_in.store_policies import store_policies_from_settings
from laptop_pricing.trade_in.used_price_model import load_store_model


def embedded_handler(settings: Settings) -> PricingHandler:
    """The handler with its engine, request log, issuer, recorder, quote, purchase and stock
    routes.
    Raises ``PolicyError`` naming the key when a store's policy cannot be used (a store named
    in ``CLERK-EMAILS`` with none included), ``ArtifactError`` for a broken store model."""
    policies = store_policies_from_settings(settings)
    lookup = quote_lookup_from_settings(settings)
    observer = observer_from_settings(settings)
    used_prices = load_store_model()  # None: the rule prices every offer
    return PricingHandler(
        engine=get_engine(),
        observer=observer,
        issuer=QuoteIssuer.for_stores(policies, used_prices),
        recorder=recorder_from_settings(settings, lookup),
        quotes=QuoteRoute(lookup, policies.home_policy),
        quote_keys=observer.quote_keys,
        purchases=purchase_route_from_settings(
            settings, lookup, frozenset({EMBEDDED_OWNER_KEY_ID}), used_prices
        ),
        store_id=settings.store_id,
        stock=stock_route_from_settings(settings, frozenset({EMBEDDED_OWNER_KEY_ID})),
    )


def embedded_client(settings: Settings) -> LocalPricingClient:
    """The in-process client over ``embedded_handler``."""
    return LocalPricingClient(embedded_handler(settings))


def embedded_stock_client(settings: Settings) -> LocalPricingClient:
    """An in-process client that answers only the stock routes (any other route: 404): what
    the owner's resale figures read, without loading the model or opening the request log.
    Owner's calls carry the in-process owner mark, as with ``embedded_handler``."""
    route = stock_route_from_settings(settings, frozenset({EMBEDDED_OWNER_KEY_ID}))

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        target = stock_target(event)
        if target is None:
            return response(404, {"message": "This client answers only the stock routes"})
        return route(event, target)

    return LocalPricingClient(handle)
