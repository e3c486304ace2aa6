"""Typed failures of a pricing call. The package raises them; the page chooses the words.

Messages here are for logs and developers (English) and never contain the API key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from laptop_pricing.pricing.laptop_spec import FieldError


class PricingError(Exception):
    """Any reason a laptop could not be priced."""


class AuthError(PricingError):
    """401/403: the API key is missing or wrong (API Gateway also says 403 for a wrong route)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class RateLimited(PricingError):
    """429: throttled or over quota. ``retry_after`` is in seconds when the server said so."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class BadRequest(PricingError):
    """400/422: the service refused the laptop; ``errors`` names the fields at fault."""

    def __init__(self, message: str, errors: Sequence[FieldError] = ()):
        super().__init__(message)
        self.errors = list(errors)

    @property
    def fields(self) -> list[str]:
        """Names of the fields at fault, in order, without repeats."""
        return list(dict.fromkeys(e.field for e in self.errors))


class UpstreamError(PricingError):
    """500/502/504 (or any other unexpected status): the service failed, not the request."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class ServiceUnavailable(UpstreamError):
    """503: the service is down or overloaded right now."""


class Timeout(PricingError):
    """No answer in time. Not retried: the request may have been priced and logged already."""


class ConnectionFailed(PricingError):
    """The service could not be reached (refused, DNS, network down, connection dropped).

    ``never_sent`` is True when no connection was made, so a retry cannot price twice.
    """

    def __init__(self, message: str, never_sent: bool = False):
        super().__init__(message)
        self.never_sent = never_sent


class InvalidResponse(PricingError):
    """The service answered, but not with a price we can read (not JSON, no prediction...)."""


class QuoteNotFound(PricingError):
    """404 from ``POST /outcome`` or ``GET /quote/{quote_id}``: no quote with this id."""

    def __init__(self, quote_id: str, message: str | None = None):
        super().__init__(message or f"no quote {quote_id}")
        self.quote_id = quote_id


class QuoteExpired(PricingError):
    """409 from ``POST /outcome``: the quote's validity is over and the store policy refuses
    late outcomes (price the laptop again)."""

    def __init__(self, quote_id: str, valid_until: date | None, message: str | None = None):
        day = valid_until.isoformat() if valid_until else "its last day"
        super().__init__(
            message
            or f"quote {quote_id} was valid until {day}; the store policy does not record "
            "outcomes after that: price the laptop again"
        )
        self.quote_id = quote_id
        self.valid_until = valid_until


class OutcomeNotStored(PricingError):
    """503 from ``POST /outcome``: the outcome could not be stored in time. Sending the same
    ``event_id`` again is safe (it is stored once)."""


class RouteRefused(PricingError):
    """A route refused the request with a status, the service's one pt-BR sentence for the
    clerk (``message_pt``; empty when it sent none), the fields at fault and a reason code."""

    def __init__(
        self,
        status: int,
        message_pt: str,
        errors: Sequence[FieldError] = (),
        *,
        reason_code: str | None = None,
        message: str = "",
    ):
        super().__init__(message)
        self.status = status
        self.message_pt = message_pt
        self.errors = list(errors)
        self.reason_code = reason_code

    @property
    def fields(self) -> list[str]:
        """Names of the fields at fault, in order, without repeats."""
        return list(dict.fromkeys(e.field for e in self.errors))


class PurchaseRefused(RouteRefused):
    """A purchase route refused the request: 400 (``fields`` names each one at fault), 403 (an
    owner must do or approve it), 409 (the quote cannot be bought now: expired, not accepted,
    already bought, a flag that stops it), 413 (a photo over the size limit). ``message_pt`` is
    the service's one pt-BR sentence for the clerk (empty when it sent none: the page then picks
    its words from ``status`` and ``reason_code``); ``purchase_id`` names an earlier purchase of
    the same quote or serial; ``flags`` are the flags that stopped or need an owner."""

    def __init__(
        self,
        status: int,
        message_pt: str,
        errors: Sequence[FieldError] = (),
        *,
        reason_code: str | None = None,
        purchase_id: str | None = None,
        flags: Sequence[Mapping[str, str]] = (),
        message: str | None = None,
    ):
        super().__init__(
            status,
            message_pt,
            errors,
            reason_code=reason_code,
            message=message or f"purchase refused ({status}): {reason_code or message_pt}",
        )
        self.purchase_id = purchase_id
        self.flags = [dict(flag) for flag in flags]


class PurchaseNotStored(ServiceUnavailable):
    """503 from a purchase route: not confirmed stored (or the store or the personal-data key is
    unavailable). Sending the same ``event_id`` again is safe (it is stored once)."""


class StockRefused(RouteRefused):
    """A stock route refused the change or the query: 400 (``fields`` names each one at
    fault), 403 (only an owner corrects a sale), 404 (no such item), 409 (someone changed the
    item meanwhile: reload), 503 (not confirmed stored: send the same change again).
    ``message_pt`` is the service's one pt-BR sentence for the clerk."""

    def __init__(
        self,
        status: int,
        message_pt: str,
        errors: Sequence[FieldError] = (),
        *,
        reason_code: str | None = None,
    ):
        super().__init__(
            status,
            message_pt,
            errors,
            reason_code=reason_code,
            message=f"stock refused ({status}): {reason_code or 'see message_pt'}",
        )
